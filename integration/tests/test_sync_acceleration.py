"""Acceleration (`"acceleration": true`, DESIGN §2) against real docker-registry processes:

(a) ranges: a source with a ~48 MiB incompressible layer. With acceleration the layer is
    fetched as parallel byte ranges (the source's access log shows >= 2 ranged blob GETs
    answered 206 for it, and no whole GET), the small blobs whole, and the result pulls back
    byte-exact with skopeo; the report counts it in totals.ranged_*. Without acceleration:
    0 ranged GETs. Wall times of both runs are printed (loopback, so only indicative).
(b) mirrors: an origin and a mirror registry seeded by pushing the same artifacts. With
    acceleration the origin serves the tag listing and the HEAD by tag but no blob and no
    manifest by digest; everything content-addressed comes from the mirror; byte-exact.
    Without acceleration the mirror gets no request. With the mirror stopped the sync still
    succeeds from the origin (one "mirror ... is not usable" line, byte-exact)."""

import os
import re
import time

import checks
import harness
import images
import regclient
import syncrun

BIG_LAYER = 48 * 1024 * 1024
SRC_REPO = "upstream/accel"


def settle():
    """docker-registry writes its access log line after the response; give it a moment."""
    time.sleep(0.5)


def blob_gets(reg, digest=None, status=None):
    path = r"/blobs/" + (re.escape(digest) if digest else "")
    return reg.count_requests("GET", path, status=status)


def timed_sync(target, rule, extra=()):
    start = time.monotonic()
    res = target.sync(rule, extra=extra)
    return res, time.monotonic() - start


def check_ranges(work, sk):
    big_layer = images.make_layer("accel/big", BIG_LAYER, files=1)
    small_layer = images.make_layer("accel/small", 256 * 1024)
    image = images.make_image("accel/img", layers=[big_layer, small_layer],
                              created="2024-03-01T00:00:00Z")
    print("big layer %s: %d bytes" % (big_layer.digest, big_layer.size), flush=True)
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        images.push_artifact(regclient.RegistryClient.for_registry(src), SRC_REPO, image, ["v1"])

        # --- acceleration on: ranged ---------------------------------------------------------
        fast = syncrun.SyncTarget(os.path.join(work, "dest-ranged"),
                                  syncrun.provider_config_for([src]))
        rule = syncrun.make_rule(src.host, SRC_REPO, "mirror/accel", name="ranged")
        rule["acceleration"] = True
        settle()
        ranged_before = blob_gets(src, big_layer.digest, 206)
        whole_before = blob_gets(src, big_layer.digest, 200)
        small_ranged_before = blob_gets(src, small_layer.digest, 206)
        res, t_ranged = timed_sync(fast, rule)
        res.expect(0)
        assert res.actions() == {"v1": "synced"}, res.describe()
        settle()
        ranged = blob_gets(src, big_layer.digest, 206) - ranged_before
        assert ranged >= 2, "only %d ranged GETs of the big layer\n%s" % (ranged, res.describe())
        assert blob_gets(src, big_layer.digest, 200) == whole_before, \
            "the big layer was also fetched whole"
        assert blob_gets(src, small_layer.digest, 206) == small_ranged_before, \
            "a blob under range_threshold_bytes was ranged"
        totals = res.report["totals"]
        assert totals["ranged_blobs"] == 1, totals
        assert totals["ranged_bytes"] == big_layer.size, totals
        assert totals["blobs"] == 3 and totals["mirror_blobs"] == 0, totals
        with fast.serve() as dreg:
            checks.assert_pull_matches(sk, dreg, "mirror/accel", "v1", image,
                                       os.path.join(work, "pull-ranged"))
            assert not dreg.server_errors(), dreg.server_errors()
        print("acceleration on: %d ranged (206) GETs of the big layer, byte-exact, %.2fs"
              % (ranged, t_ranged), flush=True)

        # --- acceleration off: no ranges -----------------------------------------------------
        plain = syncrun.SyncTarget(os.path.join(work, "dest-plain"),
                                   syncrun.provider_config_for([src]))
        rule = syncrun.make_rule(src.host, SRC_REPO, "mirror/plain", name="plain")
        settle()
        ranged_before = blob_gets(src, status=206)
        whole_before = blob_gets(src, big_layer.digest, 200)
        res, t_plain = timed_sync(plain, rule)
        res.expect(0)
        assert res.actions() == {"v1": "synced"}, res.describe()
        settle()
        assert blob_gets(src, status=206) == ranged_before, "ranged GETs without acceleration"
        assert blob_gets(src, big_layer.digest, 200) == whole_before + 1
        assert res.report["totals"]["ranged_blobs"] == 0, res.report["totals"]
        with plain.serve() as dreg:
            checks.assert_pull_matches(sk, dreg, "mirror/plain", "v1", image,
                                       os.path.join(work, "pull-plain"))
        print("acceleration off: 0 ranged GETs, byte-exact, %.2fs" % t_plain, flush=True)
        print("loopback wall time, 48 MiB layer: ranged %.2fs vs whole %.2fs"
              % (t_ranged, t_plain), flush=True)


