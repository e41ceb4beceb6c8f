"""Soak: `tributary serve` running scheduled rules against a source that keeps changing, behind
intermittent faults, for a bounded time; no growth of memory, threads or file descriptors.

Set-up: a source docker-registry, faultproxy.py in front of it, four rules (one repository
each, latest_n 3, overwrite) with update_period `1m`; the service runs intervals
TRIB_SOAK_INTERVAL_DIVISOR times faster (replication.test_hooks.interval_divisor, default 20:
every 3 s). A pusher adds a new image (a fresh ~200 KiB layer on a shared base, a newer
`created`) to one repository every TRIB_SOAK_PUSH_SECONDS (default 2) and moves `latest`, so
every run has something to fetch.

Faults, the whole time, by the n-th matching request (faultproxy.py): every 6th blob GET
dropped after 20,000 bytes (resumed with Range), every 8th blob GET answered 429 with
Retry-After: 1, every 10th blob GET with one byte flipped (digest mismatch, fetched again),
every 7th manifest GET answered 503, every 9th manifest GET stalled 1.5 s, every 5th tag list
answered 500, every 23rd request of any kind cut before its answer.

Measured (/proc/<pid>/status VmRSS and Threads, /proc/<pid>/fd) with the service quiet (every
rule set to `manual`, no task queued or running, the admin API's on-demand thread pool filled to
its bound of admin.threads + 1 by concurrent requests) once after a warm-up and once at the
end, and sampled every second in between for the peak. Asserted:
  - Threads and fds at the end equal those at the start (sampled once the keep-alive
    connections the last runs left for the next have closed, 7 s after those runs); VmRSS grew by at most
    RSS_TOLERANCE_KIB (8 MiB) -- the allocator keeps freed pages; a leak per task would
    exceed it within the default run;
  - every task ended (none queued or running, each has ended_at) and took under 60 s;
  - every scheduled task succeeded (the faults are all transient);
  - every fault kind was applied;
  - after the pusher stops and the faults are cleared, one more run of each rule: every
    destination tag is the source's newest 3, each pulled whole by skopeo from a stock
    docker-registry serving the root; no temp file; every link -> manifest -> blob whole.

Long mode: TRIB_SOAK_SECONDS=600 TRIB_SOAK_INTERVAL_DIVISOR=1 (real 1-minute periods).
"""

import os
import socket
import threading
import time

import checks
import faultproxy
import harness
import images
import procstat
import regclient
import servicerun
import storagecheck
import syncrun

RULES = 4
LATEST_N = 3
RSS_TOLERANCE_KIB = 8 * 1024
# Under AddressSanitizer (scripts/test.sh's second pass) freed memory sits in a quarantine of up
# to 256 MiB before reuse, so VmRSS climbs with churn, not with leaks (LeakSanitizer checks
# those at exit there): the tolerance is the plain one plus that.
ASAN_EXTRA_KIB = 300 * 1024
ADMIN_THREADS = 2  # replication.admin.threads: a small pool, filled before each measurement
MAX_TASK_SECONDS = 60
IDLE_CONNECTION_SECONDS = 7  # how long the provider keeps an idle source connection


def every(n, upto=1000000):
    return set(range(n, upto, n))


