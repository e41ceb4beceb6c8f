"""`tributary sync` into S3 storage (`storage.s3`), served by a stock docker-registry with the
`s3` driver on the same bucket of a real Swift (s3api) on loopback.

A source registry holds a Docker manifest list, an OCI index with attestations, an image with
a 12 MiB layer (three 5 MiB-chunksize parts), and two tags on one digest. One rule syncs them
all into the bucket under a rootdirectory prefix; then:
  - the S3-backed registry serves every tag, and skopeo pulls each back byte-exact (digests,
    every manifest's bytes, `inspect --raw` of the top manifest);
  - every object in the layout is whole: blob data hashes to its key, links are exact digests,
    nothing but Distribution's keys is there, no multipart upload is left;
  - `garbage-collect --dry-run` over the S3 config keeps everything a tag reaches;
  - a re-run is a no-op: every tag "unchanged" and not one object PUT reaches Swift;
  - `publish: registry_api` on S3: blobs into the bucket, manifests and tags PUT through the
    S3-backed registry's API (201s in its access log, no blob upload), pulled back byte-exact.
"""

import json
import os
import re
import time

import checks
import harness
import images
import regclient
import s3check
import swiftserver
import syncrun

MiB = 1 << 20
ROOT = "/tributary/e2e"
SRC_REPO = "upstream/app"
DEST_REPO = "mirror/app"
API_REPO = "api/app"


def fixture():
    shared = images.make_image("s3e2e/shared", created="2024-01-02T00:00:00Z",
                               layer_sizes=(4000, 900))
    return {
        "multi": images.make_multiarch("s3e2e/multi", created="2024-01-06T00:00:00Z",
                                       layer_sizes=(3000,)),
        "oci": images.make_multiarch("s3e2e/oci", oci=True, attestations=True,
                                     created="2024-01-05T00:00:00Z", layer_sizes=(2500,)),
        "big": images.make_image("s3e2e/big", created="2024-01-04T00:00:00Z",
                                 layer_sizes=(12 * MiB, 1000)),
        "a": shared,
        "b": shared,
    }


def object_puts(swift, since):
    """Object PUTs into the bucket the object server logged after offset `since` of swift.log."""
    with open(swift.log_path, "rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    return re.findall(r'object-server: .*"PUT /d1/\d+/AUTH_%s/%s[+/]\S*" 201' % (
        swift.account, re.escape(swift.bucket)), text)


def log_size(swift):
    return os.path.getsize(swift.log_path)


def storage_case(work, sk, src, swift, dest, arts):
    s3 = swift.s3()
    target = syncrun.SyncTarget(
        os.path.join(work, "sync"), syncrun.provider_config_for([src]),
        storage={"s3": swift.registry_s3_config(ROOT, chunksize=5 * MiB)})
    rule = syncrun.make_rule(src.host, SRC_REPO, DEST_REPO, name="s3-e2e", latest_n=10)

    first_mark = log_size(swift)
    t0 = time.monotonic()
    res = target.sync(rule).expect(0)
    print("first sync %.1fs" % (time.monotonic() - t0), flush=True)
    assert res.actions() == {t: "synced" for t in arts}, res.describe()
    time.sleep(0.5)
    # The log check of the re-run below sees writes: the first run's are there.
    first_puts = object_puts(swift, first_mark)
    assert len(first_puts) >= 20, first_puts

    for tag, art in arts.items():
        checks.assert_pull_matches(sk, dest, DEST_REPO, tag, art,
                                   os.path.join(work, "pull", tag))
        raw = sk.inspect_raw("docker://%s/%s:%s" % (dest.host, DEST_REPO, tag), registry=dest)
        assert raw == art.manifest, tag
    c = regclient.RegistryClient.for_registry(dest)
    assert sorted(c.tags(DEST_REPO)) == sorted(arts), c.tags(DEST_REPO)
    assert not dest.server_errors(), dest.server_errors()

    problems = s3check.s3_layout_problems(s3, swift.bucket, ROOT)
    assert not problems, problems
    assert s3check.uploads_under(s3, swift.bucket, ROOT) == []
    objects = s3check.layout_objects(s3, swift.bucket, ROOT)
    # The 12 MiB layer arrived whole (it went up as a multipart upload).
    big_layer = arts["big"].layers[0]
    hexd = big_layer.digest.split(":", 1)[1]
    assert objects["blobs/sha256/%s/%s/data" % (hexd[:2], hexd)] == big_layer.size

    eligible, out = harness.garbage_collect(dest.config_path, dry_run=True)
    kept = set()
    for art in arts.values():
        kept |= set(checks.expected_contents(art))
    assert not (eligible & kept), "GC would delete synced content: %s\n%s" % (
        sorted(eligible & kept), out[-3000:])
    assert not eligible, out[-3000:]
    print("storage: %d objects, pulls byte-exact, GC keeps all" % len(objects), flush=True)

    before = log_size(swift)
    again = target.sync(rule).expect(0)
    assert set(again.actions().values()) == {"unchanged"}, again.describe()
    time.sleep(0.5)  # syslog datagrams are asynchronous
    puts = object_puts(swift, before)
    assert not puts, "a no-op re-run wrote objects: %s" % puts[:5]
    assert s3check.layout_objects(s3, swift.bucket, ROOT) == objects
    print("re-run: unchanged, no object written", flush=True)


