"""Images written through the rp_storage_v1 table are served byte-exact by a stock
docker-registry 2.8, listed exactly by tags/list and kept by its garbage collector."""

import os

import checks
import harness
import images
import regclient
import storagecheck
import storageplan


def build_entries():
    base = images.make_layer("rt/base", 8192)
    docker_list = images.make_multiarch("rt/list", oci=False, shared_layers=[base],
                                        created="2024-02-01T00:00:00Z")
    oci_index = images.make_multiarch("rt/index", oci=True, attestations=True,
                                      shared_layers=[base], created="2024-03-01T00:00:00Z")
    single = images.make_image("rt/single", layers=[base, images.make_layer("rt/single/top",
                                                                             20000)],
                               created="2024-01-01T00:00:00Z")
    single_oci = images.make_image("rt/single-oci", layer_sizes=(3000, 100), oci=True,
                                   created="2023-12-01T00:00:00Z")
    assert len(docker_list.children) == 3 and len(oci_index.platform_children()) == 3
    return [
        ("rt/multi", docker_list, ["list"]),
        ("rt/multi", oci_index, ["index"]),
        ("rt/single", single, ["v1", "stable"]),  # two tags on one digest
        ("rt/single", single_oci, ["oci"]),
        ("rt/deep/name", single, ["copy"]),  # same blobs linked into a second repository
    ]


def main():
    harness.require_tool(harness.REGISTRY_BIN)
    harness.require_tool(harness.SKOPEO_BIN)
    work = harness.make_temp_dir("trib-roundtrip-")
    entries = build_entries()
    plan = storageplan.write_plan(os.path.join(work, "plan"), entries)
    root = os.path.join(work, "root")
    os.makedirs(root)
    storagecheck.write_ok(root, plan)
    problems = storagecheck.storage_tree_problems(root)
    assert not problems, "\n".join(problems)
    # A second identical run is a no-op that still succeeds (idempotent publish).
    storagecheck.write_ok(root, plan)
    assert not storagecheck.storage_tree_problems(root)

    expected_tags = {}
    for repo, art, tags in entries:
        for t in tags:
            expected_tags.setdefault(repo, {})[t] = art

    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    with harness.Registry(root, workdir=os.path.join(work, "reg")) as reg:
        c = regclient.RegistryClient.for_registry(reg)
        assert sorted(c.catalog()) == sorted(expected_tags), c.catalog()
        for repo, tags in expected_tags.items():
            listed = c.tags(repo)
            assert sorted(listed) == sorted(tags), (repo, listed)
            layout = os.path.join(work, "oci", repo.replace("/", "_"))
            for tag, art in tags.items():
                head = c.get_manifest(repo, tag, method="HEAD")
                assert head.status == 200, (repo, tag, head)
                assert head.headers["Docker-Content-Digest"] == art.digest
                assert head.headers["Content-Type"] == art.media_type, head.headers
                checks.assert_pull_matches(sk, reg, repo, tag, art,
                                           os.path.join(work, "pull", repo, tag))
                if art.media_type != images.MT_DOCKER_LIST:
                    checks.assert_oci_layout_matches(sk, reg, repo, tag, art, layout)
                for child in art.children:  # children by digest, untagged revisions
                    res = c.get_manifest(repo, child.digest)
                    assert res.status == 200 and res.body == child.manifest, (child.digest, res)
        assert not reg.server_errors(), reg.server_errors()
        reachable = set()
        for repo, art, _ in entries:
            reachable |= set(checks.expected_contents(art))
        eligible, out = harness.garbage_collect(reg.config_path, dry_run=True)
        assert not (eligible & reachable), "GC would delete reachable content:\n" + out
        assert not eligible, "nothing was untagged, yet GC finds garbage:\n" + out
    print("storage round trip OK: %d repositories, %d tags, %d digests" % (
        len(expected_tags), sum(len(t) for t in expected_tags.values()), len(reachable)))


if __name__ == "__main__":
    main()
