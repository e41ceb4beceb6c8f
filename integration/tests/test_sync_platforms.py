"""Platform filters (DESIGN §2 "Platforms"), checked through a stock docker-registry + skopeo:

- one platform: the destination tag points at that platform's own manifest (its source digest
  preserved) and it pulls byte-exact, for an OCI index and a Docker manifest list;
- two platforms: a sparse index — the original index bytes and digest, only the selected
  children present (the third child and the attestations 404 by digest);
- a single-arch image of another platform is skipped with a reason; one of a selected
  platform is synced as is."""

import os

import checks
import harness
import images
import regclient
import syncrun

SRC_REPO = "upstream/multi"


def child_for(index, platform):
    for c in index.platform_children():
        if images.platform_string(c.platform) == platform:
            return c
    raise KeyError(platform)


def main():
    work = harness.make_temp_dir("trib-sync-platforms-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    base = images.make_layer("plat/base", 3000)
    oci_index = images.make_multiarch("plat/index", oci=True, attestations=True,
                                      created="2024-03-01T00:00:00Z", shared_layers=[base])
    docker_list = images.make_multiarch("plat/list", oci=False, created="2024-02-01T00:00:00Z",
                                        shared_layers=[base])
    arm_only = images.make_image("plat/armonly", created="2024-04-01T00:00:00Z",
                                 architecture="arm64", variant="v8", layers=[base])
    amd_only = images.make_image("plat/amdonly", created="2024-01-01T00:00:00Z",
                                 layers=[base, images.make_layer("plat/amdonly/top", 900)])
    fixture = {"index": oci_index, "list": docker_list, "armonly": arm_only,
               "amdonly": amd_only}

    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        for tag, art in fixture.items():
            images.push_artifact(sc, SRC_REPO, art, [tag])
        dest = syncrun.SyncTarget(os.path.join(work, "dest"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache")))

        # --- one platform ------------------------------------------------------------------
        one = syncrun.make_rule(src.host, SRC_REPO, "mirror/one", name="one-platform",
                                latest_n=10, platforms=["linux/amd64"])
        plan = dest.sync(one, dry_run=True).expect(0)
        want_one = {"index": child_for(oci_index, "linux/amd64").digest,
                    "list": child_for(docker_list, "linux/amd64").digest,
                    "amdonly": amd_only.digest}
        for tag, digest in want_one.items():
            assert plan.entry(tag)["action"] == "synced", plan.describe()
            assert plan.entry(tag)["chosen_digest"] == digest, (tag, plan.entry(tag), digest)
        assert plan.entry("armonly")["action"] == "skipped", plan.describe()
        res = dest.sync(one).expect(0)
        assert res.report["status"] == "succeeded", res.describe()
        skipped = res.entry("armonly")
        assert skipped["action"] == "skipped", res.describe()
        assert "linux/arm64" in skipped["reason"] and "linux/amd64" in skipped["reason"], skipped
        for tag, digest in want_one.items():
            entry = res.entry(tag)
            assert entry["action"] == "synced" and entry["chosen_digest"] == digest, entry

        # --- two platforms -----------------------------------------------------------------
        two = syncrun.make_rule(src.host, SRC_REPO, "mirror/two", name="two-platforms",
                                latest_n=10, platforms=["linux/amd64", "linux/arm/v7"])
        res2 = dest.sync(two).expect(0)
        for tag in ("index", "list"):
            entry = res2.entry(tag)
            assert entry["action"] == "synced", res2.describe()
            assert entry["chosen_digest"] == fixture[tag].digest, entry
        assert res2.entry("amdonly")["action"] == "synced", res2.describe()
        assert res2.entry("armonly")["action"] == "skipped", res2.describe()
        assert "linux/arm64" in res2.entry("armonly")["reason"], res2.entry("armonly")

        with dest.serve() as dreg:
            dc = regclient.RegistryClient.for_registry(dreg)
            assert sorted(dc.tags("mirror/one")) == ["amdonly", "index", "list"], \
                dc.tags("mirror/one")
            assert sorted(dc.tags("mirror/two")) == ["amdonly", "index", "list"], \
                dc.tags("mirror/two")
            # One platform: the tag is the child manifest itself, byte-exact and pullable.
            for tag in ("index", "list"):
                child = child_for(fixture[tag], "linux/amd64")
                assert syncrun.head_digest(dc, "mirror/one", tag) == child.digest, tag
                assert syncrun.head_digest(sc, SRC_REPO, child.digest) == child.digest
                checks.assert_pull_matches(sk, dreg, "mirror/one", tag, child,
                                           os.path.join(work, "pull-one", tag))
                # Siblings were not copied.
                for other in fixture[tag].children:
                    if other.digest != child.digest:
                        assert syncrun.manifest_status(dc, "mirror/one", other.digest) == 404, \
                            (tag, other.digest)
            checks.assert_pull_matches(sk, dreg, "mirror/one", "amdonly", amd_only,
                                       os.path.join(work, "pull-one", "amdonly"))

            # Two platforms: original index bytes, only the selected children present.
            for tag in ("index", "list"):
                art = fixture[tag]
                got = dc.get_manifest("mirror/two", tag)
                assert got.status == 200 and got.body == art.manifest, (tag, got)
                assert got.headers.get("Docker-Content-Digest") == art.digest, tag
                assert syncrun.head_digest(sc, SRC_REPO, tag) == art.digest
                selected = {child_for(art, "linux/amd64").digest,
                            child_for(art, "linux/arm/v7").digest}
                for child in art.children:
                    status = syncrun.manifest_status(dc, "mirror/two", child.digest)
                    if child.digest in selected:
                        assert status == 200, (tag, child.platform, status)
                    else:
                        assert status == 404, (tag, child.platform, status)
                assert syncrun.manifest_status(
                    dc, "mirror/two", child_for(art, "linux/arm64/v8").digest) == 404
                # Each selected platform pulls byte-exact through the sparse index.
                for arch, variant, platform in (("amd64", None, "linux/amd64"),
                                                ("arm", "v7", "linux/arm/v7")):
                    out_dir = os.path.join(work, "pull-two", tag, arch)
                    os.makedirs(out_dir)
                    extra = ["--override-os", "linux", "--override-arch", arch]
                    if variant:
                        extra += ["--override-variant", variant]
                    sk.copy("docker://%s/mirror/two:%s" % (dreg.host, tag), "dir:" + out_dir,
                            all_images=False, src_registry=dreg, extra=extra)
                    pulled = harness.PulledImage.from_dir_layout(out_dir)
                    child = child_for(art, platform)
                    assert pulled.top_digest == child.digest, (tag, platform, pulled.top_digest)
                    assert set(pulled.blobs) == {b.digest for b in child.blobs()}, (tag, platform)
            assert not dreg.server_errors(), dreg.server_errors()
            eligible, out = harness.garbage_collect(dreg.config_path, dry_run=True)
            assert not eligible, "GC would delete %s\n%s" % (sorted(eligible), out[-3000:])

        # Re-runs are no-ops for both filters (the one-platform choice is cached).
        gets_before = src.count_requests("GET", r"/manifests/")
        for rule in (one, two):
            again = dest.sync(rule).expect(0)
            acts = again.actions()
            assert acts.pop("armonly") == "skipped", again.describe()
            assert set(acts.values()) == {"unchanged"}, again.describe()
            assert again.report["totals"]["bytes"] == 0, again.describe()
        gets = src.count_requests("GET", r"/manifests/") - gets_before
        # Only the skipped single-arch image is looked at again (its platform is in its
        # config); the indexes' platform choices come from the cache: HEADs only.
        assert gets <= 2, "re-runs sent %d manifest GETs to the source" % gets
        print("re-runs: %d manifest GETs at the source" % gets)
    print("test_sync_platforms OK")


if __name__ == "__main__":
    main()
