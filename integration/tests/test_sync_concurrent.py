"""Larger blobs and concurrent runs:

- three `tributary sync` processes of the same rule into one storage root at once all exit 0;
  the result is byte-exact, the storage tree has no stray temp files or bad links, and GC
  keeps everything;
- a rule with `acceleration: true` syncs the same multi-MiB images byte-exact (how many ranged
  blob GETs the source answered is printed: DESIGN §2 asks for parallel byte ranges on large
  blobs, which the plugin does not do yet; this test does not fail on that)."""

import os
import subprocess

import checks
import harness
import images
import regclient
import storagecheck
import syncrun

SRC_REPO = "upstream/big"


def main():
    work = harness.make_temp_dir("trib-sync-concurrent-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    big = images.make_image("conc/big", created="2024-01-01T00:00:00Z",
                            layer_sizes=(12 * 1024 * 1024, 3 * 1024 * 1024))
    idx = images.make_multiarch("conc/idx", oci=True, attestations=True,
                                created="2024-01-02T00:00:00Z",
                                shared_layers=[big.layers[1]], layer_sizes=(2 * 1024 * 1024,))
    fixture = {"big": big, "idx": idx}
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        for tag, art in fixture.items():
            images.push_artifact(sc, SRC_REPO, art, [tag])

        # --- concurrent runs ---------------------------------------------------------------
        dest = syncrun.SyncTarget(os.path.join(work, "dest"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache")))
        rule_path = dest.write_rule(syncrun.make_rule(src.host, SRC_REPO, "mirror/big",
                                                      name="concurrent"))
        argv = [syncrun.tributary_binary(), "sync", "--config", dest.config_path, "--rule",
                rule_path, "--json"]
        procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(3)]
        for p in procs:
            out, err = p.communicate(timeout=300)
            res = syncrun.SyncResult(argv, p.returncode, out.decode(errors="replace"),
                                     err.decode(errors="replace"), True)
            res.expect(0)
            assert res.report["status"] == "succeeded", res.describe()
            assert set(res.actions().values()) <= {"synced", "unchanged"}, res.describe()
        problems = storagecheck.storage_tree_problems(dest.root)
        assert not problems, problems
        with dest.serve() as dreg:
            for tag, art in fixture.items():
                checks.assert_pull_matches(sk, dreg, "mirror/big", tag, art,
                                           os.path.join(work, "pull-conc", tag))
            eligible, out = harness.garbage_collect(dreg.config_path, dry_run=True)
            assert not eligible, out[-3000:]
            assert not dreg.server_errors(), dreg.server_errors()
        print("3 concurrent runs: byte-exact, clean tree")

        # --- acceleration ------------------------------------------------------------------
        fast = syncrun.SyncTarget(os.path.join(work, "dest-acc"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache-acc")))
        rule = syncrun.make_rule(src.host, SRC_REPO, "mirror/acc", name="accelerated")
        rule["acceleration"] = True
        ranged_before = src.count_requests("GET", r"/blobs/", status=206)
        res = fast.sync(rule).expect(0)
        assert res.actions() == {"big": "synced", "idx": "synced"}, res.describe()
        ranged = src.count_requests("GET", r"/blobs/", status=206) - ranged_before
        with fast.serve() as dreg:
            for tag, art in fixture.items():
                checks.assert_pull_matches(sk, dreg, "mirror/acc", tag, art,
                                           os.path.join(work, "pull-acc", tag))
        print("acceleration: byte-exact; %d ranged (206) blob GETs at the source" % ranged)
    print("test_sync_concurrent OK")


if __name__ == "__main__":
    main()
