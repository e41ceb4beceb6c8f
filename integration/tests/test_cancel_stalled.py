"""Cancellation and shutdown while a source has stopped sending, against real servers.

A docker-registry source sits behind faultproxy.py, which holds a response for 60 s: in the
middle of a layer's body, before a manifest's status line and headers, in the middle of a
manifest's body, and in every part of a ranged (acceleration) fetch. The provider's socket
timeout is 60 s too (timeout_seconds, low_speed_time_seconds), so a provider that only checks
cancellation between socket operations sits in the read for a minute. The rp ABI says the
provider notices cancellation within a second (rp_task_v1.is_cancelled); so here:

  (b) `POST /api/v1/tasks/{id}/cancel` of the stalled task: `cancelled` ("cancelled by
      request") within CANCEL_LIMIT seconds;
  (a) SIGTERM to `tributary serve` once the stall has begun: exit 0 within SHUTDOWN_LIMIT
      seconds, the provider having returned (reason exactly "shutdown", not the grace
      period's "the provider did not return in time"); after a restart the task is
      recorded `cancelled`;
  (c) SIGINT to a one-shot `tributary sync` while stalled: exits promptly with its documented
      exit code for a cancelled run (1, "cancelled by signal").

(a) and (b) also for a source that never answers a connection attempt (Blackhole: a listener
whose accept queue is full, so the kernel drops the SYNs and the connect waits for its
timeout, 60 s here): the connect itself must end on cancellation.

Each time the destination was synced once from the un-stalled source, then the source tag
moved: after every cancellation the destination still serves the previous image of the tag
(read through a stock docker-registry on the same root for (c)).
"""

import os
import signal
import socket
import subprocess
import time

import faultproxy
import harness
import images
import regclient
import servicerun
import syncrun

SRC_REPO = "upstream/app"
STALL = 60           # seconds a stalled response is held (and the provider's socket timeout)
CANCEL_LIMIT = 3.0   # API cancel -> task `cancelled`
SHUTDOWN_LIMIT = 5.0  # SIGTERM -> exit (docs/serve.md promises 10 s; the grace period is 8)
SIGNAL_LIMIT = 5.0   # SIGINT -> `tributary sync` exits
MiB = 1 << 20


def rule(domain, name, dest, acceleration=False):
    r = syncrun.make_rule(domain, SRC_REPO, dest, name=name, latest_n=1, tag_regex="v1",
                          overwrite=True)
    r["acceleration"] = acceleration
    return r


class Source:
    """The source registry's repository; each push() moves tag v1 to a fresh image."""

    def __init__(self, registry):
        self.client = regclient.RegistryClient.for_registry(registry)
        self.count = 0
        self.current = None

    def push(self, layer_size=2 * MiB):
        self.count += 1
        img = images.make_image("cancel/%d" % self.count,
                                created="2024-01-%02dT00:00:00Z" % self.count,
                                layer_sizes=(layer_size,))
        images.push_artifact(self.client, SRC_REPO, img, ["v1"])
        self.current = img
        return img


def stalls(proxy, img, where):
    """Schedules the stall `where` for `img`; returns the Fault (its .fired says it began)."""
    layer = img.layers[0]
    if where == "blob-body":
        return proxy.add_fault("stall", path=r"/blobs/" + layer.digest, nth=None,
                               seconds=STALL, after_bytes=256 * 1024)
    # the manifest GET, by tag or by digest (HEADs pass: add_fault matches GET only)
    manifest = r"/manifests/(v1$|%s)" % img.digest
    if where == "manifest-head":  # status line and headers held
        return proxy.add_fault("stall", path=manifest, nth=None, seconds=STALL)
    if where == "manifest-body":
        return proxy.add_fault("stall", path=manifest, nth=None, seconds=STALL,
                               after_bytes=64)
    if where == "ranged-parts":  # every byte range of the layer held after 16 KiB
        return proxy.add_fault("stall", path=r"/blobs/" + layer.digest, nth=None,
                               seconds=STALL, after_bytes=16 * 1024)
    raise ValueError(where)


def wait_fired(fault, what, log=""):
    if not fault.fired.wait(30):
        raise AssertionError("the stall (%s) never began\n%s" % (what, log))
    time.sleep(0.3)  # the provider is now blocked in the held read


