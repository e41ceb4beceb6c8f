"""Crash consistency of the storage write protocol (DESIGN §5).

Image A is published to tag `t`. Then, for every fault-hook step k of publishing image B
(a multi-arch OCI index sharing a layer with A) over the same tag, plus a new tag `u` for B,
on a fresh copy of the root:
  * --fail-at-step k (the step returns an error) and
  * --kill-at-step k (SIGKILL at that step),
and a stock docker-registry started on the result must serve `t` as A or B, fully pullable
(every manifest and blob, byte-exact), with no 5xx, tags/list exactly ["t"] or ["t", "u"]
(`u` serving B), and a GC dry run that would delete nothing the tags reach. Finally a clean re-run of the writer on the same
root (the restart after a crash) must publish B.
"""

import os
import shutil
import time

import checks
import harness
import images
import regclient
import storagecheck
import storageplan

REPO = "crash/img"
TAG = "t"
NEW_TAG = "u"  # B also creates this tag: exercises the new-tag path ("tag.create")


def check_served(reg, sk, c, work, label, allowed, new_tag_art=None, require_new_tag=False):
    """The tag serves one of `allowed` (digest -> artifact) completely; returns its digest.
    NEW_TAG, when listed (or required), must serve new_tag_art completely."""
    res = c.get_manifest(REPO, TAG, method="HEAD")
    assert res.status == 200, "%s: HEAD %s:%s -> %r" % (label, REPO, TAG, res)
    digest = res.headers["Docker-Content-Digest"]
    assert digest in allowed, "%s: tag serves %s, neither A nor B" % (label, digest)
    art = allowed[digest]
    checks.assert_pull_matches(sk, reg, REPO, TAG, art, os.path.join(work, "pull", label))
    tags = sorted(c.tags(REPO))
    ok_lists = [[TAG, NEW_TAG]] if require_new_tag else [[TAG], [TAG, NEW_TAG]]
    assert tags in ok_lists, "%s: tags/list = %r" % (label, tags)
    if NEW_TAG in tags:
        res = c.get_manifest(REPO, NEW_TAG, method="HEAD")
        assert res.status == 200 and res.headers["Docker-Content-Digest"] == \
            new_tag_art.digest, "%s: %s -> %r" % (label, NEW_TAG, res)
        checks.assert_pull_matches(sk, reg, REPO, NEW_TAG, new_tag_art,
                                   os.path.join(work, "pull", label + "-" + NEW_TAG))
    assert not reg.server_errors(), "%s: 5xx: %r" % (label, reg.server_errors())
    return digest


def main():
    harness.require_tool(harness.REGISTRY_BIN)
    harness.require_tool(harness.SKOPEO_BIN)
    started = time.monotonic()
    work = harness.make_temp_dir("trib-crash-")
    base = images.make_layer("crash/base", 4096)
    img_a = images.make_image("crash/A", layers=[base, images.make_layer("crash/A/top", 2048)],
                              created="2024-01-01T00:00:00Z")
    img_b = images.make_multiarch("crash/B", oci=True, shared_layers=[base],
                                  layer_sizes=(1024,), created="2024-02-01T00:00:00Z")
    allowed = {img_a.digest: img_a, img_b.digest: img_b}
    plan_a = storageplan.write_plan(os.path.join(work, "plan-a"), [(REPO, img_a, [TAG])])
    plan_b = storageplan.write_plan(os.path.join(work, "plan-b"), [(REPO, img_b, [TAG, NEW_TAG])])

    root_a = os.path.join(work, "root-a")
    os.makedirs(root_a)
    storagecheck.write_ok(root_a, plan_a)

    counted_root = os.path.join(work, "root-count")
    shutil.copytree(root_a, counted_root, symlinks=True)
    steps, names = storagecheck.count_steps(counted_root, plan_b)
    assert steps > 0, "the storage reported no fault-hook steps"
    print("publishing B over A takes %d steps: %s" % (steps, ", ".join(names)), flush=True)

    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    outcomes = {"A": 0, "B": 0}
    for k in range(1, steps + 1):
        for mode in ("fail", "kill"):
            label = "%s-%d" % (mode, k)
            root = os.path.join(work, "root-" + label)
            shutil.copytree(root_a, root, symlinks=True)
            res = storagecheck.run_writer(root, plan_b, "--%s-at-step" % mode, k)
            want_rc = 1 if mode == "fail" else -9
            assert res.returncode == want_rc, "%s (%s): writer exit %d, expected %d\n%s" % (
                label, names[k - 1], res.returncode, want_rc, res.stderr.decode(errors="replace"))
            problems = storagecheck.storage_tree_problems(root, allow_temp=True)
            assert not problems, "%s: %s" % (label, "\n".join(problems))
            with harness.Registry(root, workdir=os.path.join(work, "reg-" + label)) as reg:
                c = regclient.RegistryClient.for_registry(reg)
                digest = check_served(reg, sk, c, work, label, allowed, img_b)
                outcomes["A" if digest == img_a.digest else "B"] += 1
                reachable = set(checks.expected_contents(allowed[digest]))
                if NEW_TAG in c.tags(REPO):
                    reachable |= set(checks.expected_contents(img_b))
                eligible, out = harness.garbage_collect(reg.config_path, dry_run=True)
                lost = eligible & reachable
                assert not lost, "%s: GC would delete reachable %s\n%s" % (label, lost, out)
                # Restart after the fault: a clean run finishes the publish of B.
                storagecheck.write_ok(root, plan_b)
                assert check_served(reg, sk, c, work, label + "-rerun", {img_b.digest: img_b},
                                    img_b, require_new_tag=True) == img_b.digest
            shutil.rmtree(root)
            shutil.rmtree(os.path.join(work, "pull"), ignore_errors=True)
    # `t` moves only at its own tag.current step and NEW_TAG is written after it, so faults
    # before that leave A and faults while creating NEW_TAG leave B.
    assert outcomes["A"] > 0 and outcomes["B"] > 0, outcomes
    print("crash consistency OK: %d checks (%s) in %.0fs" % (
        2 * steps, outcomes, time.monotonic() - started))


if __name__ == "__main__":
    main()