class Pusher(threading.Thread):
    """Adds a new image to one repository after another until stopped."""

    def __init__(self, client, period):
        super().__init__(daemon=True)
        self.client = client
        self.period = period
        self.stop_event = threading.Event()
        self.count = 0
        self.lock = threading.Lock()
        self.history = {}  # repo -> [(created, tag, artifact)]
        self.bases = {r: images.make_layer("soak/base/%d" % r, 256 * 1024)
                      for r in range(RULES)}
        self.error = None

    def push_one(self):
        with self.lock:
            n = self.count
            self.count += 1
        r = n % RULES
        repo = "soak/app%d" % r
        created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1700000000 + n * 60)) + "Z"
        img = images.make_image("soak/%d" % n, created=created, layers=[
            self.bases[r], images.make_layer("soak/%d/top" % n, 150 * 1024 + (n % 7) * 16384)])
        tag = "v%d" % n
        images.push_artifact(self.client, repo, img, [tag, "latest"])
        with self.lock:
            self.history.setdefault(repo, []).append((created, tag, img))

    def run(self):
        try:
            while not self.stop_event.wait(self.period):
                self.push_one()
        except Exception as e:  # pylint: disable=broad-except  # reported by the test
            self.error = e

    def newest(self, repo):
        """{tag: artifact} a rule with latest_n should select now (latest shares the newest)."""
        with self.lock:
            hist = list(self.history[repo])
        newest = max(hist, key=lambda x: x[0])
        # `latest` ties with the newest v<N> on created; ties break by name, descending
        entries = hist + [(newest[0], "latest", newest[2])]
        entries.sort(key=lambda x: (x[0], x[1]), reverse=True)
        return {t: a for _c, t, a in entries[:LATEST_N]}