class Blackhole:
    """127.0.0.1:<port> where a TCP connect never completes: a listener with a backlog of 0
    whose accept queue is filled by connections nobody accepts, so further SYNs are dropped."""

    tls = None

    def __enter__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.host = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.fillers = []
        for _ in range(3):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(self.listener.getsockname())
            except BlockingIOError:
                pass
            self.fillers.append(s)
        probe = socket.socket()
        probe.settimeout(1.5)
        try:
            probe.connect(self.listener.getsockname())
            raise AssertionError("the blackhole accepted a connection")
        except (socket.timeout, TimeoutError):
            pass
        finally:
            probe.close()
        return self

    def __exit__(self, *exc):
        for s in self.fillers + [self.listener]:
            s.close()


def provider_config(sources):
    cfg = syncrun.provider_config_for(sources)
    cfg["timeout_seconds"] = STALL
    cfg["low_speed_time_seconds"] = STALL
    # acceleration: the 2 MiB layer is fetched as 8 parts of 256 KiB, 4 at a time
    cfg["range_threshold_bytes"] = MiB
    cfg["range_part_bytes"] = 256 * 1024
    cfg["range_parallelism"] = 4
    return cfg


def serve_scenarios(work, src, proxy, source, blackhole):
    svc = servicerun.Service(os.path.join(work, "svc"), os.path.join(work, "svc-root"),
                             provider_config=provider_config([src, proxy, blackhole]),
                             extra={"workers": 2})
    svc.start()
    try:
        def dest_digest(repo):
            tags = svc.ok("GET", "/api/v1/repositories/%s/tags" % repo)["tags"]
            return {x["tag"]: x["digest"] for x in tags}.get("v1")

        rules = {"plain": rule(proxy.host, "plain", "mirror/plain"),
                 "ranged": rule(proxy.host, "ranged", "mirror/ranged", acceleration=True)}
        for name, body in rules.items():
            svc.ok("POST", "/api/v1/rules", body, expect=(201,))

        def sync_clean():
            """Both rules synced from the un-stalled source; returns the image they hold."""
            proxy.clear_faults()
            proxy.release_stalls()
            for name in rules:
                task = svc.wait_task(svc.ok("POST", "/api/v1/rules/%s/execute" % name)["id"])
                assert task["status"] == "succeeded", (task, svc.log())
                assert dest_digest("mirror/" + name) == source.current.digest
            return source.current

        def cancel_by_api(task, what):
            assert svc.ok("GET", "/api/v1/tasks/%d" % task["id"])["status"] == "running"
            started = time.time()
            status, answer = svc.api("POST", "/api/v1/tasks/%d/cancel" % task["id"])
            assert status == 202, (status, answer)
            ended = svc.wait_task(task["id"], timeout=STALL + 30)
            took = time.time() - started
            print("API cancel, %s: %s after %.2f s" % (what, ended["status"], took), flush=True)
            assert ended["status"] == "cancelled", (what, ended, svc.log())
            assert ended["reason"] == "cancelled by request", ended
            assert took < CANCEL_LIMIT, "cancel took %.1f s, %s (limit %.0f s)\n%s" % (
                took, what, CANCEL_LIMIT, svc.log())

        def sigterm(task, what):
            """SIGTERM mid-task: a prompt exit 0 with the provider returned; after a restart
            (faults cleared) the task is recorded cancelled by the shutdown."""
            assert svc.ok("GET", "/api/v1/tasks/%d" % task["id"])["status"] == "running"
            code, took = svc.stop(signal.SIGTERM, timeout=STALL + 30)
            print("SIGTERM, %s: exit %s after %.2f s" % (what, code, took), flush=True)
            log = svc.log()
            assert code == 0, (what, code, log)
            assert took < SHUTDOWN_LIMIT, "shutdown took %.1f s, %s\n%s" % (took, what, log)
            assert "did not return" not in log, log
            proxy.release_stalls()
            proxy.clear_faults()
            svc.start()
            after = svc.ok("GET", "/api/v1/tasks/%d" % task["id"])
            assert after["status"] == "cancelled" and after["reason"] == "shutdown", after

        # -- (b) API cancel of a stalled task -------------------------------------------------
        for where, name in (("blob-body", "plain"), ("manifest-head", "plain"),
                            ("manifest-body", "plain"), ("ranged-parts", "ranged")):
            previous = sync_clean()
            moved = source.push()
            fault = stalls(proxy, moved, where)
            task = svc.ok("POST", "/api/v1/rules/%s/execute" % name)
            wait_fired(fault, where, svc.log())
            if where == "ranged-parts":  # several parts are held at once
                deadline = time.time() + 10
                while len(proxy.applied_by(fault)) < 2 and time.time() < deadline:
                    time.sleep(0.05)
                held = len(proxy.applied_by(fault))
                assert held >= 2, "ranged fetch held %d part(s), expected several" % held
                assert all("range" in r["headers"] for r in proxy.applied_by(fault))
            cancel_by_api(task, "stalled at " + where)
            assert dest_digest("mirror/" + name) == previous.digest, where

        # -- (b) API cancel while the connect to the source hangs -----------------------------
        svc.ok("POST", "/api/v1/rules", syncrun.make_rule(
            blackhole.host, SRC_REPO, "mirror/blackhole", name="blackhole"), expect=(201,))
        task = svc.ok("POST", "/api/v1/rules/blackhole/execute")
        time.sleep(1.0)  # in the connect by now (a loopback connect otherwise takes < 1 ms)
        cancel_by_api(task, "connecting")

        # -- (a) SIGTERM while a task is stalled ----------------------------------------------
        for where, name in (("blob-body", "plain"), ("manifest-head", "plain"),
                            ("ranged-parts", "ranged")):
            previous = sync_clean()
            moved = source.push()
            fault = stalls(proxy, moved, where)
            task = svc.ok("POST", "/api/v1/rules/%s/execute" % name)
            wait_fired(fault, where, svc.log())
            sigterm(task, "stalled at " + where)
            assert dest_digest("mirror/" + name) == previous.digest, where

        # -- (a) SIGTERM while the connect to the source hangs --------------------------------
        task = svc.ok("POST", "/api/v1/rules/blackhole/execute")
        time.sleep(1.0)
        sigterm(task, "connecting")

        sync_clean()
        code, _ = svc.stop()
        assert code == 0
    finally:
        if svc.proc is not None:
            svc.kill()


