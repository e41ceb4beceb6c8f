"""kill -9 of `tributary sync` writing into S3 storage (Swift s3api), then the next run.

The destination bucket first holds a rule's images at their old digests. The source then moves
(a 60 MiB layer in a new "big" image, new a/b/c images, a new tag d), and the update is killed:
  (a) during the multipart upload of the 60 MiB layer: the source stalls that blob after
      30 MiB (lib/faultproxy.py), the test polls ListMultipartUploads / ListParts until a
      part of it is in Swift, then SIGKILLs the sync;
  (b) during publishing: the source holds the layer of tag d, so the run publishes the
      other tags while d waits; the test polls the tags' current/link objects and SIGKILLs
      the sync as soon as one of them switched to its new digest.
After each kill: every destination tag is at its old or new digest (d absent or new), pulls
whole byte-exact through the S3-backed docker-registry, no visible object is partial (every
blob object hashes to its key, every link is an exact digest), GC keeps what tags reach. After
(a) the orphaned multipart upload is there; the next run (its housekeeping aborts uploads older
than 0 s) completes every tag and leaves no multipart upload under the prefix.
"""

import os
import time

import checks
import faultproxy
import harness
import images
import regclient
import s3check
import swiftserver
import syncrun

MiB = 1 << 20
ROOT = "/tributary/crash"
SRC_REPO = "upstream/app"
DEST_REPO = "mirror/app"
# The housekeeping age for the runs after a kill: abort every incomplete upload under our
# prefix at once (the default is a day, so a concurrent sidecar's upload is never touched).
HOUSEKEEPING_NOW = {"s3_stale_upload_seconds": 0}


def build_fixture():
    old = {
        "big": images.make_image("s3crash/big-old", created="2024-01-04T00:00:00Z",
                                 layer_sizes=(2 * MiB,)),
        "a": images.make_image("s3crash/a-old", created="2024-01-03T00:00:00Z",
                               layer_sizes=(300 * 1024,)),
        "b": images.make_multiarch("s3crash/b-old", created="2024-01-02T00:00:00Z",
                                   layer_sizes=(200 * 1024,)),
        "c": images.make_image("s3crash/c-old", created="2024-01-01T00:00:00Z",
                               layer_sizes=(100 * 1024,)),
    }
    new = {
        "big": images.make_image("s3crash/big-new", created="2024-02-05T00:00:00Z",
                                 layer_sizes=(60 * MiB, 4000)),
        "a": images.make_image("s3crash/a-new", created="2024-02-04T00:00:00Z",
                               layer_sizes=(400 * 1024,)),
        "b": images.make_multiarch("s3crash/b-new", oci=True, attestations=True,
                                   created="2024-02-03T00:00:00Z", layer_sizes=(250 * 1024,)),
        "c": images.make_image("s3crash/c-new", created="2024-02-02T00:00:00Z",
                               layer_sizes=(150 * 1024,)),
        "d": images.make_image("s3crash/d-new", created="2024-02-01T00:00:00Z",
                               layer_sizes=(120 * 1024,)),
    }
    return old, new


def push_all(client, arts):
    for tag, art in arts.items():
        images.push_artifact(client, SRC_REPO, art, [tag])


_PULLED = set()


def check_old_or_new(work, sk, swift, dest, old, new, label):
    """Every tag at its old or new digest, pulled whole; no partial object; GC keeps all."""
    s3 = swift.s3()
    problems = s3check.s3_layout_problems(s3, swift.bucket, ROOT)
    assert not problems, "%s: %s" % (label, problems)
    seen = {}
    kept = set()
    for tag in sorted(set(old) | set(new)):
        link = s3check.tag_link(s3, swift.bucket, ROOT, DEST_REPO, tag)
        choices = {a.digest: a for a in (old.get(tag), new.get(tag)) if a is not None}
        if link is None:
            assert tag not in old, "%s: tag %s vanished" % (label, tag)
            seen[tag] = "absent"
            continue
        assert link in choices, "%s: tag %s at %s, neither old nor new" % (label, tag, link)
        art = choices[link]
        # A digest pulled whole before is made of the same objects, which the layout check
        # above has just re-hashed; pull each (tag, digest) once to keep the test short.
        if (tag, link) not in _PULLED:
            checks.assert_pull_matches(sk, dest, DEST_REPO, tag, art,
                                       os.path.join(work, "pull", label, tag))
            _PULLED.add((tag, link))
        kept |= set(checks.expected_contents(art))
        seen[tag] = "new" if new.get(tag) is art else "old"
    assert not dest.server_errors(), dest.server_errors()
    eligible, out = harness.garbage_collect(dest.config_path, dry_run=True)
    assert not (eligible & kept), "%s: GC would delete %s\n%s" % (
        label, sorted(eligible & kept), out[-3000:])
    print("%s: %s" % (label, seen), flush=True)
    return seen


def start_sync(target, rule, log_name):
    argv = [syncrun.tributary_binary(), "sync", "--config", target.config_path,
            "--rule", target.write_rule(rule), "--json"]
    return harness.start_process(argv, os.path.join(target.workdir, log_name))


