"""Overwrite policy (DESIGN §2 "Overwrite"): a destination tag that already points at another
digest is kept when overwrite is false (reported "kept", exit 0, digest unchanged) and replaced
when it is true; a tag already at the source digest is "unchanged"."""

import os

import checks
import harness
import images
import regclient
import syncrun

DEST_REPO = "mirror/app"


def main():
    work = harness.make_temp_dir("trib-sync-overwrite-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    image_a = images.make_image("ow/a", created="2024-01-01T00:00:00Z", layer_sizes=(2000, 800))
    image_b = images.make_image("ow/b", created="2024-02-01T00:00:00Z", layer_sizes=(2100, 700))
    other_a = images.make_image("ow/a2", created="2024-01-02T00:00:00Z", layer_sizes=(600,))

    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        images.push_artifact(sc, "upstream/one", image_a, ["v1"])
        images.push_artifact(sc, "upstream/one", other_a, ["v2"])
        images.push_artifact(sc, "upstream/two", image_b, ["v1"])
        dest = syncrun.SyncTarget(os.path.join(work, "dest"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache")))

        # Pre-populate mirror/app:v1 (and :v2) from upstream/one.
        first = dest.sync(syncrun.make_rule(src.host, "upstream/one", DEST_REPO,
                                            name="populate")).expect(0)
        assert first.actions() == {"v1": "synced", "v2": "synced"}, first.describe()

        from_two = syncrun.make_rule(src.host, "upstream/two", DEST_REPO, name="from-two",
                                     overwrite=False)
        plan = dest.sync(from_two, dry_run=True).expect(0)
        assert plan.entry("v1")["action"] == "kept", plan.describe()
        kept = dest.sync(from_two).expect(0)
        entry = kept.entry("v1")
        assert entry["action"] == "kept", kept.describe()
        assert "destination differs" in entry["reason"], entry
        assert entry["bytes"] == 0 and kept.report["totals"]["bytes"] == 0, \
            kept.describe()
        assert kept.report["status"] == "succeeded", kept.describe()

        with dest.serve() as dreg:
            dc = regclient.RegistryClient.for_registry(dreg)
            assert syncrun.head_digest(dc, DEST_REPO, "v1") == image_a.digest
            checks.assert_pull_matches(sk, dreg, DEST_REPO, "v1", image_a,
                                       os.path.join(work, "pull-kept"))

            # The same rule with overwrite on replaces the tag (the registry keeps serving).
            from_two["destination"]["overwrite"] = True
            plan = dest.sync(from_two, dry_run=True).expect(0)
            assert plan.entry("v1")["action"] == "synced", plan.describe()
            replaced = dest.sync(from_two).expect(0)
            assert replaced.entry("v1")["action"] == "synced", replaced.describe()
            assert replaced.entry("v1")["chosen_digest"] == image_b.digest, replaced.describe()
            assert replaced.report["totals"]["bytes"] == sum(
                b.size for b in image_b.blobs()), replaced.report["totals"]
            assert syncrun.head_digest(dc, DEST_REPO, "v1") == image_b.digest
            assert syncrun.head_digest(sc, "upstream/two", "v1") == image_b.digest
            checks.assert_pull_matches(sk, dreg, DEST_REPO, "v1", image_b,
                                       os.path.join(work, "pull-replaced"))
            # The other tag from the first source is untouched.
            assert syncrun.head_digest(dc, DEST_REPO, "v2") == other_a.digest
            assert sorted(dc.tags(DEST_REPO)) == ["v1", "v2"], dc.tags(DEST_REPO)

            # Now equal: unchanged, whatever overwrite says.
            for flag in (True, False):
                from_two["destination"]["overwrite"] = flag
                same = dest.sync(from_two).expect(0)
                assert same.actions() == {"v1": "unchanged"}, same.describe()
            assert not dreg.server_errors(), dreg.server_errors()
            # image A is no longer tagged in mirror/app: GC may reclaim only A's manifest and
            # its own blobs, never anything B or v2 reaches.
            eligible, out = harness.garbage_collect(dreg.config_path, dry_run=True)
            reachable = {image_b.digest, other_a.digest} | \
                {b.digest for b in image_b.blobs() + other_a.blobs()}
            assert not (eligible & reachable), "GC would delete reachable %s\n%s" % (
                sorted(eligible & reachable), out[-3000:])
    print("test_sync_overwrite OK")


if __name__ == "__main__":
    main()
