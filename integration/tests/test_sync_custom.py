"""`tributary sync` from a custom (plain docker-registry) source into a fresh storage root.

One source repository holds Docker manifest lists and OCI indexes (three platforms, the OCI
one with attestation children), single-arch images, a base layer shared by every tag, tags
sharing a digest, and `created` times whose order is unlike the lexical tag order. The plan
must select exactly the newest latest_n by `created` (ties by tag name, descending); every
selected tag must come back byte-exact through a stock docker-registry and skopeo; a second
run is a no-op without a single manifest GET at the source; GC keeps everything."""

import os

import checks
import harness
import images
import regclient
import syncrun

SRC_REPO = "upstream/app"
DEST_REPO = "mirror/app"


def build_fixture():
    """{tag: artifact} plus the expected newest-first order of the tags the rule selects."""
    base = images.make_layer("custom/base", 6000)
    tags = {}

    def single(tag, created, oci=False):
        return images.make_image("custom/app/" + tag, oci=oci, created=created,
                                 layers=[base, images.make_layer("custom/app/%s/top" % tag,
                                                                 3000)])

    tags["v0"] = single("v0", "2023-06-01T00:00:00Z")
    tags["v2"] = single("v2", "2024-01-01T10:00:00Z")
    tags["v10"] = single("v10", "2024-02-01T10:00:00Z", oci=True)
    tags["v1"] = single("v1", "2024-03-01T10:00:00Z")
    tags["v3"] = single("v3", "2024-04-01T10:00:00Z")
    tags["latest"] = tags["v3"]  # same digest, same created: tie broken by name
    # A Docker manifest list whose children differ in `created`: the newest child counts.
    children = []
    for p, created in zip(images.PLATFORMS, ("2024-05-01T00:00:00Z", "2024-05-03T00:00:00Z",
                                             "2024-05-02T00:00:00Z")):
        ps = images.platform_string(p)
        children.append(images.make_image(
            "custom/list/" + ps, created=created, os_name=p["os"],
            architecture=p["architecture"], variant=p.get("variant"),
            layers=[base, images.make_layer("custom/list/%s/top" % ps, 2500)]))
    tags["multi-list"] = images.make_index(children, oci=False, seed="custom/list")
    tags["multi-index"] = images.make_multiarch("custom/index", oci=True, attestations=True,
                                                created="2024-06-01T00:00:00Z",
                                                shared_layers=[base], layer_sizes=(2000,))
    tags["stable"] = tags["multi-index"]
    # Newest of all but excluded by the regex.
    tags["nightly"] = single("nightly", "2024-12-24T00:00:00Z")
    created = {"v0": "2023-06-01T00:00:00Z", "v2": "2024-01-01T10:00:00Z",
               "v10": "2024-02-01T10:00:00Z", "v1": "2024-03-01T10:00:00Z",
               "v3": "2024-04-01T10:00:00Z", "latest": "2024-04-01T10:00:00Z",
               "multi-list": "2024-05-03T00:00:00Z", "multi-index": "2024-06-01T00:00:00Z",
               "stable": "2024-06-01T00:00:00Z", "nightly": "2024-12-24T00:00:00Z"}
    # Newest first, ties by name descending; nightly filtered; latest_n=7 drops v2 and v0.
    expected = ["stable", "multi-index", "multi-list", "v3", "latest", "v1", "v10"]
    return tags, created, expected


REGEX = "v[0-9]+|latest|stable|multi-.*"
LATEST_N = 7