class Monitor(threading.Thread):
    """Samples the service's /proc every second: peak RSS, threads and fds."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop_event = threading.Event()
        self.samples = []

    def run(self):
        started = time.monotonic()
        while not self.stop_event.wait(1.0):
            try:
                self.samples.append(procstat.sample(self.pid))
            except FileNotFoundError:
                return
            if len(self.samples) % 30 == 0:  # a trace in the log (busy values, not quiet)
                print("  %4.0fs: %s" % (time.monotonic() - started, self.samples[-1]),
                      flush=True)

    def peak(self, key):
        return max((s[key] for s in self.samples), default=0)


def set_periods(svc, rules, period):
    for r in rules:
        r["update_period"] = period
        svc.ok("PUT", "/api/v1/rules/" + r["name"], r)


def wait_quiet(svc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [t for s in ("queued", "running")
                for t in svc.ok("GET", "/api/v1/tasks?status=%s&limit=100" % s)["tasks"]]
        if not busy:
            return
        time.sleep(0.2)
    raise AssertionError("tasks still busy after %ds: %s" % (timeout, busy))


def fill_admin_pool(svc):
    """The admin API's thread pool (Poco) grows on demand up to admin.threads + 1 and keeps
    idle threads for a minute: occupy it with slow requests (each sends its head in two parts)
    before each measurement, so both see it at its bound and a difference means growth
    elsewhere. /healthz: cheap, so the measurement is not of a big answer being built."""
    socks = []
    for _ in range(3 * ADMIN_THREADS):
        s = socket.create_connection(("127.0.0.1", svc.port), timeout=30)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socks.append(s)
    time.sleep(0.5)  # every pool thread is now waiting for the rest of a head
    for s in socks:
        s.sendall(b"Connection: close\r\n\r\n")
    for s in socks:
        while s.recv(65536):
            pass
        s.close()


def quiet_sample(svc, rules):
    """Stop the schedules, wait until no task runs, measure; the caller resumes."""
    set_periods(svc, rules, "manual")
    wait_quiet(svc)
    fill_admin_pool(svc)
    # Threads a finished task started have exited, and the keep-alive connections the last
    # runs left for the next closed (the provider keeps an idle one 7 s, IdleConnections.h).
    time.sleep(IDLE_CONNECTION_SECONDS + 1.0)
    samples = [procstat.sample(svc.proc.pid)]
    for _ in range(2):
        time.sleep(0.3)
        samples.append(procstat.sample(svc.proc.pid))
    # the steady value: threads and fds must not move while nothing runs
    assert len({(s["threads"], s["fds"]) for s in samples}) == 1, samples
    return samples[-1], procstat.fd_targets(svc.proc.pid)


def main():
    duration = float(os.environ.get("TRIB_SOAK_SECONDS", "45"))
    divisor = int(os.environ.get("TRIB_SOAK_INTERVAL_DIVISOR", "20"))
    push_every = float(os.environ.get("TRIB_SOAK_PUSH_SECONDS", "2"))
    harness.require_tool(harness.SKOPEO_BIN)
    print("soak: %.0f s, 1m periods / %d = %.1f s, a push every %.1f s" % (
        duration, divisor, 60.0 / divisor, push_every), flush=True)
    started = time.monotonic()
    work = harness.make_temp_dir("trib-soak-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src")) as src, \
            faultproxy.FaultProxy(src) as proxy:
        client = regclient.RegistryClient.for_registry(src)
        pusher = Pusher(client, push_every)
        for _ in range(RULES * 2):
            pusher.push_one()
        cfg = syncrun.provider_config_for([src, proxy], cache_dir=os.path.join(work, "cache"))
        cfg["timeout_seconds"] = 10
        svc = servicerun.Service(os.path.join(work, "svc"), os.path.join(work, "dest-root"),
                                 provider_config=cfg, admin_extra={"threads": ADMIN_THREADS},
                                 extra={"workers": 2,
                                        "test_hooks": {"interval_divisor": divisor}})
        rules = []
        for r in range(RULES):
            rule = syncrun.make_rule(proxy.host, "soak/app%d" % r, "mirror/app%d" % r,
                                     name="soak-%d" % r, latest_n=LATEST_N, overwrite=True)
            rule["update_period"] = "1m"
            rules.append(rule)

        kinds = {
            "drop mid-body": proxy.add_fault("drop", path=r"/blobs/", nth=every(6),
                                             after_bytes=20000),
            "429 Retry-After": proxy.add_fault("status", path=r"/blobs/", nth=every(8),
                                               code=429, retry_after=1),
            "corrupt byte": proxy.add_fault("corrupt", path=r"/blobs/", nth=every(10)),
            "503 manifest": proxy.add_fault("status", path=r"/manifests/", nth=every(7),
                                            code=503),
            "stall 1.5 s": proxy.add_fault("stall", path=r"/manifests/", nth=every(9),
                                           seconds=1.5),
            "500 tag list": proxy.add_fault("status", path=r"/tags/list", nth=every(5),
                                            code=500),
            "cut before answer": proxy.add_fault("drop", method=None, path=".",
                                                 nth=every(23), before_headers=True),
        }
        svc.start()
        monitor = None
        try:
            for rule in rules:
                svc.ok("POST", "/api/v1/rules", rule, expect=(201,))
            pusher.start()
            # warm-up: every rule ran on its schedule at least twice
            deadline = time.monotonic() + max(30.0, 3 * 60.0 / divisor + 10)
            while time.monotonic() < deadline:
                ended = svc.ok("GET", "/api/v1/tasks?status=succeeded&limit=1000")["tasks"]
                if all(sum(1 for t in ended if t["rule"]["name"] == r["name"]) >= 2
                       for r in rules):
                    break
                time.sleep(0.5)
            else:
                raise AssertionError("warm-up: not every rule ran twice:\n" + svc.log())
            first, first_fds = quiet_sample(svc, rules)
            set_periods(svc, rules, "1m")
            print("start (after %.0fs warm-up): %s" % (time.monotonic() - started, first),
                  flush=True)
            monitor = Monitor(svc.proc.pid)
            monitor.start()
            soak_started = time.monotonic()
            time.sleep(duration)
            soaked = time.monotonic() - soak_started
            last, last_fds = quiet_sample(svc, rules)
            monitor.stop_event.set()
            print("end (after %.0fs soak): %s" % (soaked, last), flush=True)
            pusher.stop_event.set()
            pusher.join(30)
            assert pusher.error is None, pusher.error

            applied = {k: f.applied for k, f in kinds.items()}
            proxy.clear_faults()
            proxy.release_stalls()
            final = {}
            for rule in rules:
                final[rule["name"]] = svc.ok("POST", "/api/v1/rules/%s/execute" %
                                             rule["name"])["id"]
            for name, task_id in final.items():
                task = svc.wait_task(task_id, timeout=120)
                assert task["status"] == "succeeded", task

            # -- every task ended, in time; the scheduled ones all succeeded -----------------
            tasks = svc.ok("GET", "/api/v1/tasks?limit=1000")["tasks"]
            by_status = {}
            slowest = 0.0
            for t in tasks:
                by_status[t["status"]] = by_status.get(t["status"], 0) + 1
                assert t["status"] not in ("queued", "running") and t["ended_at"], t
                took = (syncrun.parse_rfc3339(t["ended_at"]) -
                        syncrun.parse_rfc3339(t["started_at"]))
                slowest = max(slowest, took)
                assert took < MAX_TASK_SECONDS, t
            failed = [t for t in tasks if t["status"] != "succeeded"]
            assert not failed, "tasks that did not succeed: %s" % [
                (t["id"], t["status"], t.get("reason"), (t.get("summary") or {}).get("error"))
                for t in failed[:5]]
            missing = [k for k, n in applied.items() if n == 0]
            assert not missing, "faults never applied: %s" % missing
            assert not proxy.errors, proxy.errors

            # -- no growth --------------------------------------------------------------------
            growth = last["rss_kib"] - first["rss_kib"]
            tolerance = RSS_TOLERANCE_KIB + (
                ASAN_EXTRA_KIB if syncrun.tributary_built_with_asan() else 0)
            assert last["threads"] == first["threads"], (first, last)
            assert last["fds"] == first["fds"], (first, last, sorted(
                set(last_fds.values()) ^ set(first_fds.values())))
            assert growth <= tolerance, \
                "VmRSS grew by %d KiB, more than %d (%s -> %s)" % (growth, tolerance, first, last)
        finally:
            if monitor is not None:
                monitor.stop_event.set()
            pusher.stop_event.set()
            code, _ = svc.stop()
        assert code == 0, svc.log()

        # -- every destination tag whole and pullable ----------------------------------------
        problems, served = storagecheck.tag_consistency(svc.storage_root)
        assert not problems, problems
        assert not storagecheck.temp_files(svc.storage_root), \
            storagecheck.temp_files(svc.storage_root)
        sk = harness.Skopeo(os.path.join(work, "skopeo"))
        pulled = 0
        dest = syncrun.SyncTarget(os.path.join(work, "dest"), root=svc.storage_root)
        with dest.serve() as dreg:
            dc = regclient.RegistryClient.for_registry(dreg)
            for r in range(RULES):
                want = pusher.newest("soak/app%d" % r)
                pushed = {a.digest: a for _c, _t, a in pusher.history["soak/app%d" % r]}
                repo = "mirror/app%d" % r
                assert sorted(dc.tags(repo)) == sorted(served[repo]), repo
                for tag, art in want.items():
                    assert served[repo].get(tag) == art.digest, (repo, tag, served[repo])
                # older tags stay (latest_n selects, it never deletes): each must be whole
                for tag, digest in sorted(served[repo].items()):
                    assert digest in pushed, "%s:%s serves %s, never pushed" % (repo, tag,
                                                                              digest)
                    checks.assert_pull_matches(sk, dreg, repo, tag, pushed[digest],
                                               os.path.join(work, "pull", repo, tag))
                    pulled += 1
            assert not dreg.server_errors(), dreg.server_errors()
    peak_rss = max(monitor.peak("rss_kib"), last["rss_kib"]) if monitor else 0
    print("soak: %.0fs under faults (%s); %d tasks %s, slowest %.1fs; %d images pushed; "
          "VmRSS %d -> %d KiB (%+d, peak %d), threads %d -> %d, fds %d -> %d; %d tags pulled "
          "whole; test_soak OK in %.0fs" % (
              soaked, ", ".join("%s x%d" % kv for kv in applied.items()), len(tasks), by_status,
              slowest, pusher.count, first["rss_kib"], last["rss_kib"], growth, peak_rss,
              first["threads"], last["threads"], first["fds"], last["fds"], pulled,
              time.monotonic() - started))


if __name__ == "__main__":
    main()
