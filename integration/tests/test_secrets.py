"""Secrets never leave where the operator put them.

Four credentialed sources on loopback:
  basic   HTTPS docker-registry with htpasswd (Basic auth), password in a password_file;
  bearer  docker-registry with `auth: token` and tokenserver.py (RS256 JWTs), password inline
          in config.yml (`password:`);
  hub     vendoremu.DockerHub: token service + Hub API login + registry + blob CDN;
  quay    vendoremu.Quay: robot password to /v2/auth, an OAuth token (token_file) to the REST
          API, registry tokens that expire after 3 uses (re-authentication).
Each also has a credential with a wrong password (the failure paths: 401 from the registry,
the token server, the Hub token service and login, Quay's /v2/auth). And a hostile one:
  echo    a registry that quotes what it was sent in its error messages: the Basic header and
          its decoded `user:password` (echo/basic), the bearer token it issued (echo/bearer) --
          the provider quotes a source's error message as the cause, so these reach logs,
          reports and the state database unless redacted (SecretRedactor).

Driven through `tributary sync` (--json, human, --verbose = DEBUG, default WARN, --quiet =
ERROR, --dry-run) and
`tributary serve` (--verbose = DEBUG, then the default INFO): rules created, executed, planned;
task history, every task with its report, every rule, /metrics, /sources, the repositories'
tags, the CLI (`rules`, `tasks`, `task`, `plan`, `execute --wait`, --json and human).

Then everything produced is searched for every secret: captured stdout/stderr, the service
log, the state database with its -wal/-shm (read while the service runs and after it stopped),
the reports and API answers (saved as files), the provider cache directories and the storage
roots. Needles: each password (raw, JSON-escaped, URL-encoded, base64) and base64 of
`user:password`, the Quay OAuth token, every token the token servers issued (JWTs also by their
signature alone), the Hub API tokens, the admin bearer token. Zero hits. A control scan of
the secret files themselves must find every password (the scanner works).
Also: /proc/<pid>/cmdline and environ of `tributary serve`, of every process below it, and of
a running `tributary sync` hold no secret.
"""

import base64
import json
import os
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness
import images
import procstat
import regclient
import secretscan
import servicerun
import syncrun
import tokenserver
import vendoremu

PW = {
    "basic": "Basic-pw-7f3a9c21e4",
    "bearer": "Bearer-pw-51d0be8a77",
    "hub": "Hub-PAT-0c9e7d2b61f4",
    "quay": "QuayRobot-9a4f02c6d3",
}
WRONG = {
    "basic": "Wrong-basic-pw-2b8e61",
    "bearer": "Wrong-bearer-pw-93c7d0",
    "hub": "Wrong-hub-pat-4e1a75",
    "quay": "Wrong-quay-robot-6d28f9",
}
USER = {"basic": "alice", "bearer": "bob", "hub": "hubuser", "quay": "org+bot",
        "echo": "eve"}
PW["echo"] = "Echo-pw-d41c0e77a9"
WRONG["echo"] = "Wrong-echo-pw-0b93e1"
QUAY_OAUTH = "quay-oauth-app-token-8c1e5f93b7"
SOURCES = ("basic", "bearer", "hub", "quay", "echo")
BIG = 200 * 1024  # above range_threshold_bytes: fetched as ranges with acceleration


