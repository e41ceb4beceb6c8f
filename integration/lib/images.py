"""Real container images for tests, built deterministically from a seed.

Layers are real gzip'ed tars of a few random files; configs carry controlled `created`, os,
architecture, variant and rootfs.diff_ids; manifests are Docker schema2 or OCI; multi-arch
images are a Docker manifest list or an OCI index (linux/amd64, linux/arm64/v8, linux/arm/v7),
the OCI flavour optionally with buildx-style attestation children.

Everything is plain bytes first (usable without a registry, e.g. to feed the storage
writer); push_artifact() / Fixture.push() upload them through the registry HTTP API.
"""

import gzip
import hashlib
import io
import json
import os
import random
import tarfile

MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_IN_TOTO = "application/vnd.in-toto+json"

MANIFEST_TYPES = (MT_DOCKER_MANIFEST, MT_OCI_MANIFEST)
INDEX_TYPES = (MT_DOCKER_LIST, MT_OCI_INDEX)

# The three platforms every multi-arch fixture carries.
PLATFORMS = (
    {"os": "linux", "architecture": "amd64"},
    {"os": "linux", "architecture": "arm64", "variant": "v8"},
    {"os": "linux", "architecture": "arm", "variant": "v7"},
)


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj):
    """Compact JSON in insertion order: stable bytes, so stable digests."""
    return json.dumps(obj, separators=(",", ":")).encode()


def platform_string(p):
    s = "%s/%s" % (p["os"], p["architecture"])
    return s + ("/" + p["variant"] if p.get("variant") else "")


class Blob:
    """Content-addressed bytes (config, layer or attestation payload)."""

    def __init__(self, data, media_type):
        self.data = data
        self.media_type = media_type
        self.digest = sha256_digest(data)
        self.size = len(data)

    def descriptor(self, media_type=None, annotations=None):
        d = {"mediaType": media_type or self.media_type, "size": self.size,
             "digest": self.digest}
        if annotations:
            d["annotations"] = annotations
        return d


class Layer(Blob):
    """A gzip'ed tar; diff_id is the digest of the uncompressed tar."""

    def __init__(self, data, diff_id):
        super().__init__(data, MT_DOCKER_LAYER)
        self.diff_id = diff_id


def make_layer(seed, size, files=3, compresslevel=1):
    """A real gzip'ed tar of `files` random files totalling about `size` bytes.

    Random content does not compress, so the blob is a little larger than `size`.
    Deterministic: same (seed, size, files) -> same bytes and digest. compresslevel=0 (stored
    deflate blocks, still a valid gzip) is several times faster for tests that make many
    megabytes of layers.
    """
    rng = random.Random("layer:%s:%d:%d" % (seed, size, files))
    buf = io.BytesIO()
    # Fixed mtime/uid/names so the tar bytes depend on the seed only.
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        d = tarfile.TarInfo("layer-%s" % seed)
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        d.mtime = 1700000000
        tar.addfile(d)
        remaining = size
        for i in range(files):
            n = remaining if i == files - 1 else remaining // (files - i)
            remaining -= n
            info = tarfile.TarInfo("layer-%s/file-%d.bin" % (seed, i))
            info.size = n
            info.mode = 0o644
            info.mtime = 1700000000
            tar.addfile(info, io.BytesIO(rng.randbytes(n)))
    raw = buf.getvalue()
    gz = gzip.compress(raw, compresslevel=compresslevel, mtime=0)
    return Layer(gz, sha256_digest(raw))


class Image:
    """A single-platform image: config + layers + manifest bytes."""

    def __init__(self, manifest, media_type, config, layers, platform, created):
        self.manifest = manifest
        self.media_type = media_type
        self.digest = sha256_digest(manifest)
        self.size = len(manifest)
        self.config = config
        self.layers = list(layers)
        self.platform = platform
        self.created = created
        self.children = []

    kind = "image"

    def blobs(self):
        """Config and layer blobs (unique, config first)."""
        out, seen = [], set()
        for b in [self.config] + self.layers:
            if b.digest not in seen:
                seen.add(b.digest)
                out.append(b)
        return out

    def manifests(self):
        """(digest, bytes, media_type) in publish order (dependencies first)."""
        return [(self.digest, self.manifest, self.media_type)]

    def descriptor(self, platform=True, annotations=None):
        d = {"mediaType": self.media_type, "size": self.size, "digest": self.digest}
        if annotations:
            d["annotations"] = annotations
        if platform and self.platform:
            p = {"architecture": self.platform["architecture"], "os": self.platform["os"]}
            if self.platform.get("variant"):
                p["variant"] = self.platform["variant"]
            d["platform"] = p
        return d