def tag_link(root, repo, tag):
    path = os.path.join(root, "docker/registry/v2/repositories", repo, "_manifests/tags", tag,
                        "current/link")
    with open(path) as f:
        return f.read()


def sync_scenarios(work, src, proxy, source):
    target = syncrun.SyncTarget(os.path.join(work, "sync"),
                                provider_config=provider_config([src, proxy]))
    for where in ("blob-body", "manifest-head"):
        proxy.clear_faults()
        proxy.release_stalls()
        body = rule(proxy.host, "oneshot", "mirror/oneshot")
        target.sync(body).expect(0)
        previous = source.current
        assert tag_link(target.root, "mirror/oneshot", "v1") == previous.digest
        moved = source.push()
        fault = stalls(proxy, moved, where)
        out_path = os.path.join(target.workdir, "stalled-%s.out" % where)
        err_path = os.path.join(target.workdir, "stalled-%s.err" % where)
        argv = [syncrun.tributary_binary(), "sync", "--config", target.config_path,
                "--rule", target.write_rule(body), "--json"]
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            wait_fired(fault, where)
            assert proc.poll() is None, "sync ended before it was interrupted"
            started = time.time()
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=STALL + 30)
            took = time.time() - started
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        with open(out_path, errors="replace") as f:
            stdout = f.read()
        with open(err_path, errors="replace") as f:
            stderr = f.read()
        result = syncrun.SyncResult(argv, code, stdout, stderr, True)  # no internal error
        print("SIGINT to sync, stalled at %s: exit %d after %.2f s" % (where, code, took),
              flush=True)
        result.expect(1)  # docs/reference.md: cancelled runs exit 1
        assert "cancelled by signal" in stderr, result.describe()
        assert took < SIGNAL_LIMIT, "sync took %.1f s to stop stalled at %s\n%s" % (
            took, where, result.describe())
        assert tag_link(target.root, "mirror/oneshot", "v1") == previous.digest, where
    proxy.clear_faults()
    proxy.release_stalls()
    # The stock registry serves the previous image whole after the interrupted runs.
    with target.serve() as dest:
        client = regclient.RegistryClient.for_registry(dest)
        assert syncrun.head_digest(client, "mirror/oneshot", "v1") == previous.digest
        for blob in previous.blobs():
            got = client.get_blob("mirror/oneshot", blob.digest)
            assert got.status == 200 and got.body == blob.data, (blob.digest, got.status)
    target.sync(rule(proxy.host, "oneshot", "mirror/oneshot")).expect(0)
    assert tag_link(target.root, "mirror/oneshot", "v1") == source.current.digest


def main():
    work = harness.make_temp_dir("trib-cancel-stalled-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src, \
            faultproxy.FaultProxy(src, timeout=STALL + 30) as proxy, Blackhole() as blackhole:
        source = Source(src)
        source.push()
        sync_scenarios(work, src, proxy, source)
        serve_scenarios(work, src, proxy, source, blackhole)
        assert not proxy.errors, proxy.errors
    print("ok")


if __name__ == "__main__":
    main()
