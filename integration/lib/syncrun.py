"""Driving `tributary sync` from tests: a registry config.yml with a `replication:` section,
rule files, runs with their exit code / stdout / stderr / parsed JSON, and storage-root
snapshots to prove that nothing was written.

    dest = SyncTarget(work, provider_config=provider_config_for(src_registry, work))
    res = dest.sync(rule(src_registry, "ns/app", "mirror/app", latest_n=3))
    res.expect(0); res.report["tags"]
"""

import json
import os
import re
import signal
import subprocess
import time
import calendar

import harness


def tributary_binary():
    """`tributary` from CTest's TRIB_TRIBUTARY, or <build>/host-sdk/sidecar/tributary."""
    if os.environ.get("TRIB_TRIBUTARY"):
        return harness.require_env_file("TRIB_TRIBUTARY")
    build = os.environ.get("TRIB_BUILD_DIR")
    if build:
        path = os.path.join(build, "host-sdk", "sidecar", "tributary")
        if os.path.exists(path):
            return path
    raise RuntimeError("TRIB_TRIBUTARY is not set (run the test through ctest)")


def tributary_built_with_asan():
    """True when the tributary binary under test links GCC's AddressSanitizer runtime (the
    test command's second pass), whose shadow memory and quarantine raise every RSS figure."""
    try:
        out = subprocess.run(["ldd", tributary_binary()], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=30).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out


def plugin_library():
    """libtributary.so from CTest's TRIB_PLUGIN (None: let the CLI use its built-in default)."""
    value = os.environ.get("TRIB_PLUGIN")
    return harness.require_env_file("TRIB_PLUGIN") if value else None


def provider_config_for(sources, cache_dir=None, tls_sources=(), ca_files=None,
                        concurrency=4):
    """Provider config for loopback sources: plain-HTTP registries listed as insecure,
    private networks allowed (127.0.0.1), optional CA files per host:port."""
    cfg = {"concurrency": concurrency,
           "insecure_registries": [s.host for s in sources if s.tls is None],
           "allow_private_networks": True}
    cas = dict(ca_files or {})
    for s in tls_sources:
        if s.ca_cert:
            cas[s.host] = s.ca_cert
    if cas:
        cfg["ca_files"] = cas
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        cfg["cache_dir"] = cache_dir
    return cfg


def make_rule(domain, repository, destination, name="test-rule", tag_regex=".*", latest_n=5,
              platforms=None, overwrite=False, credential=None, kind="custom"):
    """A manual rule; `kind` is the source type (a vendor's takes no domain: pass None)."""
    source = {"type": kind}
    if domain:
        source["domain"] = domain
    source["repository"] = repository
    if credential:
        source["credential"] = credential
    policy = {"tag_regex": tag_regex, "latest_n": latest_n}
    if platforms is not None:
        policy["platforms"] = list(platforms)
    return {"name": name, "source": source, "policy": policy,
            "destination": {"repository": destination, "overwrite": overwrite},
            "acceleration": False, "update_period": "manual"}


class SyncResult:
    """One `tributary sync` run: code, stdout, stderr (text), json (parsed stdout or None)."""

    def __init__(self, argv, code, stdout, stderr, as_json):
        self.argv = argv
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
        self.json = None
        # Every run, whatever its outcome, must join its workers before exiting (main() reports
        # a leftover thread as an internal error) and must not hit an internal error at all.
        if "internal error" in stderr:
            raise AssertionError("tributary reported an internal error\n" + self.describe())
        if as_json and stdout.strip():
            try:
                self.json = json.loads(stdout)
            except ValueError:
                self.json = None

    @property
    def report(self):
        if self.json is None:
            raise AssertionError("no JSON on stdout:\n" + self.describe())
        return self.json

    def describe(self):
        return "$ %s\nexit %d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(self.argv), self.code, self.stdout[-6000:], self.stderr[-6000:])

    def expect(self, code):
        if self.code != code:
            raise AssertionError("expected exit %d\n%s" % (code, self.describe()))
        return self

    # Rows for tags the rule left out (docs/report.md); tags()/actions() are the selected ones.
    NOT_SELECTED = ("beyond_latest_n", "excluded_by_regex")

    def tags(self):
        return [t["tag"] for t in self.report["tags"] if t["action"] not in self.NOT_SELECTED]

    def entry(self, tag):
        for t in self.report["tags"]:
            if t["tag"] == tag:
                return t
        raise AssertionError("tag %s not in report:\n%s" % (tag, self.describe()))

    def actions(self):
        return {t["tag"]: t["action"] for t in self.report["tags"]
                if t["action"] not in self.NOT_SELECTED}


