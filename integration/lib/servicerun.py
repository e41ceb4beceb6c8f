"""Driving `tributary serve` from tests: a registry config.yml with the service's keys, the
process (started, waited for on /healthz, stopped by signal with its exit code and time), the
admin API over HTTP and the CLI over that API.

    svc = Service(work, storage_root, provider_config=..., extra={"edition": "basic"})
    svc.start()
    rule = svc.api("POST", "/api/v1/rules", body)     # -> (status, parsed JSON or text)
    svc.cli("execute", "my-rule", "--wait")             # -> syncrun-like result
    code, seconds = svc.stop()                          # SIGTERM; exit code, seconds taken
"""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import harness
import syncrun

TOKEN = "integration-test-token-0123456789abcdef"


class CliResult(syncrun.SyncResult):
    pass


class Service:
    def __init__(self, workdir, storage_root, provider_config=None, extra=None, credentials=None,
                 state=None, port=None, admin_extra=None, tls=None, serve_args=(),
                 storage=None):
        # storage: the config's whole `storage:` section (e.g. {"s3": {...}}) instead of the
        # filesystem root `storage_root` (then None).
        self.workdir = workdir
        self.serve_args = list(serve_args)  # e.g. ["--verbose"]; may be changed between starts
        os.makedirs(workdir, exist_ok=True)
        self.storage_root = storage_root
        if storage_root is not None:
            os.makedirs(storage_root, exist_ok=True)
        self.port = port or harness.free_port()
        self.token_file = os.path.join(workdir, "admin.token")
        with open(self.token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(self.token_file, 0o600)
        self.state = state or os.path.join(workdir, "state", "state.db")
        replication = {
            "state_dir": os.path.join(workdir, "state"),
            "state": self.state,
            "provider": {"config": provider_config or {}},
            "admin": {"addr": "127.0.0.1:%d" % self.port, "token_file": self.token_file},
        }
        replication["admin"].update(admin_extra or {})
        self.tls = tls  # a harness.CertBundle: the API speaks HTTPS with its server cert
        if tls is not None:
            replication["admin"]["tls"] = {"cert_file": tls.cert, "key_file": tls.key}
        lib = syncrun.plugin_library()
        if lib:
            replication["provider"]["library"] = lib
        if credentials:
            replication["credentials"] = credentials
        for key, value in (extra or {}).items():
            replication[key] = value
        self.config_path = os.path.join(workdir, "config.yml")
        harness.write_config(self.config_path, {
            "version": 0.1,
            "storage": storage or {"filesystem": {"rootdirectory": storage_root}},
            "replication": replication,
        })
        self.proc = None
        self.log_path = os.path.join(workdir, "serve.log")

    # -- process ---------------------------------------------------------------------------
    def start(self, expect_ready=True):
        self.proc = harness.start_process(
            [syncrun.tributary_binary(), "serve", "--config", self.config_path] +
            self.serve_args, self.log_path)
        if expect_ready:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("tributary serve exited %s:\n%s" % (
                    self.proc.returncode, self.log()))
            try:
                status, _ = self.api("GET", "/healthz", auth=False)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("tributary serve not ready on :%d\n%s" % (self.port, self.log()))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Sends `sig`; returns (exit code, seconds until exit)."""
        if self.proc is None:
            return None, 0.0
        start = time.time()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            harness.stop_process(self.proc)
            raise AssertionError("tributary serve did not exit within %ds:\n%s" % (
                timeout, self.log()))
        took = time.time() - start
        harness.stop_process(self.proc)  # forget it (already exited)
        self.proc = None
        return code, took

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        harness.stop_process(self.proc)
        self.proc = None

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-8000:]
        except OSError:
            return ""

    # -- API -------------------------------------------------------------------------------
    def api(self, method, path, body=None, auth=True, token=None, raw=None, headers=None):
        """(status, parsed JSON or text)."""
        data = raw if raw is not None else (
            None if body is None else json.dumps(body).encode())
        scheme = "https" if self.tls is not None else "http"
        req = urllib.request.Request("%s://127.0.0.1:%d%s" % (scheme, self.port, path),
                                     data=data, method=method)
        if auth:
            req.add_header("Authorization", "Bearer " + (token or TOKEN))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            ctx = self.tls.ssl_context() if self.tls is not None else None
            with urllib.request.urlopen(req, timeout=60, context=ctx) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def ok(self, method, path, body=None, expect=(200, 201, 202)):
        status, answer = self.api(method, path, body)
        if status not in expect:
            raise AssertionError("%s %s -> %d %s\n%s" % (method, path, status, answer,
                                                         self.log()))
        return answer

    def wait_task(self, task_id, timeout=60, until=("succeeded", "partial", "failed",
                                                      "cancelled")):
        deadline = time.time() + timeout
        while time.time() < deadline:
            task = self.ok("GET", "/api/v1/tasks/%d" % task_id)
            if task["status"] in until:
                return task
            time.sleep(0.1)
        raise AssertionError("task %d not %s within %ds: %s\n%s" % (
            task_id, until, timeout, task, self.log()))

    # -- CLI -------------------------------------------------------------------------------
    def cli(self, *args, stdin=None, timeout=120):
        argv = [syncrun.tributary_binary()] + list(args) + ["--config", self.config_path]
        proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout)
        return CliResult(argv, proc.returncode, proc.stdout.decode(errors="replace"),
                         proc.stderr.decode(errors="replace"), "--json" in args)
