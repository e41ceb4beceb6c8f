"""Crash trials: kill -9 at many moments of a multi-tag update, by `tributary sync` and by
`tributary serve` mid-task, each followed by the run that heals.

The source repository holds 10 tags: a Docker manifest list and an OCI index with attestations
(3 platforms each), seven single-arch images (a shared base plus a 300-700 KiB layer of their
own) and one tag that never changes. Before every trial the source moves to a new generation
(new layers and manifests for 9 tags), so every trial streams blobs and publishes tags.

Trials alternate between a `tributary sync` destination and a `tributary serve` destination
(both kept from trial to trial: each crash lands on what the previous ones left). The kill
moment rotates through:
  sync:  a blob held mid-stream by the fault proxy (at a random byte); the first new manifest
         revision link of a random tag on disk (mid-publish, before its tag moves); a random
         tag's current/link moved (the next tags mid-publish); a new layer's blob data landed
         (before any link to it); the k-th source request held; a random delay within 60% of a clean
         run's duration;
  serve: the task's progress past a random fraction of its bytes; a random tag moved; a blob
         held mid-stream; a random delay.
After each kill, before anything else runs:
  - storagecheck.tag_consistency: every tag's current/link -> revision link -> manifest blob ->
    (children) -> config and layers linked and whole (hash and size), and each tag at its old
    or its new digest, never anything else;
  - every TRIB_CRASH_PULL_EVERY-th trial (default 10) and the last one: a stock docker-registry
    serves the root, every tag answers 200 with that digest and skopeo pulls it whole,
    byte-exact; no 5xx;
then the next run (sync: a new `tributary sync`; serve: the service restarted, the interrupted
task `failed` with reason `interrupted`, a new execute) exits 0 / succeeds with every tag at the
new digest, and no temp file is left in the storage root.

Default 24 trials (14 sync, 10 serve; at least 20 kills must land mid-run: a timed kill may
find the run already finished, which counts as a trial, not a kill);
TRIB_CRASH_TRIALS=N for more, TRIB_CRASH_SEED for other moments (printed).
"""

import os
import random
import time

import checks
import faultproxy
import harness
import images
import regclient
import servicerun
import storagecheck
import syncrun

SRC_REPO = "upstream/big"
SYNC_REPO = "mirror/big"
SERVE_REPO = "mirror/served"
TAGS = ["t%d" % i for i in range(10)]
STABLE = "t9"
KiB = 1024
SYNC_KINDS = ("stream", "revision", "tag-moved", "blob-landed", "request", "time")
SERVE_KINDS = ("progress", "tag-moved", "stream", "time")


class Generations:
    """The source's content, generation by generation (only the ones still referenced are
    kept in memory)."""

    def __init__(self):
        self.base = images.make_layer("crash/base", 512 * KiB)
        self.stable = images.make_image("crash/stable", created="2024-01-01T00:00:00Z",
                                        layers=[self.base])
        self.gens = {}

    def make(self, g):
        out = {}
        for i, tag in enumerate(TAGS):
            # newest first in plan order: t0 is the newest tag of every generation
            created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(
                1700000000 + g * 3600 + (len(TAGS) - i) * 60)) + "Z"
            seed = "crash/g%d/%s" % (g, tag)
            if tag == STABLE:
                out[tag] = self.stable
            elif i == 0:
                out[tag] = images.make_multiarch(seed, created=created,
                                                 shared_layers=[self.base],
                                                 layer_sizes=(96 * KiB,))
            elif i == 1:
                out[tag] = images.make_multiarch(seed, oci=True, attestations=True,
                                                 created=created, layer_sizes=(96 * KiB,))
            else:
                size = 300 * KiB + (g * 7 + i * 13) % 9 * 50 * KiB
                out[tag] = images.make_image(seed, created=created, layers=[
                    self.base, images.make_layer(seed + "/top", size, compresslevel=0)])
        self.gens[g] = out
        return out

    def keep_only(self, gens):
        for g in list(self.gens):
            if g not in gens:
                del self.gens[g]

    def by_digest(self):
        return {a.digest: a for gen in self.gens.values() for a in gen.values()}