def main():
    work = harness.make_temp_dir("trib-sync-custom-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    fixture, created, expected = build_fixture()

    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        for tag, art in fixture.items():
            images.push_artifact(sc, SRC_REPO, art, [tag])
        assert sorted(sc.tags(SRC_REPO)) == sorted(fixture), sc.tags(SRC_REPO)

        dest = syncrun.SyncTarget(os.path.join(work, "dest"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache")))
        rule = syncrun.make_rule(src.host, SRC_REPO, DEST_REPO, name="custom-e2e",
                                 tag_regex=REGEX, latest_n=LATEST_N)

        # 1. Dry run: the exact selection, newest first, with the timestamps used; no writes.
        plan = dest.sync(rule, dry_run=True).expect(0)
        assert plan.tags() == expected, "plan order %s, expected %s\n%s" % (
            plan.tags(), expected, plan.describe())
        for entry in (e for e in plan.report["tags"] if e["action"] != "beyond_latest_n"):
            tag = entry["tag"]
            assert entry["action"] == "synced", plan.describe()
            assert entry["chosen_digest"] == fixture[tag].digest, (tag, entry)
            assert entry["timestamp"] is not None, entry
            got = syncrun.parse_rfc3339(entry["timestamp"])
            assert got == syncrun.parse_rfc3339(created[tag]), (tag, entry, created[tag])
            assert entry["timestamp_kind"], entry
        assert plan.report["totals"]["bytes"] > 0, plan.describe()
        # Shared blobs are counted once: the total equals the set of distinct blobs.
        distinct = {}
        for tag in expected:
            for b in fixture[tag].blobs():
                distinct[b.digest] = b.size
        assert plan.report["totals"]["bytes"] == sum(distinct.values()), (
            plan.report["totals"], sum(distinct.values()))
        assert sum(e["bytes"] for e in plan.report["tags"]) == \
            plan.report["totals"]["bytes"], plan.describe()
        written = [p for p in syncrun.tree_snapshot(dest.root)]
        assert not written, "dry run wrote %s" % written[:10]

        # 2. Sync.
        res = dest.sync(rule).expect(0)
        rep = res.report
        assert rep["status"] == "succeeded", res.describe()
        assert res.tags() == expected, res.describe()
        for entry in (e for e in rep["tags"] if e["action"] != "beyond_latest_n"):
            assert entry["action"] == "synced", res.describe()
            assert entry["chosen_digest"] == fixture[entry["tag"]].digest, entry
        assert rep["totals"]["bytes"] == sum(distinct.values()), (
            rep["totals"], sum(distinct.values()))
        assert rep["totals"]["blobs"] == len(distinct), rep["totals"]
        print("first sync: %d tags, %d bytes" % (len(expected), rep["totals"]["bytes"]))

        with dest.serve() as dreg:
            dc = regclient.RegistryClient.for_registry(dreg)
            assert sorted(dc.tags(DEST_REPO)) == sorted(expected), dc.tags(DEST_REPO)
            assert dc.catalog() == [DEST_REPO], dc.catalog()
            for tag in expected:
                src_digest = syncrun.head_digest(sc, SRC_REPO, tag)
                dst_digest = syncrun.head_digest(dc, DEST_REPO, tag)
                assert src_digest == dst_digest == fixture[tag].digest, (
                    tag, src_digest, dst_digest)
                checks.assert_pull_matches(sk, dreg, DEST_REPO, tag, fixture[tag],
                                           os.path.join(work, "pull", tag))
            # Every child (attestations included) is there by digest, byte for byte.
            for child in fixture["multi-index"].children:
                got = dc.get_manifest(DEST_REPO, child.digest)
                assert got.status == 200 and got.body == child.manifest, (child.digest, got)
            for tag in ("v2", "v0", "nightly"):
                assert syncrun.head_digest(dc, DEST_REPO, tag) is None, tag
            assert not dreg.server_errors(), dreg.server_errors()
            print("every selected tag pulled back byte-exact")

            # 3. Second run: nothing to do, no manifest GET at the source (HEADs only).
            gets_before = src.count_requests("GET", r"/manifests/")
            blob_gets_before = src.count_requests("GET", r"/blobs/")
            heads_before = src.count_requests("HEAD", r"/manifests/")
            again = dest.sync(rule).expect(0)
            assert again.report["status"] == "succeeded", again.describe()
            assert again.tags() == expected, again.describe()
            assert set(again.actions().values()) == {"unchanged"}, again.describe()
            assert again.report["totals"]["bytes"] == 0, again.report["totals"]
            assert again.report["totals"]["blobs"] == 0, again.report["totals"]
            for entry in (e for e in again.report["tags"] if e["action"] != "beyond_latest_n"):
                assert entry["bytes"] == 0, entry
            gets = src.count_requests("GET", r"/manifests/") - gets_before
            blob_gets = src.count_requests("GET", r"/blobs/") - blob_gets_before
            heads = src.count_requests("HEAD", r"/manifests/") - heads_before
            assert gets == 0, "second run sent %d manifest GETs to the source" % gets
            assert blob_gets == 0, "second run sent %d blob GETs to the source" % blob_gets
            print("second run: no-op (%d manifest HEADs, 0 GETs)" % heads)
            for tag in expected:
                assert syncrun.head_digest(dc, DEST_REPO, tag) == fixture[tag].digest, tag

            # 4. GC keeps everything a tag reaches.
            eligible, out = harness.garbage_collect(dreg.config_path, dry_run=True)
            assert not eligible, "GC would delete %s\n%s" % (sorted(eligible), out[-3000:])
            assert not src.server_errors(), src.server_errors()

            # 5. Upstream moves on: a newer tag enters the window, the oldest selected one
            # leaves it (it stays at the destination: syncing never deletes). Only the new
            # image's own blobs are fetched; the shared base layer is reused from storage.
            newer = images.make_image(
                "custom/app/v4", created="2024-07-01T00:00:00Z",
                layers=[fixture["v1"].layers[0], images.make_layer("custom/app/v4/top", 3000)])
            images.push_artifact(sc, SRC_REPO, newer, ["v4"])
            moved = dest.sync(rule).expect(0)
            want = ["v4"] + expected[:-1]
            assert moved.tags() == want, moved.describe()
            acts = moved.actions()
            assert acts.pop("v4") == "synced", moved.describe()
            assert set(acts.values()) == {"unchanged"}, moved.describe()
            own = [b for b in newer.blobs() if b.digest != fixture["v1"].layers[0].digest]
            assert moved.report["totals"]["bytes"] == sum(b.size for b in own), (
                moved.report["totals"], [b.size for b in own])
            assert moved.report["totals"]["blobs_reused"] >= 1, moved.report["totals"]
            assert sorted(dc.tags(DEST_REPO)) == sorted(expected + ["v4"]), dc.tags(DEST_REPO)
            checks.assert_pull_matches(sk, dreg, DEST_REPO, "v4", newer,
                                       os.path.join(work, "pull", "v4"))
            eligible, out = harness.garbage_collect(dreg.config_path, dry_run=True)
            assert not eligible, "GC would delete %s\n%s" % (sorted(eligible), out[-3000:])
        many_tags_one_digest(work, src, sc, sk)
    print("test_sync_custom OK")


def many_tags_one_digest(work, src, sc, sk):
    """45 tags on two digests with equal `created`: ties break by tag name, descending; the
    maximum latest_n for a custom source (30) is honoured; each digest is written once."""
    a = images.make_image("custom/many/a", created="2024-08-01T00:00:00Z", layer_sizes=(900,))
    b = images.make_image("custom/many/b", created="2024-08-01T00:00:00Z", layer_sizes=(800,))
    names = ["r%02d" % i for i in range(45)]
    art = {n: (a if i % 2 == 0 else b) for i, n in enumerate(names)}
    for n in names:
        images.push_artifact(sc, "upstream/many", art[n], [n])
    dest = syncrun.SyncTarget(os.path.join(work, "dest-many"), syncrun.provider_config_for(
        [src], cache_dir=os.path.join(work, "cache-many")))
    rule = syncrun.make_rule(src.host, "upstream/many", "mirror/many", name="many",
                             tag_regex="r[0-9]+", latest_n=30)
    expected = sorted(names, reverse=True)[:30]
    res = dest.sync(rule).expect(0)
    assert res.tags() == expected, res.describe()
    assert set(res.actions().values()) == {"synced"}, res.describe()
    assert res.report["totals"]["bytes"] == sum(x.size for x in a.blobs() + b.blobs()), \
        res.report["totals"]
    with dest.serve() as dreg:
        dc = regclient.RegistryClient.for_registry(dreg)
        assert sorted(dc.tags("mirror/many")) == sorted(expected), dc.tags("mirror/many")
        for n in (expected[0], expected[-1]):
            checks.assert_pull_matches(sk, dreg, "mirror/many", n, art[n],
                                       os.path.join(work, "pull-many", n))
        for n in expected:
            assert syncrun.head_digest(dc, "mirror/many", n) == art[n].digest, n
    print("45 tags on 2 digests: newest 30 by name on equal times, synced")


if __name__ == "__main__":
    main()
