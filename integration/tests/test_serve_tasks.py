"""`tributary serve`'s tasks against real registries on loopback: cancel a queued and a running
task (the destination keeps its previous image); a short-interval rule runs on schedule and
never overlaps; a rule whose fire time passed while the service was down runs once at start;
SIGTERM mid-task exits 0 within 10 s and records the task cancelled (also when the provider is
stuck in a read past the 8 s grace); kill -9 mid-task, then the
restarted service keeps rules and history and marks that task failed (`interrupted`).

A fault proxy in front of the source stalls blob downloads, so "running" lasts as long as the
test needs; the service runs one worker and its intervals 60x faster
(replication.test_hooks.interval_divisor), so `1m` fires every second."""

import calendar
import json
import os
import signal
import time

import faultproxy
import harness
import images
import regclient
import servicerun
import syncrun

SRC_REPO = "upstream/app"


def ms(rfc3339):
    if not rfc3339:
        return None
    base, frac = rfc3339.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) * 1000 + int(frac)


def rule(domain, name, dest, period="manual", overwrite=True):
    r = syncrun.make_rule(domain, SRC_REPO, dest, name=name, latest_n=1, tag_regex="v1",
                          overwrite=overwrite)
    r["update_period"] = period
    return r


def wait_status(svc, task_id, status, timeout=20):
    return svc.wait_task(task_id, timeout=timeout, until=(status,))