def make_image(seed, layers=None, layer_sizes=(2048, 1024), created="2024-01-01T00:00:00Z",
               os_name="linux", architecture="amd64", variant=None, oci=False, labels=None):
    """A single-arch image. `layers` (Layer objects) may be shared with other images."""
    if layers is None:
        layers = [make_layer("%s/%d" % (seed, i), s) for i, s in enumerate(layer_sizes)]
    config = {"architecture": architecture, "os": os_name}
    if variant:
        config["variant"] = variant
    config["created"] = created
    config["config"] = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                        "Cmd": ["/bin/sh"], "Labels": dict(labels or {"tributary.seed": str(seed)})}
    config["rootfs"] = {"type": "layers", "diff_ids": [l.diff_id for l in layers]}
    config["history"] = [{"created": created, "created_by": "layer %d of %s" % (i, seed)}
                         for i in range(len(layers))]
    config_blob = Blob(canonical_json(config), MT_OCI_CONFIG if oci else MT_DOCKER_CONFIG)
    layer_type = MT_OCI_LAYER if oci else MT_DOCKER_LAYER
    media_type = MT_OCI_MANIFEST if oci else MT_DOCKER_MANIFEST
    manifest = {"schemaVersion": 2, "mediaType": media_type,
                "config": config_blob.descriptor(),
                "layers": [l.descriptor(layer_type) for l in layers]}
    platform = {"os": os_name, "architecture": architecture}
    if variant:
        platform["variant"] = variant
    return Image(canonical_json(manifest), media_type, config_blob, layers, platform, created)


def make_attestation(seed, subject):
    """A buildx-style attestation manifest (OCI, in-toto layer) for `subject` (an Image)."""
    statement = canonical_json({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [{"name": "pkg", "digest": {"sha256": subject.digest.split(":", 1)[1]}}],
        "predicate": {"spdxVersion": "SPDX-2.3", "name": "sbom-%s" % seed}})
    payload = Blob(statement, MT_IN_TOTO)
    config = Blob(canonical_json({"architecture": "unknown", "os": "unknown", "config": {},
                                  "rootfs": {"type": "layers",
                                             "diff_ids": [payload.digest]}}), MT_OCI_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                "config": config.descriptor(),
                "layers": [payload.descriptor(annotations={
                    "in-toto.io/predicate-type": "https://spdx.dev/Document"})]}
    return Image(canonical_json(manifest), MT_OCI_MANIFEST, config, [payload],
                 {"os": "unknown", "architecture": "unknown"}, subject.created)


class Index:
    """A Docker manifest list or OCI index over child Images (attestations included)."""

    kind = "index"

    def __init__(self, manifest, media_type, children, created):
        self.manifest = manifest
        self.media_type = media_type
        self.digest = sha256_digest(manifest)
        self.size = len(manifest)
        self.children = list(children)
        self.created = created

    def platform_children(self):
        return [c for c in self.children if c.platform.get("os") != "unknown"]

    def blobs(self):
        out, seen = [], set()
        for c in self.children:
            for b in c.blobs():
                if b.digest not in seen:
                    seen.add(b.digest)
                    out.append(b)
        return out

    def manifests(self):
        return [(c.digest, c.manifest, c.media_type) for c in self.children] + \
               [(self.digest, self.manifest, self.media_type)]

    def descriptor(self, platform=True, annotations=None):
        del platform
        d = {"mediaType": self.media_type, "size": self.size, "digest": self.digest}
        if annotations:
            d["annotations"] = annotations
        return d


