"""Larger blobs and concurrent runs:

- three `tributary sync` processes of the same rule into one storage root at once all exit 0;
  the result is byte-exact, the storage tree has no stray temp files or bad links, and GC
  keeps everything;
- a rule with `acceleration: true` syncs the same multi-MiB images byte-exact, with
  range_threshold_bytes / range_part_bytes set so the 12 MiB layer is over the threshold: the
  source answers >= 2 ranged (206) GETs for that layer."""

import os
import re
import subprocess
import time

import checks
import harness
import images
import regclient
import storagecheck
import syncrun

SRC_REPO = "upstream/big"
MiB = 1024 * 1024
# The defaults (32 MiB threshold, 8 MiB parts) would leave the 12 MiB layer whole.
RANGE_THRESHOLD = 8 * MiB
RANGE_PART = 4 * MiB


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
        acc_config = syncrun.provider_config_for([src], cache_dir=os.path.join(work, "cache-acc"))
        acc_config["range_threshold_bytes"] = RANGE_THRESHOLD
        acc_config["range_part_bytes"] = RANGE_PART
        fast = syncrun.SyncTarget(os.path.join(work, "dest-acc"), acc_config)
        rule = syncrun.make_rule(src.host, SRC_REPO, "mirror/acc", name="accelerated")
        rule["acceleration"] = True
        big_layer = big.layers[0]
        assert big_layer.size >= RANGE_THRESHOLD and big_layer.size > RANGE_PART, big_layer.size
        big_path = r"/blobs/" + re.escape(big_layer.digest)
        time.sleep(0.5)  # docker-registry logs a request after answering it
        ranged_before = src.count_requests("GET", big_path, status=206)
        res = fast.sync(rule).expect(0)
        assert res.actions() == {"big": "synced", "idx": "synced"}, res.describe()
        time.sleep(0.5)
        ranged = src.count_requests("GET", big_path, status=206) - ranged_before
        assert ranged >= 2, "only %d ranged GETs of the %d-byte layer\n%s" % (
            ranged, big_layer.size, res.describe())
        assert res.report["totals"]["ranged_blobs"] >= 1, res.report["totals"]
        with fast.serve() as dreg:
            for tag, art in fixture.items():
                checks.assert_pull_matches(sk, dreg, "mirror/acc", tag, art,
                                           os.path.join(work, "pull-acc", tag))
        print("acceleration: byte-exact; %d ranged (206) GETs of the 12 MiB layer" % ranged)
    print("test_sync_concurrent OK")


if __name__ == "__main__":
    main()