def registry_api_case(work, sk, src, swift, dest, arts):
    target = syncrun.SyncTarget(
        os.path.join(work, "sync-api"), syncrun.provider_config_for([src]),
        storage={"s3": swift.registry_s3_config(ROOT, chunksize=5 * MiB)})
    target.replication_extra = {"publish": "registry_api", "registry_api": {"url": dest.url}}
    target.write_config()
    rule = syncrun.make_rule(src.host, SRC_REPO, API_REPO, name="s3-api", latest_n=10)
    log_mark = len(dest.access_log())
    res = target.sync(rule).expect(0)
    assert res.actions() == {t: "synced" for t in arts}, res.describe()
    log = dest.access_log()[log_mark:]
    uploads = [e for e in log if e[0] in ("POST", "PATCH", "PUT") and "/blobs/uploads/" in e[1]]
    assert not uploads, uploads
    puts = [e for e in log if e[0] == "PUT" and "/manifests/" in e[1]]
    assert puts and all(s == 201 for _m, _p, s in puts), puts
    put_paths = {p for _m, p, _s in puts}
    for tag in arts:
        assert "/v2/%s/manifests/%s" % (API_REPO, tag) in put_paths, put_paths
    for tag, art in arts.items():
        checks.assert_pull_matches(sk, dest, API_REPO, tag, art,
                                   os.path.join(work, "pull-api", tag))
    problems = s3check.s3_layout_problems(swift.s3(), swift.bucket, ROOT)
    assert not problems, problems
    eligible, out = harness.garbage_collect(dest.config_path, dry_run=True)
    assert not eligible, out[-3000:]
    again = target.sync(rule).expect(0)
    assert set(again.actions().values()) == {"unchanged"}, again.describe()
    print("registry_api on S3: %d manifest PUTs, no blob upload, byte-exact" % len(puts),
          flush=True)


def main():
    swiftserver.require_swift()
    syncrun.tributary_binary()
    work = harness.make_temp_dir("trib-s3-e2e-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    arts = fixture()
    with swiftserver.SwiftServer(os.path.join(work, "swift")) as swift, \
            harness.Registry(os.path.join(work, "src-root"),
                             workdir=os.path.join(work, "src")) as src:
        c = regclient.RegistryClient.for_registry(src)
        by_digest = {}
        for tag, art in arts.items():
            by_digest.setdefault(art.digest, (art, []))[1].append(tag)
        for art, tags in by_digest.values():
            images.push_artifact(c, SRC_REPO, art, tags)
        with harness.Registry(None, workdir=os.path.join(work, "dest"),
                              s3=swift.registry_s3_config(ROOT, chunksize=5 * MiB)) as dest:
            storage_case(work, sk, src, swift, dest, arts)
            registry_api_case(work, sk, src, swift, dest, arts)
        print("swift resident: %d MiB" % (swift.rss_kib() // 1024))
    print(json.dumps({"result": "S3 storage OK"}))


if __name__ == "__main__":
    main()