def revision_link(root, repo, digest):
    return os.path.join(root, "docker", "registry", "v2", "repositories", repo, "_manifests",
                        "revisions", "sha256", digest[7:], "link")


def tag_link(root, repo, tag):
    return os.path.join(root, "docker", "registry", "v2", "repositories", repo, "_manifests",
                        "tags", tag, "current", "link")


def blob_data(root, digest):
    return os.path.join(root, "docker", "registry", "v2", "blobs", "sha256", digest[7:9],
                        digest[7:], "data")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


class Trials:
    def __init__(self, work, src, proxy, rng):
        self.work = work
        self.src = src
        self.proxy = proxy
        self.rng = rng
        self.client = regclient.RegistryClient.for_registry(src)
        self.gen = Generations()
        self.g = 0
        self.sk = harness.Skopeo(os.path.join(work, "skopeo"))
        cfg = syncrun.provider_config_for([src, proxy], cache_dir=os.path.join(work, "cache"))
        self.dest = syncrun.SyncTarget(os.path.join(work, "sync"), cfg)
        self.rule = syncrun.make_rule(proxy.host, SRC_REPO, SYNC_REPO, name="crash",
                                      latest_n=len(TAGS), overwrite=True)
        svc_cfg = dict(cfg, cache_dir=os.path.join(work, "svc-cache"))
        os.makedirs(svc_cfg["cache_dir"])
        self.svc = servicerun.Service(os.path.join(work, "svc"), os.path.join(work, "svc-root"),
                                      provider_config=svc_cfg, extra={"workers": 1})
        self.svc_rule = syncrun.make_rule(proxy.host, SRC_REPO, SERVE_REPO, name="crash-serve",
                                          latest_n=len(TAGS), overwrite=True)
        self.state = {"sync": None, "serve": None}  # {tag: digest} each destination serves
        self.state_gen = {"sync": 0, "serve": 0}
        self.clean_seconds = 1.0
        self.clean_requests = 50
        self.summary = []
        self.pulls = 0
        self.tags_checked = 0

    # -- source --------------------------------------------------------------------------------
    def next_generation(self):
        self.g += 1
        new = self.gen.make(self.g)
        for tag, art in new.items():
            if tag != STABLE or self.g == 1:
                images.push_artifact(self.client, SRC_REPO, art, [tag])
        self.gen.keep_only({self.g, self.state_gen["sync"], self.state_gen["serve"]})
        return new

    # -- checks ----------------------------------------------------------------------------------
    def check(self, which, old, new, label, pull):
        root = self.dest.root if which == "sync" else self.svc.storage_root
        repo = SYNC_REPO if which == "sync" else SERVE_REPO
        problems, served = storagecheck.tag_consistency(root)
        assert not problems, "%s: %s" % (label, "\n".join(problems[:20]))
        tags = served.get(repo, {})
        assert set(tags) == set(TAGS), "%s: tags %s" % (label, sorted(tags))
        self.tags_checked += len(tags)
        state = {}
        for tag, digest in tags.items():
            if digest == new[tag].digest:
                state[tag] = "new" if old.get(tag) != digest else "same"
            elif digest == old.get(tag):
                state[tag] = "old"
            else:
                raise AssertionError("%s: %s serves %s, neither old nor new" % (label, tag,
                                                                              digest))
        if pull:
            arts = self.gen.by_digest()
            dest = syncrun.SyncTarget(os.path.join(self.work, "serve-%s" % which), root=root)
            with dest.serve() as dreg:
                dc = regclient.RegistryClient.for_registry(dreg)
                assert sorted(dc.tags(repo)) == sorted(TAGS), label
                for tag, digest in sorted(tags.items()):
                    assert syncrun.head_digest(dc, repo, tag) == digest, (label, tag)
                    checks.assert_pull_matches(self.sk, dreg, repo, tag, arts[digest],
                                               os.path.join(self.work, "pull", tag))
                    self.pulls += 1
                assert not dreg.server_errors(), (label, dreg.server_errors())
            harness.run(["rm", "-rf", os.path.join(self.work, "pull")])
        return state, tags

    def hold_blob_mid_stream(self, new, changed):
        """A stall fault on a random changed single-arch tag's own layer, at a random byte.
        Returns (fault, label)."""
        layer = self.rng.choice([new[t].layers[-1] for t in changed if t not in ("t0", "t1")])
        at = self.rng.randrange(16 * KiB, layer.size - 16 * KiB)
        fault = self.proxy.add_fault("stall", path="/blobs/" + layer.digest + "$",
                                     after_bytes=at, seconds=120)
        return fault, "blob %s held at byte %d of %d" % (layer.digest[7:15], at, layer.size)

    # -- sync --------------------------------------------------------------------------------
    def start_sync(self):
        argv = [syncrun.tributary_binary(), "sync", "--config", self.dest.config_path,
                "--rule", self.dest.write_rule(self.rule), "--json"]
        return harness.start_process(argv, self.sync_log)

    @property
    def sync_log(self):
        return os.path.join(self.work, "killed-sync.log")

    def release_faults(self):
        """No new request stalls, and the stalled ones go: nobody is left to answer them."""
        self.proxy.clear_faults()
        self.proxy.release_stalls()

    def sync_trial(self, kind, old, new):
        rng, root = self.rng, self.dest.root
        changed = [t for t in TAGS if new[t].digest != old.get(t)]
        target = rng.choice(changed[:max(1, len(changed) - 2)])
        fault = None
        if kind == "stream":
            fault, label = self.hold_blob_mid_stream(new, changed)
            predicate = fault.fired.is_set
        elif kind == "request":
            k = rng.randint(1, max(1, self.clean_requests - 1))
            fault = self.proxy.add_fault("stall", method=None, path=".", nth=k, seconds=120)
            label = "source request %d of ~%d held" % (k, self.clean_requests)
            predicate = fault.fired.is_set
        elif kind == "revision":
            label = "first new revision link of %s on disk" % target
            path = revision_link(root, SYNC_REPO, new[target].digest)
            predicate = lambda: os.path.exists(path)  # noqa: E731
        elif kind == "tag-moved":
            label = "%s's current/link moved" % target
            path, want = tag_link(root, SYNC_REPO, target), new[target].digest
            predicate = lambda: read(path) == want  # noqa: E731
        elif kind == "blob-landed":
            layer = new[target].layers[-1] if target not in ("t0", "t1") else \
                new[target].platform_children()[0].layers[-1]
            label = "blob data of %s's layer %s landed" % (target, layer.digest[7:15])
            path = blob_data(root, layer.digest)
            predicate = lambda: os.path.exists(path)  # noqa: E731
        else:
            delay = rng.uniform(0.05, 0.6) * self.clean_seconds
            label = "after %.2fs (clean run %.2fs)" % (delay, self.clean_seconds)
            t0 = time.monotonic()
            predicate = lambda: time.monotonic() - t0 >= delay  # noqa: E731
        before_kill = None
        if fault is not None:
            def before_kill():
                time.sleep(rng.uniform(0, 0.05))  # let the other transfers move on a little
        outcome = syncrun.kill_at(self.start_sync(), self.sync_log, predicate, label,
                                  timeout=120, before_kill=before_kill,
                                  on_exit=self.release_faults)
        if kind in ("stream", "request"):
            assert outcome == "killed", (label, outcome)
        return label, outcome

    def sync_heal(self, new, label):
        res = self.dest.sync(self.rule, timeout=240).expect(0)
        acts = res.actions()
        assert set(acts) == set(TAGS) and set(acts.values()) <= {"synced", "unchanged"}, \
            res.describe()
        return res

    # -- serve -------------------------------------------------------------------------------
    def serve_trial(self, kind, old, new):
        rng, svc = self.rng, self.svc
        changed = [t for t in TAGS if new[t].digest != old.get(t)]
        target = rng.choice(changed[:max(1, len(changed) - 2)])
        fault = None
        task = svc.ok("POST", "/api/v1/rules/crash-serve/execute")
        task_id = task["id"]
        if kind == "progress":
            frac = rng.uniform(0.1, 0.7)
            label = "task progress past %.0f%% of its bytes" % (frac * 100)

            def predicate():
                p = svc.ok("GET", "/api/v1/tasks/%d" % task_id)["progress"] or {}
                return p.get("bytes_total") and p.get("bytes_done", 0) >= frac * p["bytes_total"]
        elif kind == "tag-moved":
            label = "%s's current/link moved" % target
            path, want = tag_link(svc.storage_root, SERVE_REPO, target), new[target].digest
            predicate = lambda: read(path) == want  # noqa: E731
        elif kind == "stream":
            fault, label = self.hold_blob_mid_stream(new, changed)
            predicate = fault.fired.is_set
        else:
            delay = rng.uniform(0.05, 0.6) * self.clean_seconds
            label = "after %.2fs" % delay
            t0 = time.monotonic()
            predicate = lambda: time.monotonic() - t0 >= delay  # noqa: E731

        def running():
            return svc.ok("GET", "/api/v1/tasks/%d" % task_id)["status"] in ("queued",
                                                                             "running")
        try:
            hit = syncrun.wait_until(predicate, running, 120)
            if fault is not None and hit:
                time.sleep(rng.uniform(0, 0.05))
            still = running()
            svc.kill()  # SIGKILL, by PID
        finally:
            self.release_faults()
        return label, ("killed" if still else "finished"), task_id, still

    def serve_heal(self, task_id, interrupted):
        svc = self.svc
        svc.start()
        task = svc.ok("GET", "/api/v1/tasks/%d" % task_id)
        if interrupted:
            assert task["status"] == "failed" and task["reason"] == "interrupted", task
        else:
            assert task["status"] == "succeeded", task
        again = svc.wait_task(svc.ok("POST", "/api/v1/rules/crash-serve/execute")["id"],
                              timeout=120)
        assert again["status"] == "succeeded", again
        return task["status"]

    # -- the whole run -------------------------------------------------------------------------
    def run(self, trials, pull_every):
        first = self.next_generation()
        self.dest.sync(self.rule).expect(0)
        self.state["sync"] = self.check("sync", {}, first, "initial sync", False)[1]
        self.state_gen["sync"] = self.g
        self.svc.start()
        self.svc.ok("POST", "/api/v1/rules", self.svc_rule, expect=(201,))
        t = self.svc.wait_task(self.svc.ok("POST", "/api/v1/rules/crash-serve/execute")["id"])
        assert t["status"] == "succeeded", t
        self.state["serve"] = self.check("serve", {}, first, "initial serve", False)[1]
        self.state_gen["serve"] = self.g

        n_serve = max(1, trials * 10 // 24)
        order = ["serve" if (i * n_serve) % trials < n_serve else "sync" for i in range(trials)]
        counters = {"sync": 0, "serve": 0}
        for i, which in enumerate(order):
            new = self.next_generation()
            old = self.state[which]
            kinds = SYNC_KINDS if which == "sync" else SERVE_KINDS
            kind = kinds[counters[which] % len(kinds)]
            counters[which] += 1
            pull = (i + 1) % pull_every == 0 or i == trials - 1
            t0 = time.monotonic()
            if which == "sync":
                self.proxy.reset()
                label, outcome = self.sync_trial(kind, old, new)
                state, _ = self.check("sync", old, new, "trial %d after kill (%s)" % (i, label),
                                      pull)
                res = self.sync_heal(new, label)
                heal = "exit 0, %d synced" % sum(1 for a in res.actions().values()
                                                 if a == "synced")
            else:
                label, outcome, task_id, interrupted = self.serve_trial(kind, old, new)
                state, _ = self.check("serve", old, new, "trial %d after kill (%s)" % (i, label),
                                      pull)
                was = self.serve_heal(task_id, interrupted)
                heal = "task %d %s, next run succeeded" % (task_id, was)
            root = self.dest.root if which == "sync" else self.svc.storage_root
            _, served = self.check(which, old, new, "trial %d after the next run" % i, False)
            assert all(served[t] == new[t].digest for t in TAGS), (i, served)
            temps = storagecheck.temp_files(root)
            assert not temps, "trial %d: temp files after the next run: %s" % (i, temps)
            self.state[which] = served
            self.state_gen[which] = self.g
            moved = sorted(v for v in state.values())
            picture = "all old" if set(state.values()) <= {"old", "same"} else \
                "all new" if set(state.values()) <= {"new", "same"} else "mixed"
            self.summary.append((i, which, kind, label, outcome, picture, pull))
            print("trial %2d %-5s %-11s %-48s -> %-8s %-7s (%s)%s; %s; %.1fs" % (
                i, which, kind, label[:48], outcome, picture,
                "%d new" % moved.count("new"), " pulled" if pull else "", heal,
                time.monotonic() - t0), flush=True)
        self.svc.stop()

    def calibrate(self):
        """A clean update on a scratch root: its duration and request count."""
        self.proxy.reset()
        self.next_generation()
        scratch = syncrun.SyncTarget(os.path.join(self.work, "calibration"),
                                     self.dest.provider_config)
        t0 = time.monotonic()
        scratch.sync(self.rule).expect(0)
        self.clean_seconds = time.monotonic() - t0
        self.clean_requests = len(self.proxy.requests)
        harness.run(["rm", "-rf", scratch.root])


def main():
    trials = int(os.environ.get("TRIB_CRASH_TRIALS", "24"))
    pull_every = int(os.environ.get("TRIB_CRASH_PULL_EVERY", "10"))
    seed = int(os.environ.get("TRIB_CRASH_SEED", "20261130"))
    harness.require_tool(harness.SKOPEO_BIN)
    print("crash trials: %d, skopeo pulls every %d (TRIB_CRASH_TRIALS, TRIB_CRASH_PULL_EVERY); "
          "seed %d (TRIB_CRASH_SEED)" % (trials, pull_every, seed), flush=True)
    started = time.monotonic()
    work = harness.make_temp_dir("trib-crash-trials-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src")) as src, \
            faultproxy.FaultProxy(src) as proxy:
        t = Trials(work, src, proxy, random.Random(seed))
        t.calibrate()
        print("clean update of %d tags: %.2fs, %d source requests" % (
            len(TAGS), t.clean_seconds, t.clean_requests), flush=True)
        try:
            t.run(trials, pull_every)
        finally:
            if t.svc.proc is not None:
                t.svc.kill()
        assert not proxy.errors, proxy.errors
    kills = [s for s in t.summary if s[4] == "killed"]
    by_picture = {}
    for s in kills:
        by_picture[s[5]] = by_picture.get(s[5], 0) + 1
    by_kind = {}
    for s in kills:
        key = "%s/%s" % (s[1], s[2])
        by_kind[key] = by_kind.get(key, 0) + 1
    assert len(kills) >= min(20, trials - 4), "only %d kills landed: %s" % (len(kills),
                                                                             t.summary)
    assert by_picture.get("mixed", 0) > 0, "no kill left old and new tags side by side"
    print("crash trials: %d trials, %d kill -9 landed mid-run (%s), %d runs ended first; "
          "after the kills: %s; %d tag checks link -> manifest -> blobs, %d whole-tag pulls by "
          "skopeo; 0 broken tags, 0 temp files after the next run; test_crash_trials OK in "
          "%.0fs" % (
              len(t.summary), len(kills), ", ".join("%s %d" % kv for kv in sorted(
                  by_kind.items())), len(t.summary) - len(kills),
              ", ".join("%s %d" % kv for kv in sorted(by_picture.items())), t.tags_checked,
              t.pulls,
              time.monotonic() - started))


if __name__ == "__main__":
    main()