def wait_for(what, predicate, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError("the sync ended (exit %d) before %s" % (proc.returncode, what))
        time.sleep(0.02)
    raise AssertionError("no %s within %.0fs" % (what, timeout))


def heal(target, rule, swift, new):
    """The next run: housekeeping aborts the orphan, every tag reaches its new digest."""
    target.replication_extra = dict(HOUSEKEEPING_NOW)
    target.write_config()
    res = target.sync(rule).expect(0)
    s3 = swift.s3()
    for tag, art in new.items():
        assert s3check.tag_link(s3, swift.bucket, ROOT, DEST_REPO, tag) == art.digest, \
            res.describe()
    left = s3check.uploads_under(s3, swift.bucket, ROOT)
    assert left == [], "multipart uploads left after the healing run: %s" % left
    return res


def main():
    swiftserver.require_swift()
    syncrun.tributary_binary()
    work = harness.make_temp_dir("trib-s3-crash-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    old, new = build_fixture()
    big_layer = new["big"].layers[0]
    with swiftserver.SwiftServer(os.path.join(work, "swift")) as swift, \
            harness.Registry(os.path.join(work, "src-root"),
                             workdir=os.path.join(work, "src")) as src, \
            faultproxy.FaultProxy(src) as proxy:
        s3 = swift.s3()
        c = regclient.RegistryClient.for_registry(src)
        s3cfg = swift.registry_s3_config(ROOT, chunksize=5 * MiB)
        target = syncrun.SyncTarget(os.path.join(work, "sync"),
                                    syncrun.provider_config_for([proxy]), storage={"s3": s3cfg})
        rule = syncrun.make_rule(proxy.host, SRC_REPO, DEST_REPO, name="s3-crash", latest_n=10,
                                 overwrite=True)
        push_all(c, old)
        target.sync(rule).expect(0)
        with harness.Registry(None, workdir=os.path.join(work, "dest"), s3=s3cfg) as dest:
            check_old_or_new(work, sk, swift, dest, old, old, "baseline")
            push_all(c, new)

            # (a) kill during the 60 MiB layer's multipart upload.
            proxy.add_fault("stall", method="GET", path=r"/blobs/" + big_layer.digest,
                            nth=None, seconds=60, after_bytes=30 * MiB)
            proc = start_sync(target, rule, "sync-a.log")

            def part_uploaded():
                for key, upload_id, _t in s3check.uploads_under(s3, swift.bucket, ROOT):
                    if s3.list_parts(swift.bucket, key, upload_id):
                        return key, upload_id
                return None
            key, upload_id = wait_for("uploaded part", part_uploaded, proc, 60)
            proc.kill()
            proc.wait()
            harness.stop_process(proc)
            proxy.clear_faults()
            proxy.release_stalls()
            print("(a) killed with part(s) of %s uploaded (upload %s)" % (key, upload_id),
                  flush=True)
            check_old_or_new(work, sk, swift, dest, old, new, "after kill (a)")
            orphans = s3check.uploads_under(s3, swift.bucket, ROOT)
            assert (key, upload_id) in [(k, u) for k, u, _t in orphans], orphans
            heal(target, rule, swift, new)
            check_old_or_new(work, sk, swift, dest, new, new, "healed (a)")

            # (b) kill during publishing: the source moves again, tag d's manifest is held.
            newer = {
                "a": images.make_image("s3crash/a-newer", created="2024-03-04T00:00:00Z",
                                       layer_sizes=(300 * 1024,)),
                "b": images.make_multiarch("s3crash/b-newer", created="2024-03-03T00:00:00Z",
                                           layer_sizes=(100 * 1024,)),
                "c": images.make_image("s3crash/c-newer", created="2024-03-02T00:00:00Z",
                                       layer_sizes=(100 * 1024,)),
                "d": images.make_image("s3crash/d-newer", created="2024-03-01T00:00:00Z",
                                       layer_sizes=(100 * 1024,)),
            }
            push_all(c, newer)
            # The plan reads every tag's manifest and config; d's layer is fetched only when d
            # is transferred, so holding it keeps d from publishing while the others do.
            proxy.add_fault("stall", method="GET",
                            path=r"/blobs/" + newer["d"].layers[0].digest, nth=None,
                            seconds=60)
            target.replication_extra = {}
            target.write_config()
            proc = start_sync(target, rule, "sync-b.log")

            def a_tag_switched():
                return [t for t in ("a", "b", "c") if s3check.tag_link(
                    s3, swift.bucket, ROOT, DEST_REPO, t) == newer[t].digest]
            switched = wait_for("tag switch", a_tag_switched, proc, 60)
            proc.kill()
            proc.wait()
            harness.stop_process(proc)
            proxy.clear_faults()
            proxy.release_stalls()
            print("(b) killed right after %s switched" % switched, flush=True)
            before_b = dict(new)
            seen = check_old_or_new(work, sk, swift, dest, before_b, newer | {"big": new["big"]},
                                    "after kill (b)")
            assert seen["d"] == "old", seen  # d's layer was still held
            heal(target, rule, swift, dict(newer, big=new["big"]))
            check_old_or_new(work, sk, swift, dest, dict(newer, big=new["big"]),
                             dict(newer, big=new["big"]), "healed (b)")
    print("S3 crash OK")


if __name__ == "__main__":
    main()