class SyncTarget:
    """A destination storage root plus the registry config.yml `tributary sync` reads.

    The config is also a valid docker-registry config (JSON is YAML; Distribution ignores the
    `replication:` key), but the tests serve the root with harness.Registry, which writes its
    own config for a free port."""

    def __init__(self, workdir, provider_config=None, credentials=None, root=None, storage=None):
        # storage: the config's whole `storage:` section (e.g. {"s3": {...}}) instead of a
        # filesystem root; `replication_extra` is merged into `replication:`.
        self.storage = storage
        self.replication_extra = {}
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.root = root or os.path.join(workdir, "dest-root")
        self.config_path = os.path.join(workdir, "tributary-config.yml")
        self.provider_config = dict(provider_config or {})
        self.credentials = dict(credentials or {})
        self._rules = 0
        self.write_config()

    def write_config(self):
        replication = {"provider": {"config": self.provider_config}}
        lib = plugin_library()
        if lib:
            replication["provider"]["library"] = lib
        if self.credentials:
            replication["credentials"] = self.credentials
        if getattr(self, "storage", None):
            # No local storage root to keep Tributary's state under (an S3 bucket).
            replication["state_dir"] = os.path.join(self.workdir, "state")
        replication.update(getattr(self, "replication_extra", {}))
        cfg = {"version": 0.1,
               "storage": getattr(self, "storage", None) or
               {"filesystem": {"rootdirectory": self.root}},
               "http": {"addr": "127.0.0.1:0"},
               "replication": replication}
        harness.write_config(self.config_path, cfg)

    def add_password_credential(self, name, username, password):
        """A credential whose password lives in a file (password_file), like production."""
        path = os.path.join(self.workdir, "secret-%s" % name)
        with open(path, "w") as f:
            f.write(password)
        os.chmod(path, 0o600)
        self.credentials[name] = {"username": username, "password_file": path}
        self.write_config()
        return path

    def write_rule(self, rule):
        self._rules += 1
        path = os.path.join(self.workdir, "rule-%d.json" % self._rules)
        with open(path, "w") as f:
            if isinstance(rule, (dict, list)):
                json.dump(rule, f, indent=2)
            else:
                f.write(rule)
        return path

    def sync(self, rule, dry_run=False, as_json=True, extra=(), timeout=300):
        argv = [tributary_binary(), "sync", "--config", self.config_path,
                "--rule", self.write_rule(rule)]
        if dry_run:
            argv.append("--dry-run")
        if as_json:
            argv.append("--json")
        argv += list(extra)
        res = harness.run(argv, check=False, timeout=timeout)
        out = SyncResult(argv, res.returncode, res.stdout.decode(errors="replace"),
                         res.stderr.decode(errors="replace"), as_json)
        print("ran: %s -> exit %d" % (" ".join(argv[1:]), out.code), flush=True)
        return out

    def serve(self, **kwargs):
        """A docker-registry serving this root (context manager from harness)."""
        return harness.Registry(self.root, workdir=os.path.join(self.workdir, "dest-registry"),
                                **kwargs)


def wait_until(predicate, alive, timeout):
    """Polls predicate() every millisecond until it holds (True), alive() turns false or
    `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if not alive():
            return False
        time.sleep(0.001)
    return False


def kill_at(proc, log_path, moment, what, timeout, before_kill=None, on_exit=None):
    """SIGKILLs a background `tributary sync` (`proc` from harness.start_process, its output in
    `log_path`) as soon as moment() holds, polled every millisecond while the run lives; a run
    still going without it after `timeout` seconds fails the test, naming `what`. When the
    moment came, before_kill() runs just before the kill (e.g. to let other transfers move on).
    on_exit() runs last whatever happened (e.g. release a proxy's stalled requests: nobody is
    left to answer them). Returns "killed", or "finished (exit 0)" when the run ended first; a
    run that ended first with another code fails the test with the tail of its log."""
    def alive():
        return proc.poll() is None
    try:
        if not wait_until(moment, alive, timeout) and alive():
            raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
        if before_kill is not None and alive():
            before_kill()
        if alive():
            proc.send_signal(signal.SIGKILL)  # our own child, by PID
            proc.wait(timeout=60)
    finally:
        harness.stop_process(proc)
        if on_exit is not None:
            on_exit()
    if proc.returncode == -signal.SIGKILL:
        return "killed"
    if proc.returncode != 0:
        with open(log_path, errors="replace") as f:
            raise AssertionError("a run that ended before the kill failed (exit %d):\n%s" % (
                proc.returncode, f.read()[-4000:]))
    return "finished (exit 0)"


def tree_snapshot(root):
    """{relative path: (size, mtime_ns)} of every regular file under root (empty if absent)."""
    out = {}
    if not os.path.isdir(root):
        return out
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            st = os.stat(path)
            out[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns)
    return out


def parse_rfc3339(text):
    """Seconds since the epoch from 2024-01-02T03:04:05[.fff]Z (UTC only, as tests use)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]00:?00)", text)
    if not m:
        raise AssertionError("not an RFC 3339 UTC time: %r" % text)
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return secs + (float(m.group(2)) if m.group(2) else 0.0)


def head_digest(client, repo, ref):
    """Docker-Content-Digest of repo:ref via HEAD (None on 404)."""
    res = client.get_manifest(repo, ref, method="HEAD")
    if res.status == 404:
        return None
    if res.status != 200:
        raise AssertionError("HEAD %s:%s -> %d" % (repo, ref, res.status))
    return res.headers.get("Docker-Content-Digest")


def manifest_status(client, repo, ref):
    return client.get_manifest(repo, ref).status