def check_mirrors(work, sk):
    single = images.make_image("accel/mirror-img", layer_sizes=(3 * 1024 * 1024, 4096),
                               created="2024-04-01T00:00:00Z")
    multi = images.make_multiarch("accel/mirror-idx", oci=True, attestations=True,
                                  created="2024-04-02T00:00:00Z", layer_sizes=(512 * 1024,))
    fixture = {"single": single, "multi": multi}
    all_blobs = {b.digest for art in fixture.values() for b in art.blobs()}
    with harness.Registry(os.path.join(work, "origin-root"),
                          workdir=os.path.join(work, "origin-reg")) as origin, \
            harness.Registry(os.path.join(work, "mirror-root"),
                             workdir=os.path.join(work, "mirror-reg")) as mirror:
        oc = regclient.RegistryClient.for_registry(origin)
        mc = regclient.RegistryClient.for_registry(mirror)
        for tag, art in fixture.items():
            images.push_artifact(oc, SRC_REPO, art, [tag])
            images.push_artifact(mc, SRC_REPO, art)  # by digest only: the mirror's tags don't matter
        config = syncrun.provider_config_for([origin, mirror])
        config["mirrors"] = {origin.host: [mirror.host]}

        # --- acceleration on: content from the mirror ----------------------------------------
        via_mirror = syncrun.SyncTarget(os.path.join(work, "dest-mirror"), config)
        rule = syncrun.make_rule(origin.host, SRC_REPO, "mirror/app", name="mirrored")
        rule["acceleration"] = True
        settle()
        origin_before = origin.access_log()
        mirror_before = mirror.access_log()
        res = via_mirror.sync(rule, extra=["--verbose"]).expect(0)
        assert res.actions() == {"single": "synced", "multi": "synced"}, res.describe()
        settle()
        origin_new = origin.access_log()[len(origin_before):]
        mirror_new = mirror.access_log()[len(mirror_before):]
        origin_blob_gets = [e for e in origin_new if e[0] == "GET" and "/blobs/" in e[1]]
        assert not origin_blob_gets, "origin served blobs the mirror has: %s" % origin_blob_gets
        by_digest = [e for e in origin_new if "/manifests/sha256:" in e[1]]
        assert not by_digest, "origin served manifests by digest: %s" % by_digest
        by_tag = [e for e in origin_new if re.search(r"/manifests/(single|multi)$", e[1])]
        assert len(by_tag) >= 2, "no HEAD/GET by tag at the origin: %s" % origin_new
        assert any("/tags/list" in e[1] for e in origin_new), origin_new
        mirror_by_tag = [e for e in mirror_new
                         if "/tags/list" in e[1] or re.search(r"/manifests/[^/:]+$", e[1])]
        assert not mirror_by_tag, "tags were resolved at the mirror: %s" % mirror_by_tag
        mirror_blobs = {e[1].rsplit("/", 1)[1] for e in mirror_new
                        if e[0] == "GET" and "/blobs/" in e[1] and e[2] == 200}
        assert all_blobs <= mirror_blobs, "not every blob came from the mirror: %s" % (
            sorted(all_blobs - mirror_blobs))
        totals = res.report["totals"]
        assert totals["mirror_blobs"] == totals["blobs"] == len(all_blobs), totals
        with via_mirror.serve() as dreg:
            for tag, art in fixture.items():
                checks.assert_pull_matches(sk, dreg, "mirror/app", tag, art,
                                           os.path.join(work, "pull-mirror", tag))
        print("mirror: origin served %d requests (no blob, no manifest by digest), the mirror "
              "%d blobs; byte-exact" % (len(origin_new), len(mirror_blobs)), flush=True)

        # --- acceleration off: the mirror is not used ----------------------------------------
        no_accel = syncrun.SyncTarget(os.path.join(work, "dest-no-accel"), config)
        rule_off = syncrun.make_rule(origin.host, SRC_REPO, "mirror/app", name="not-accelerated")
        settle()
        mirror_count = len(mirror.access_log())
        res = no_accel.sync(rule_off).expect(0)
        assert set(res.actions().values()) == {"synced"}, res.describe()
        settle()
        assert len(mirror.access_log()) == mirror_count, "mirror used without acceleration"
        assert res.report["totals"]["mirror_blobs"] == 0, res.report["totals"]
        print("acceleration off: the mirror got no request", flush=True)

        # --- mirror down: the origin serves ---------------------------------------------------
        mirror.stop()
        fallback = syncrun.SyncTarget(os.path.join(work, "dest-fallback"), config)
        settle()
        origin_count = len(origin.access_log())
        res = fallback.sync(rule, extra=["--verbose"]).expect(0)
        assert res.report["status"] == "succeeded", res.describe()
        assert res.actions() == {"single": "synced", "multi": "synced"}, res.describe()
        assert "mirror %s is not usable" % mirror.host in res.stderr, res.describe()
        assert res.report["totals"]["mirror_blobs"] == 0, res.report["totals"]
        settle()
        origin_new = origin.access_log()[origin_count:]
        from_origin = {e[1].rsplit("/", 1)[1] for e in origin_new
                       if e[0] == "GET" and "/blobs/" in e[1] and e[2] == 200}
        assert from_origin == all_blobs, sorted(all_blobs ^ from_origin)
        with fallback.serve() as dreg:
            for tag, art in fixture.items():
                checks.assert_pull_matches(sk, dreg, "mirror/app", tag, art,
                                           os.path.join(work, "pull-fallback", tag))
        print("mirror stopped: synced from the origin, byte-exact", flush=True)


def main():
    work = harness.make_temp_dir("trib-sync-accel-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    check_ranges(work, sk)
    check_mirrors(work, sk)
    print("test_sync_acceleration OK")


if __name__ == "__main__":
    main()