class EchoingRegistry:
    """A hostile source on 127.0.0.1 that puts what it was sent into its error messages.
    /v2/echo/basic/...: Basic challenge, then 403 quoting the Authorization header and its
    decoded `user:password`. /v2/echo/bearer/...: Bearer challenge (realm /token on this
    server, which issues `echo-tok-<uuid>` for the right password), then 403 quoting the
    token. `issued` lists the tokens."""

    tls = None

    def __init__(self):
        owner = self
        self.issued = []
        self.echoed = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def answer(self, status, message, headers=None):
                body = json.dumps({"errors": [{"code": "DENIED", "message": message}]}).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                auth = self.headers.get("Authorization", "")
                if self.path.startswith("/token"):
                    user, _, pw = base64.b64decode(auth[6:] or "").decode().partition(":")
                    if user != USER["echo"] or pw != PW["echo"]:
                        self.answer(401, "bad credentials %s (%s:%s)" % (auth, user, pw))
                        owner.echoed += 1
                        return
                    token = "echo-tok-" + uuid.uuid4().hex
                    owner.issued.append(token)
                    body = json.dumps({"token": token, "expires_in": 300}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                bearer = self.path.startswith("/v2/echo/bearer/")
                if not auth:
                    challenge = 'Bearer realm="http://%s/token",service="echo"' % owner.host \
                        if bearer else 'Basic realm="echo"'
                    self.answer(401, "authentication required", {"WWW-Authenticate": challenge})
                    return
                decoded = ""
                if auth.startswith("Basic "):
                    decoded = " (%s)" % base64.b64decode(auth[6:]).decode(errors="replace")
                owner.echoed += 1
                self.answer(403, "access denied for %s%s" % (auth, decoded))

            do_HEAD = do_GET

            def do_POST(self):  # noqa: N802  # no OAuth2 password grant: the GET protocol
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                self.answer(404, "not found")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = "127.0.0.1:%d" % self.httpd.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        return False


class Sources:
    """The four credentialed sources, their rules and one provider config that reaches all."""

    def __init__(self, work, stack):
        self.work = work
        self.certs = harness.make_ca_and_server_cert(os.path.join(work, "inputs", "tls"))
        htpasswd = harness.make_htpasswd(os.path.join(work, "inputs", "htpasswd"),
                                         {USER["basic"]: PW["basic"]})
        # basic: HTTPS + htpasswd
        self.basic = stack(harness.Registry(os.path.join(work, "src", "basic-root"),
                                            workdir=os.path.join(work, "src", "basic"),
                                            tls=self.certs, htpasswd=htpasswd))
        c = regclient.RegistryClient.for_registry(self.basic, USER["basic"], PW["basic"])
        images.push_artifact(c, "secure/app", images.make_image(
            "sec/basic", created="2024-01-01T00:00:00Z", layer_sizes=(BIG,)), ["v1"])
        images.push_artifact(c, "secure/app", images.make_multiarch(
            "sec/basic-multi", oci=True, created="2024-01-02T00:00:00Z",
            layer_sizes=(600,)), ["multi"])
        # bearer: seeded without auth, then served with auth: token
        root = os.path.join(work, "src", "bearer-root")
        with harness.Registry(root, workdir=os.path.join(work, "src", "bearer-seed")) as seed:
            c = regclient.RegistryClient.for_registry(seed)
            images.push_artifact(c, "private/app", images.make_image(
                "sec/bearer", created="2024-01-03T00:00:00Z", layer_sizes=(BIG,)), ["v1"])
        self.ts = stack(tokenserver.TokenServer(os.path.join(work, "inputs", "tokenserver"),
                                                users={USER["bearer"]: PW["bearer"]},
                                                anonymous=False))
        self.bearer = stack(harness.Registry(root, workdir=os.path.join(work, "src", "bearer"),
                                             token=self.ts.registry_auth()))
        # hub + quay: emulators over one plain upstream
        self.upstream = stack(harness.Registry(os.path.join(work, "src", "vendor-root"),
                                               workdir=os.path.join(work, "src", "vendor")))
        c = regclient.RegistryClient.for_registry(self.upstream)
        for i, tag in enumerate(("1.0", "1.1")):
            images.push_artifact(c, "library/app", images.make_image(
                "sec/hub/" + tag, created="2024-02-0%dT00:00:00Z" % (i + 1),
                layer_sizes=(BIG,)), [tag])
            images.push_artifact(c, "org/app", images.make_image(
                "sec/quay/" + tag, created="2024-03-0%dT00:00:00Z" % (i + 1),
                layer_sizes=(BIG,)), [tag])
        self.hub = stack(vendoremu.DockerHub(
            self.upstream, self.certs, users={USER["hub"]: PW["hub"]}, page_size=3,
            pushed={"library/app:1.0": "2025-01-01T00:00:00Z",
                    "library/app:1.1": "2025-01-02T00:00:00Z"}))
        self.quay = stack(vendoremu.Quay(
            self.upstream, self.certs, users={USER["quay"]: PW["quay"]}, page_size=3,
            oauth_token=QUAY_OAUTH,
            start_ts={"org/app:1.0": 1735000000, "org/app:1.1": 1735000600}))
        self.quay.token_uses = 3  # registry tokens expire: re-authentication with the password
        self.echo = stack(EchoingRegistry())

    def provider_config(self, cache_dir):
        hosts = [self.basic.host, self.quay.host] + self.hub.hosts()
        cfg = vendoremu.provider_config(self.certs, hosts, cache_dir=cache_dir, endpoints={
            "dockerhub": self.hub.endpoints()["dockerhub"],
            "quay": {"registry": self.quay.url, "api": self.quay.url}})
        # the token realm is plain http on its own port: listed, so credentials may go there
        cfg["insecure_registries"] = [self.bearer.host, "127.0.0.1:%d" % self.ts.port,
                                      self.echo.host]
        # acceleration (the good rules): layers as 64 KiB ranges, each an authenticated
        # request, and a mirror that refuses connections first; both log at DEBUG
        cfg["range_threshold_bytes"] = 100000
        cfg["range_part_bytes"] = 65536
        cfg["mirrors"] = {self.basic.host: ["127.0.0.1:%d" % harness.free_port()]}
        return cfg

    def credentials(self, secret_dir):
        """replication.credentials: good and wrong for each source (files under secret_dir,
        the bearer passwords inline)."""
        os.makedirs(secret_dir, exist_ok=True)
        out = {}
        for source in SOURCES:
            for kind, pw in (("good", PW[source]), ("wrong", WRONG[source])):
                name = "%s-%s" % (source, kind)
                if source == "bearer":
                    out[name] = {"username": USER[source], "password": pw}
                    continue
                path = os.path.join(secret_dir, name + ".password")
                with open(path, "w") as f:
                    f.write(pw + "\n")
                os.chmod(path, 0o600)
                out[name] = {"username": USER[source], "password_file": path}
                if source == "quay":
                    token_path = os.path.join(secret_dir, name + ".oauth-token")
                    with open(token_path, "w") as f:
                        f.write(QUAY_OAUTH + "\n")
                    os.chmod(token_path, 0o600)
                    out[name]["token_file"] = token_path
        return out

    def rule(self, source, kind):
        name = "%s-%s" % (source, kind)
        if source == "basic":
            r = syncrun.make_rule(self.basic.host, "secure/app", "mirror/basic-" + kind,
                                  name=name, credential=name)
        elif source == "bearer":
            r = syncrun.make_rule(self.bearer.host, "private/app", "mirror/bearer-" + kind,
                                  name=name, credential=name)
        elif source == "echo":
            # good: the bearer flow (token issued, then quoted); wrong: Basic refused, quoted
            r = syncrun.make_rule(self.echo.host, "echo/bearer" if kind == "good"
                                  else "echo/basic", "mirror/echo-" + kind, name=name,
                                  credential=name)
        elif source == "hub":
            r = vendoremu.vendor_rule("dockerhub", "app", "mirror/hub-" + kind, name=name,
                                      latest_n=2, credential=name)
        else:
            r = vendoremu.vendor_rule("quay", "org/app", "mirror/quay-" + kind, name=name,
                                      latest_n=2, credential=name)
        r["acceleration"] = kind == "good"
        return r

    def needles(self, admin_token):
        scan = secretscan.SecretScan()
        for source in SOURCES:
            scan.add("%s password" % source, PW[source], user=USER[source])
            scan.add("%s wrong password" % source, WRONG[source], user=USER[source])
        scan.add("quay oauth token", QUAY_OAUTH)
        scan.add("admin bearer token", admin_token)
        issued = {"tokenserver JWT": list(self.ts.issued),
                  "hub registry token": sorted(self.hub.tokens),
                  "hub API token": sorted(self.hub.hub_tokens),
                  "quay registry token": sorted(self.quay.tokens),
                  "echoed token": list(self.echo.issued)}
        for label, tokens in issued.items():
            assert tokens, "no %s was issued: the flow that should use it did not run" % label
            for t in tokens:
                scan.add_token(label, t)
        return scan, {k: len(v) for k, v in issued.items()}


class Outputs:
    """Every text the tests captured, saved as files under one directory (scanned later)."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.n = 0

    def save(self, name, *texts):
        self.n += 1
        with open(os.path.join(self.dir, "%03d-%s.txt" % (self.n, name)), "w") as f:
            for t in texts:
                f.write(t if isinstance(t, str) else json.dumps(t, indent=1))
                f.write("\n")


def assert_clean_process(pid, scan, what):
    """No secret in the argv or environment of pid and of every process below it."""
    checked = 0
    for p in [pid] + procstat.descendants(pid):
        try:
            argv, env = procstat.cmdline(p), procstat.environ(p)
        except (FileNotFoundError, ProcessLookupError):
            continue
        hits = scan.text("\0".join(argv)) + scan.text("\0".join(env))
        assert not hits, "%s (pid %d, %s): secret in argv/environ: %s" % (what, p, argv, hits)
        checked += 1
    return checked


def sync_phase(src, work, out, creds):
    """`tributary sync` with every output mode, good and wrong credentials."""
    roots = []
    runs = 0
    for source in SOURCES:
        dest = syncrun.SyncTarget(os.path.join(work, "sync", source),
                                  src.provider_config(os.path.join(work, "sync", source,
                                                                   "cache")),
                                  credentials=creds)
        roots += [dest.workdir]
        if source == "echo":
            runs += echo_sync(src, dest, out)
            continue
        good = src.rule(source, "good")
        plan = dest.sync(good, dry_run=True, extra=["--verbose"]).expect(0)
        first = dest.sync(good, extra=["--verbose"]).expect(0)
        assert first.report["status"] == "succeeded", first.describe()
        assert set(first.actions().values()) == {"synced"}, first.describe()
        assert "DEBUG" in first.stderr, "--verbose logged no DEBUG line:\n" + first.describe()
        default = dest.sync(good, as_json=False).expect(0)
        quiet = dest.sync(good, as_json=False, extra=["--quiet"]).expect(0)
        runs += 4
        for res in (plan, first, default, quiet):
            out.save("sync-%s" % source, " ".join(res.argv), res.stdout, res.stderr)
        wrong = src.rule(source, "wrong")
        failures = [dest.sync(wrong, extra=["--verbose"]),
                    dest.sync(wrong, dry_run=True, as_json=False, extra=["--verbose"])]
        runs += 2
        for res in failures:
            out.save("sync-%s-wrong" % source, " ".join(res.argv), res.stdout, res.stderr)
            assert res.code != 0, res.describe()
        text = (failures[1].stdout + failures[1].stderr).lower()
        assert any(w in text for w in ("401", "unauthori", "denied", "credential")), \
            failures[1].describe()
        print("sync %s: synced %s; wrong password refused: %s" % (
            source, sorted(first.actions()),
            failures[1].stderr.strip().splitlines()[-1][:160]), flush=True)
    return roots, runs


def echo_sync(src, dest, out):
    """The echoing source: every run fails, quoting the source, with the secret redacted."""
    runs = [dest.sync(src.rule("echo", "good"), extra=["--verbose"]),
            dest.sync(src.rule("echo", "good"), as_json=False),
            dest.sync(src.rule("echo", "good"), dry_run=True, as_json=False,
                      extra=["--verbose"]),
            dest.sync(src.rule("echo", "wrong"), extra=["--verbose"]),
            dest.sync(src.rule("echo", "wrong"), as_json=False, extra=["--quiet"])]
    for res in runs:
        out.save("sync-echo", " ".join(res.argv), res.stdout, res.stderr)
        assert res.code != 0, res.describe()
        text = res.stdout + res.stderr
        assert "access denied for" in text and "<redacted>" in text, res.describe()
    assert src.echo.issued and src.echo.echoed >= len(runs), (src.echo.issued,
                                                              src.echo.echoed)
    print("sync echo: the source quoted the credentials and tokens it was sent; the runs "
          "say: %s" % runs[1].stderr.strip().splitlines()[-1][:200], flush=True)
    return len(runs)


def running_sync_argv(src, work, creds, scan):
    """A `tributary sync` caught while running (its first request held): argv and environ."""
    dest = syncrun.SyncTarget(os.path.join(work, "sync", "argv"), src.provider_config(None),
                              credentials=creds)
    argv = [syncrun.tributary_binary(), "sync", "--config", dest.config_path,
            "--rule", dest.write_rule(src.rule("basic", "good")), "--json"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        checked = 0
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            checked = max(checked, assert_clean_process(proc.pid, scan, "tributary sync"))
            time.sleep(0.005)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert checked >= 1, "tributary sync ended before its argv could be read"
    return dest.workdir


def serve_phase(src, work, out, creds, scan):
    """`tributary serve --verbose`, then at the default level; returns (paths, counts)."""
    svc = servicerun.Service(os.path.join(work, "svc"), os.path.join(work, "svc", "root"),
                             provider_config=src.provider_config(
                                 os.path.join(work, "svc", "cache")),
                             credentials=creds, serve_args=["--verbose"])
    counts = {"api": 0, "cli": 0, "tasks": 0, "proc": 0}

    def get(path, name):
        status, answer = svc.api("GET", path)
        assert status == 200, (path, status, answer)
        out.save("api-" + name, "GET " + path, answer)
        counts["api"] += 1
        return answer

    def cli(*args):
        res = svc.cli(*args)
        out.save("cli-" + args[0], " ".join(res.argv), res.stdout, res.stderr)
        counts["cli"] += 1
        return res

    svc.start()
    try:
        for source in SOURCES:
            for kind in ("good", "wrong"):
                svc.ok("POST", "/api/v1/rules", src.rule(source, kind), expect=(201,))
        tasks = {}
        for source in SOURCES:
            for kind in ("good", "wrong"):
                name = "%s-%s" % (source, kind)
                tasks[name] = svc.ok("POST", "/api/v1/rules/%s/execute" % name)["id"]
                counts["proc"] += assert_clean_process(svc.proc.pid, scan,
                                                       "tributary serve")
        for name, task_id in tasks.items():
            task = svc.wait_task(task_id, timeout=90)
            counts["proc"] += assert_clean_process(svc.proc.pid, scan,
                                                   "tributary serve")
            if name.endswith("-good") and not name.startswith("echo"):
                assert task["status"] == "succeeded", task
            else:
                assert task["status"] in ("failed", "partial"), task
                assert task["report"] is None or "error" in task["report"] or \
                    any(t.get("reason") for t in task["report"].get("tags", [])), task
            counts["tasks"] += 1
        for source in SOURCES:
            for kind in ("good", "wrong"):
                name = "%s-%s" % (source, kind)
                get("/api/v1/rules/" + name, "rule")
                status, answer = svc.api("POST", "/api/v1/rules/%s/plan" % name)
                out.save("api-plan", "POST plan " + name, status, answer)
                counts["api"] += 1
                if kind == "good" and source != "echo":
                    assert status == 200, (name, status, answer)
            if source != "echo":
                get("/api/v1/repositories/mirror/%s-good/tags" % source, "tags")
        get("/api/v1/rules", "rules")
        history = get("/api/v1/tasks?limit=1000", "tasks")["tasks"]
        for t in history:
            get("/api/v1/tasks/%d" % t["id"], "task")
        get("/metrics", "metrics")
        get("/api/v1/sources", "sources")
        cli("rules", "list", "--json")
        cli("rules", "show", "hub-good")
        cli("tasks", "--json")
        cli("tasks")
        for t in history[:4]:
            cli("task", str(t["id"]))
            cli("task", str(t["id"]), "--json")
        cli("plan", "quay-good")
        cli("plan", "bearer-wrong")
        res = cli("execute", "basic-good", "--wait")
        assert res.code == 0, res.describe()
        res = cli("execute", "hub-wrong", "--wait")
        assert res.code != 0, res.describe()
        # the state database, its WAL and shared memory, read while the service is running
        state_dir = os.path.dirname(svc.state)
        live = os.path.join(work, "out", "state-while-running")
        os.makedirs(live, exist_ok=True)
        for f in os.listdir(state_dir):
            with open(os.path.join(state_dir, f), "rb") as fin, \
                    open(os.path.join(live, f), "wb") as fout:
                fout.write(fin.read())
        assert any(f.endswith("-wal") for f in os.listdir(live)), os.listdir(live)
        code, _ = svc.stop()
        assert code == 0, svc.log()

        # The default level (INFO): more runs, the failure paths again.
        svc.serve_args = []
        svc.start()
        for name in ("bearer-good", "quay-good", "basic-wrong", "quay-wrong", "echo-good"):
            task = svc.wait_task(svc.ok("POST", "/api/v1/rules/%s/execute" % name)["id"],
                                 timeout=90)
            out.save("api-task", task)
            counts["tasks"] += 1
        counts["proc"] += assert_clean_process(svc.proc.pid, scan,
                                               "tributary serve")
        get("/metrics", "metrics")
        code, _ = svc.stop()
        assert code == 0, svc.log()
    finally:
        if svc.proc is not None:
            svc.kill()
    with open(svc.log_path, errors="replace") as f:
        log = f.read()
    assert "DEBUG" in log, "the --verbose service logged no DEBUG line"
    return svc, counts


def main():
    harness.require_tool(harness.REGISTRY_BIN)
    started = time.monotonic()
    work = harness.make_temp_dir("trib-secrets-")
    out = Outputs(os.path.join(work, "out"))
    stack = []

    def enter(cm):
        stack.append(cm)
        return cm.__enter__()

    try:
        src = Sources(work, enter)
        secret_dir = os.path.join(work, "inputs", "secrets")
        creds = src.credentials(secret_dir)
        # Needles known before anything ran (passwords, admin token) for the process checks;
        # the issued tokens are added once they exist.
        early = secretscan.SecretScan()
        for source in SOURCES:
            early.add(source, PW[source], user=USER[source])
            early.add(source + " wrong", WRONG[source], user=USER[source])
        early.add("quay oauth token", QUAY_OAUTH)
        early.add("admin bearer token", servicerun.TOKEN)

        print("sources ready after %.1fs" % (time.monotonic() - started), flush=True)
        sync_roots, sync_runs = sync_phase(src, work, out, creds)
        sync_roots.append(running_sync_argv(src, work, creds, early))
        print("sync phase done after %.1fs" % (time.monotonic() - started), flush=True)
        svc, counts = serve_phase(src, work, out, creds, early)
        print("serve phase done after %.1fs" % (time.monotonic() - started), flush=True)
        assert src.quay.expired > 0, "no Quay token expired: re-authentication went untested"

        scan, issued = src.needles(servicerun.TOKEN)
        # Inputs: the secret files, the configs that name them (and hold the inline bearer
        # passwords), the admin token file, the source side (htpasswd, token signer, CA).
        inputs = [os.path.join(secret_dir, f) for f in os.listdir(secret_dir)]
        inputs += [svc.config_path, svc.token_file]
        inputs += [os.path.join(r, "tributary-config.yml") for r in sync_roots]
        produced = [out.dir, svc.workdir] + sync_roots
        hits, files, size = scan.files(produced, exclude=inputs)
        assert not hits, "secrets found in produced files:\n" + "\n".join(
            "%s: %s (%s)" % h for h in hits[:40])
        # Control: the scanner does find the passwords where they are meant to be.
        control, _, _ = scan.files([secret_dir] + [svc.config_path, svc.token_file])
        found = {label for _p, label, _f in control}
        for source in SOURCES:
            want = {"%s password" % source, "%s wrong password" % source}
            assert want <= found, ("control scan missed", source, sorted(found))
        assert "admin bearer token" in found and "quay oauth token" in found, found
    finally:
        for cm in reversed(stack):
            cm.__exit__(None, None, None)
    print("secrets: %d needles (%s issued tokens: %s) in %d files, %.1f MiB produced by %d "
          "sync runs, %d serve tasks, %d API answers, %d CLI runs; %d process argv/environ "
          "reads: 0 hits; test_secrets OK in %.0fs" % (
              len(scan.needles), sum(issued.values()), issued, files, size / 1048576.0,
              sync_runs + 1, counts["tasks"], counts["api"], counts["cli"], counts["proc"],
              time.monotonic() - started))


if __name__ == "__main__":
    main()
