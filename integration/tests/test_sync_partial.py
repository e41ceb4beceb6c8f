"""A source that serves some bad content: one tag's layer is missing upstream, another's layer
bytes are corrupted (same size, other content). Those tags fail with a reason, the good tags
are synced, the report says "partial" and the exit code is 1. Nothing of a failed tag becomes
visible at the destination (no tag, no unverified blob), and a re-run after the source is
repaired completes the job."""

import os
import shutil

import checks
import harness
import images
import regclient
import syncrun

SRC_REPO = "upstream/app"


def blob_dir(root, digest):
    hexpart = digest.split(":", 1)[1]
    return os.path.join(root, "docker", "registry", "v2", "blobs", "sha256", hexpart[:2], hexpart)


def main():
    work = harness.make_temp_dir("trib-sync-partial-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    good = images.make_image("partial/good", created="2024-01-01T00:00:00Z", layer_sizes=(1500,))
    missing = images.make_image("partial/missing", created="2024-01-02T00:00:00Z",
                                layer_sizes=(1600,))
    corrupt = images.make_image("partial/corrupt", created="2024-01-03T00:00:00Z",
                                layer_sizes=(1700,))
    root = os.path.join(work, "src-root")
    with harness.Registry(root, workdir=os.path.join(work, "seed")) as seed:
        c = regclient.RegistryClient.for_registry(seed)
        for tag, art in (("good", good), ("missing", missing), ("corrupt", corrupt)):
            images.push_artifact(c, SRC_REPO, art, [tag])
    # Damage the source store while no registry serves it (no stale caches).
    missing_layer = missing.layers[0]
    saved = os.path.join(work, "saved-blob")
    shutil.move(blob_dir(root, missing_layer.digest), saved)
    corrupt_layer = corrupt.layers[0]
    data_path = os.path.join(blob_dir(root, corrupt_layer.digest), "data")
    with open(data_path, "rb") as f:
        original = f.read()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0xFF
    with open(data_path, "wb") as f:
        f.write(bytes(damaged))

    with harness.Registry(root, workdir=os.path.join(work, "src-reg")) as src:
        dest = syncrun.SyncTarget(os.path.join(work, "dest"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache")))
        rule = syncrun.make_rule(src.host, SRC_REPO, "mirror/app", name="partial")
        res = dest.sync(rule)
        res.expect(1)
        assert res.report["status"] == "partial", res.describe()
        acts = res.actions()
        assert acts == {"good": "synced", "missing": "failed", "corrupt": "failed"}, \
            res.describe()
        for tag in ("missing", "corrupt"):
            assert res.entry(tag)["reason"], res.entry(tag)
        assert "digest" in res.entry("corrupt")["reason"].lower() or \
            "mismatch" in res.entry("corrupt")["reason"].lower(), res.entry("corrupt")
        print("missing layer: " + res.entry("missing")["reason"])
        print("corrupt layer: " + res.entry("corrupt")["reason"])
        # Human output: same exit code, the failure is visible.
        human = dest.sync(rule, as_json=False)
        human.expect(1)
        assert "failed" in human.stdout + human.stderr, human.describe()

        tree = syncrun.tree_snapshot(dest.root)
        assert not any(corrupt_layer.digest.split(":")[1] in p for p in tree), \
            "an unverified blob became visible"
        with dest.serve() as dreg:
            dc = regclient.RegistryClient.for_registry(dreg)
            assert dc.tags("mirror/app") == ["good"], dc.tags("mirror/app")
            checks.assert_pull_matches(sk, dreg, "mirror/app", "good", good,
                                       os.path.join(work, "pull-good"))
            assert dc.get_blob("mirror/app", corrupt_layer.digest, method="HEAD").status == 404
            eligible, out = harness.garbage_collect(dreg.config_path, dry_run=True)
            reachable = {good.digest} | {b.digest for b in good.blobs()}
            assert not (eligible & reachable), out[-3000:]

    # Repair the source; a re-run completes the job.
    shutil.move(saved, blob_dir(root, missing_layer.digest))
    with open(data_path, "wb") as f:
        f.write(original)
    with harness.Registry(root, workdir=os.path.join(work, "src-reg2")) as src:
        dest.provider_config = syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache"))
        dest.write_config()
        rule["source"]["domain"] = src.host
        res = dest.sync(rule).expect(0)
        assert res.actions() == {"good": "unchanged", "missing": "synced",
                                 "corrupt": "synced"}, res.describe()
        with dest.serve() as dreg:
            for tag, art in (("good", good), ("missing", missing), ("corrupt", corrupt)):
                checks.assert_pull_matches(sk, dreg, "mirror/app", tag, art,
                                           os.path.join(work, "pull2", tag))
            eligible, out = harness.garbage_collect(dreg.config_path, dry_run=True)
            assert not eligible, out[-3000:]
    print("test_sync_partial OK")


if __name__ == "__main__":
    main()
