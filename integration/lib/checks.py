"""Assertions shared by the integration tests."""

import os

import images


def expected_contents(artifact):
    """{digest: bytes or size} of everything a full pull of `artifact` must bring."""
    out = {d: data for d, data, _ in artifact.manifests()}
    for b in artifact.blobs():
        out[b.digest] = b.size
    return out


def assert_pull_matches(skopeo, registry, repo, tag, artifact, dest_dir, creds=None):
    """skopeo copy --all <registry>/<repo>:<tag> into dest_dir and compare byte for byte:
    the tag's manifest digest, every child manifest's bytes and every blob digest and size."""
    pulled = skopeo.pull("docker://%s/%s:%s" % (registry.host, repo, tag), dest_dir,
                         registry=registry, creds=creds)
    where = "%s:%s" % (repo, tag)
    if pulled.top_digest != artifact.digest:
        raise AssertionError("%s serves %s, expected %s" % (where, pulled.top_digest,
                                                          artifact.digest))
    want = expected_contents(artifact)
    missing = set(want) - pulled.all_digests()
    extra = pulled.all_digests() - set(want)
    if missing or extra:
        raise AssertionError("%s: pulled content differs: missing %s, unexpected %s" % (
            where, sorted(missing), sorted(extra)))
    for d, data in pulled.manifests.items():
        if data != want[d]:
            raise AssertionError("%s: manifest %s bytes differ" % (where, d))
    for d, size in pulled.blobs.items():
        if size != want[d]:
            raise AssertionError("%s: blob %s has %d bytes, expected %d" % (where, d, size,
                                                                            want[d]))
    return pulled


def assert_oci_layout_matches(skopeo, registry, repo, tag, artifact, layout_dir, creds=None):
    """skopeo copy --all --preserve-digests into an oci: layout; index.json names the tag with
    the artifact's digest and blobs/ holds exactly the expected content. Not for Docker
    manifest lists (an OCI layout cannot hold them unconverted)."""
    import harness  # pylint: disable=import-outside-toplevel
    if artifact.media_type == images.MT_DOCKER_LIST:
        raise ValueError("Docker manifest lists cannot go into an OCI layout unconverted")
    before = harness.oci_layout_blobs(layout_dir) if os.path.exists(
        os.path.join(layout_dir, "index.json")) else {}
    skopeo.copy_to_oci("docker://%s/%s:%s" % (registry.host, repo, tag), layout_dir, tag,
                       registry=registry, creds=creds)
    index = harness.oci_layout_index(layout_dir)
    named = [m for m in index["manifests"]
             if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    if len(named) != 1 or named[0]["digest"] != artifact.digest:
        raise AssertionError("oci layout %s: tag %s -> %s, expected %s" % (
            layout_dir, tag, [m["digest"] for m in named], artifact.digest))
    after = harness.oci_layout_blobs(layout_dir)
    want = expected_contents(artifact)
    missing = set(want) - set(after)
    if missing:
        raise AssertionError("oci layout %s: missing %s" % (layout_dir, sorted(missing)))
    new = set(after) - set(before) - set(want)
    if new:
        raise AssertionError("oci layout %s: unexpected blobs %s" % (layout_dir, sorted(new)))
    for d in want:
        size = len(want[d]) if isinstance(want[d], bytes) else want[d]
        if after[d] != size:
            raise AssertionError("oci layout %s: %s has %d bytes, expected %d" % (
                layout_dir, d, after[d], size))