def make_index(children, oci=False, attestations=False, seed="idx", created=None):
    """Manifest list (Docker) or index (OCI) over `children` (Images with platforms).

    attestations=True (OCI only) adds one attestation manifest per child, annotated the way
    buildx does (platform unknown/unknown, vnd.docker.reference.*)."""
    if attestations and not oci:
        raise ValueError("attestation children are an OCI/buildx feature")
    media_type = MT_OCI_INDEX if oci else MT_DOCKER_LIST
    entries = [c.descriptor() for c in children]
    all_children = list(children)
    if attestations:
        for c in children:
            att = make_attestation("%s/%s" % (seed, c.digest[7:19]), c)
            all_children.append(att)
            d = att.descriptor(annotations={"vnd.docker.reference.digest": c.digest,
                                            "vnd.docker.reference.type": "attestation-manifest"})
            entries.append(d)
    doc = {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
    return Index(canonical_json(doc), media_type, all_children,
                 created or (children[0].created if children else None))


def make_multiarch(seed, oci=False, attestations=False, created="2024-01-01T00:00:00Z",
                   shared_layers=(), layer_sizes=(1536,), platforms=PLATFORMS):
    """Index over one image per platform; shared_layers (Layer) go first in every child."""
    children = []
    for p in platforms:
        own = [make_layer("%s/%s/%d" % (seed, platform_string(p), i), s)
               for i, s in enumerate(layer_sizes)]
        children.append(make_image("%s/%s" % (seed, platform_string(p)),
                                   layers=list(shared_layers) + own, created=created,
                                   os_name=p["os"], architecture=p["architecture"],
                                   variant=p.get("variant"), oci=oci))
    return make_index(children, oci=oci, attestations=attestations, seed=seed, created=created)


# ------------------------------------------------------------------------------------------
# Pushing through the registry HTTP API
# ------------------------------------------------------------------------------------------

def push_artifact(client, repo, artifact, tags=()):
    """Upload blobs, then child manifests by digest, then the top manifest by each tag
    (or by digest when no tag). `client` is a regclient.RegistryClient."""
    for b in artifact.blobs():
        client.push_blob(repo, b.data, b.digest)
    manifests = artifact.manifests()
    for digest, data, mt in manifests[:-1]:
        got = client.push_manifest(repo, digest, data, mt)
        _check_digest(got, digest)
    digest, data, mt = manifests[-1]
    for ref in (list(tags) or [digest]):
        got = client.push_manifest(repo, ref, data, mt)
        _check_digest(got, digest)
    return digest


def _check_digest(got, want):
    if got and got != want:
        raise RuntimeError("registry stored %s, expected %s" % (got, want))


# ------------------------------------------------------------------------------------------
# A ready-made scenario for sync tests
# ------------------------------------------------------------------------------------------

class Fixture:
    """A set of (repo, tag, artifact) entries, pushable in one go.

    standard() gives: repository `fixture/app` with single-arch Docker images whose `created`
    order differs from the lexical tag order, a base layer shared by all of them and two tags
    on one digest; `fixture/multi` with a Docker manifest list (`list`) and an OCI index with
    attestations (`index`), both over linux/amd64, linux/arm64/v8 and linux/arm/v7.
    """

    def __init__(self):
        self.entries = []

    def add(self, repo, tag, artifact):
        self.entries.append((repo, tag, artifact))
        return artifact

    def repos(self):
        return sorted({r for r, _, _ in self.entries})

    def tags(self, repo):
        return sorted(t for r, t, _ in self.entries if r == repo)

    def artifact(self, repo, tag):
        for r, t, a in self.entries:
            if r == repo and t == tag:
                return a
        raise KeyError("%s:%s" % (repo, tag))

    def push(self, client):
        for repo, tag, artifact in self.entries:
            push_artifact(client, repo, artifact, [tag])

    @classmethod
    def standard(cls, seed="std", layer_size=4096):
        fx = cls()
        base = make_layer("%s/base" % seed, layer_size)
        # created order: v2 < v10 < v1 < latest==v3 ; lexical order: latest < v1 < v10 < v2 < v3
        times = {"v2": "2024-01-01T10:00:00Z", "v10": "2024-02-01T10:00:00Z",
                 "v1": "2024-03-01T10:00:00Z", "v3": "2024-04-01T10:00:00Z"}
        for tag, created in times.items():
            img = make_image("%s/app/%s" % (seed, tag),
                             layers=[base, make_layer("%s/app/%s/top" % (seed, tag), layer_size)],
                             created=created)
            fx.add("fixture/app", tag, img)
        fx.add("fixture/app", "latest", fx.artifact("fixture/app", "v3"))
        fx.add("fixture/multi", "list",
               make_multiarch("%s/list" % seed, oci=False, created="2024-05-01T00:00:00Z",
                              shared_layers=[base]))
        fx.add("fixture/multi", "index",
               make_multiarch("%s/index" % seed, oci=True, attestations=True,
                              created="2024-06-01T00:00:00Z", shared_layers=[base]))
        return fx


# ------------------------------------------------------------------------------------------
# Raw files (no registry): blobs and manifests on disk
# ------------------------------------------------------------------------------------------

def write_blob_files(directory, blobs):
    """Write each Blob to <directory>/<alg>-<hex>; return {digest: path}."""
    os.makedirs(directory, exist_ok=True)
    out = {}
    for b in blobs:
        path = os.path.join(directory, b.digest.replace(":", "-"))
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(b.data)
        out[b.digest] = path
    return out