def main():
    work = harness.make_temp_dir("trib-serve-tasks-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src, \
            faultproxy.FaultProxy(src) as proxy:
        sc = regclient.RegistryClient.for_registry(src)
        old = images.make_image("tasks/old", created="2024-01-01T00:00:00Z")
        images.push_artifact(sc, SRC_REPO, old, ["v1"])
        # A stalled read ends as soon as the provider sees the cancellation (its watchdog);
        # the short timeout only keeps the scheduled runs below quick.
        provider_config = syncrun.provider_config_for([src, proxy])
        provider_config["timeout_seconds"] = 2
        svc = servicerun.Service(
            os.path.join(work, "svc"), os.path.join(work, "dest-root"),
            provider_config=provider_config,
            extra={"workers": 1, "test_hooks": {"interval_divisor": 60}})
        svc.start()

        # -- a first sync puts the old image in place ----------------------------------------
        a = svc.ok("POST", "/api/v1/rules", rule(proxy.host, "a", "mirror/a"), expect=(201,))
        b = svc.ok("POST", "/api/v1/rules", rule(proxy.host, "b", "mirror/b"), expect=(201,))
        t = svc.ok("POST", "/api/v1/rules/a/execute")
        assert svc.wait_task(t["id"])["status"] == "succeeded"

        def dest_digest(repo):
            return {x["tag"]: x["digest"] for x in
                    svc.ok("GET", "/api/v1/repositories/%s/tags" % repo)["tags"]}["v1"]
        assert dest_digest("mirror/a") == old.digest

        # -- cancel running and queued: destination keeps the old image -----------------------
        new = images.make_image("tasks/new", created="2024-02-01T00:00:00Z")
        images.push_artifact(sc, SRC_REPO, new, ["v1"])
        proxy.add_fault("stall", path=r"/blobs/sha256:", nth=None, seconds=60)
        running = svc.ok("POST", "/api/v1/rules/a/execute")
        wait_status(svc, running["id"], "running")
        queued = svc.ok("POST", "/api/v1/rules/b/execute")  # one worker: waits
        time.sleep(0.5)
        assert svc.ok("GET", "/api/v1/tasks/%d" % queued["id"])["status"] == "queued"
        status, answer = svc.api("POST", "/api/v1/tasks/%d/cancel" % queued["id"])
        assert status == 200 and answer["status"] == "cancelled", (status, answer)
        status, answer = svc.api("POST", "/api/v1/tasks/%d/cancel" % running["id"])
        assert status == 202 and answer["status"] == "running", (status, answer)
        started = time.time()
        ended = wait_status(svc, running["id"], "cancelled", timeout=10)
        assert time.time() - started < 10, ended
        assert ended["reason"] == "cancelled by request", ended
        status, answer = svc.api("POST", "/api/v1/tasks/%d/cancel" % running["id"])
        assert status == 409, (status, answer)
        assert dest_digest("mirror/a") == old.digest
        proxy.clear_faults()
        proxy.release_stalls()

        # -- SIGTERM mid-task -----------------------------------------------------------------
        proxy.add_fault("stall", path=r"/blobs/sha256:", nth=None, seconds=60)
        victim = svc.ok("POST", "/api/v1/rules/a/execute")
        wait_status(svc, victim["id"], "running")
        code, took = svc.stop(signal.SIGTERM)
        assert code == 0 and took < 10, (code, took, svc.log())
        proxy.release_stalls()
        svc.start()
        after = svc.ok("GET", "/api/v1/tasks/%d" % victim["id"])
        assert after["status"] == "cancelled" and after["reason"] == "shutdown", after
        assert dest_digest("mirror/a") == old.digest

        # -- kill -9 mid-task: interrupted at the next start ----------------------------------
        victim = svc.ok("POST", "/api/v1/rules/a/execute")
        wait_status(svc, victim["id"], "running")
        svc.kill()
        proxy.release_stalls()
        proxy.clear_faults()
        svc.start()
        after = svc.ok("GET", "/api/v1/tasks/%d" % victim["id"])
        assert after["status"] == "failed" and after["reason"] == "interrupted", after
        assert {r["name"] for r in svc.ok("GET", "/api/v1/rules")["rules"]} == {"a", "b"}
        history = svc.ok("GET", "/api/v1/tasks?rule=a&limit=100")["tasks"]
        assert [x["status"] for x in history] == ["failed", "cancelled", "cancelled",
                                                  "succeeded"], history
        # the old image is still served; a normal run now replaces it
        assert dest_digest("mirror/a") == old.digest
        before = len(src.access_log())
        svc.wait_task(svc.ok("POST", "/api/v1/rules/a/execute")["id"])
        assert dest_digest("mirror/a") == new.digest

        # -- conditional HEADs: a run asks the source whether v1 still names what the last
        # listing saw (If-None-Match); Distribution answers 304 without reading the manifest.
        def v1_heads(since):
            return [s for m, p, s in src.access_log()[since:]
                    if m == "HEAD" and p == "/v2/%s/manifests/v1" % SRC_REPO]
        # Just restarted: nothing remembered, a plain HEAD.
        assert v1_heads(before) == [200], v1_heads(before)
        moved = images.make_image("tasks/moved", created="2024-03-01T00:00:00Z")
        images.push_artifact(sc, SRC_REPO, moved, ["v1"])
        before = len(src.access_log())
        t = svc.wait_task(svc.ok("POST", "/api/v1/rules/a/execute")["id"])
        assert t["status"] == "succeeded", t
        assert v1_heads(before) == [200], v1_heads(before)  # moved: the new digest, synced
        assert dest_digest("mirror/a") == moved.digest
        before = len(src.access_log())
        t = svc.wait_task(svc.ok("POST", "/api/v1/rules/a/execute")["id"])
        assert t["status"] == "succeeded", t
        assert v1_heads(before) == [304], v1_heads(before)  # unchanged: nothing fetched
        assert not [p for m, p, s in src.access_log()[before:] if m == "GET" and "/manifests/" in p]
        assert dest_digest("mirror/a") == moved.digest

        # -- schedule: `1m` = every second here; each run takes ~1.5 s: never overlaps --------
        proxy.add_fault("stall", path=r"/tags/list", nth=None, seconds=1.5)
        svc.ok("PUT", "/api/v1/rules/b", rule(proxy.host, "b", "mirror/b", period="1m"))
        time.sleep(6.5)
        svc.ok("PUT", "/api/v1/rules/b", rule(proxy.host, "b", "mirror/b", period="manual"))
        time.sleep(2.5)  # a run in flight ends
        runs = [x for x in svc.ok("GET", "/api/v1/tasks?rule=b&limit=100")["tasks"]
                if x["trigger"] == "scheduled"]
        assert len(runs) >= 2, runs
        runs.sort(key=lambda x: x["id"])
        for prev, nxt in zip(runs, runs[1:]):
            assert prev["ended_at"] and nxt["started_at"], runs
            assert ms(nxt["started_at"]) >= ms(prev["ended_at"]), (prev, nxt)
        assert all(x["status"] == "succeeded" for x in runs), runs
        proxy.clear_faults()
        proxy.release_stalls()

        # -- a fire time missed while down runs once at start --------------------------------
        svc.ok("PUT", "/api/v1/rules/b", rule(proxy.host, "b", "mirror/b", period="3m"))
        before = {x["id"] for x in svc.ok("GET", "/api/v1/tasks?rule=b&limit=100")["tasks"]}
        code, _ = svc.stop()
        assert code == 0
        time.sleep(10)  # more than three periods of 3 s
        svc.start()
        time.sleep(1.5)
        fresh = [x for x in svc.ok("GET", "/api/v1/tasks?rule=b&limit=100")["tasks"]
                 if x["id"] not in before]
        assert len(fresh) == 1 and fresh[0]["trigger"] == "scheduled", fresh
        code, took = svc.stop()
        assert code == 0 and took < 10, (code, took)

        # -- SIGTERM while the provider sits in a read longer than the grace period ---------
        cfg = json.load(open(svc.config_path))
        cfg["replication"]["provider"]["config"]["timeout_seconds"] = 60
        harness.write_config(svc.config_path, cfg)
        svc.start()
        proxy.add_fault("stall", path=r"/blobs/sha256:", nth=None, seconds=60)
        images.push_artifact(sc, SRC_REPO, images.make_image("tasks/newer"), ["v1"])
        victim = svc.ok("POST", "/api/v1/rules/a/execute")
        wait_status(svc, victim["id"], "running")
        time.sleep(0.5)  # inside the stalled blob GET
        code, took = svc.stop(signal.SIGTERM)
        assert code == 0 and took < 10, (code, took, svc.log())
        proxy.release_stalls()
        proxy.clear_faults()
        svc.start()
        after = svc.ok("GET", "/api/v1/tasks/%d" % victim["id"])
        assert after["status"] == "cancelled" and after["reason"].startswith("shutdown"), after
        assert dest_digest("mirror/a") == moved.digest
        code, _ = svc.stop()
        assert code == 0
    print("ok")


if __name__ == "__main__":
    main()
