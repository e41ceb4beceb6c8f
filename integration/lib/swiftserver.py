"""OpenStack Swift all-in-one with the s3api middleware, on 127.0.0.1, per test.

`SwiftServer()` builds, in a temp dir: a devices dir (a plain directory, `mount_check =
false`), one-replica account/container/object rings with one device each (`swift-ring-builder`),
the four servers' configs (the proxy's pipeline has `s3api` before `tempauth`, and `slo`, which
s3api's multipart uploads need), and starts memcached and the servers on free loopback ports,
each in its own process group, stopped by PID. Swift logs through syslog: the harness binds a
Unix datagram socket as `log_address` and appends every record to `swift.log`.

S3 credentials: access key `<account>:<user>` (`test:tester`), secret = the tempauth key
(`testing`); region `us-east-1`; path-style. `registry_s3_config(prefix)` is the `storage.s3`
section of a Distribution config pointing at the bucket.

Debian's swift reads `/etc/swift/swift.conf` (its hash path prefix/suffix and storage policies)
from that fixed path; the package ships it. Everything else lives in the temp dir.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import harness
from s3client import S3Client

SWIFT_BINS = ("swift-ring-builder", "swift-proxy-server", "swift-account-server",
              "swift-container-server", "swift-object-server")
MEMCACHED_BIN = "memcached"


def require_swift():
    """Skip the test when Swift or memcached is not installed (scripts/setup.sh installs them)."""
    for b in SWIFT_BINS + (MEMCACHED_BIN,):
        harness.require_tool(b)
    if not os.path.exists("/etc/swift/swift.conf"):
        harness.skip("/etc/swift/swift.conf missing (Debian's swift package ships it)")


class _SyslogSink:
    """A Unix datagram socket Swift's SysLogHandler writes to; records go to a text file."""

    def __init__(self, sock_path, log_path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(sock_path)
        self.log_path = log_path
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        with open(self.log_path, "ab", buffering=0) as out:
            while not self.closed:
                try:
                    data = self.sock.recv(65536)
                except OSError:
                    return
                with self.lock:
                    out.write(data.rstrip(b"\0\n") + b"\n")

    def close(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class SwiftServer:
    """Swift (proxy + account + container + object) and memcached on 127.0.0.1.

    Use as a context manager. Attributes: port (proxy), endpoint (http://127.0.0.1:port),
    bucket, access_key, secret_key, workdir, log_path; s3() is an S3Client for checks.
    """

    def __init__(self, workdir=None, bucket="registry", account="test", user="tester",
                 key="testing", proxy_workers=0, start_timeout=30.0):
        require_swift()
        self.workdir = workdir or harness.make_temp_dir("trib-swift-")
        os.makedirs(self.workdir, exist_ok=True)
        self.attempts = 0
        self.bucket = bucket
        self.account = account
        self.user = user
        self.key = key
        self.proxy_workers = proxy_workers
        self.start_timeout = start_timeout
        self.procs = []
        self.sink = None
        self.port = None
        self.log_path = os.path.join(self.workdir, "swift.log")

    # -- S3 view ------------------------------------------------------------------------------

    @property
    def access_key(self):
        return "%s:%s" % (self.account, self.user)

    @property
    def secret_key(self):
        return self.key

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def s3(self):
        return S3Client("127.0.0.1", self.port, self.access_key, self.secret_key)

    def registry_s3_config(self, rootdirectory, chunksize=None, extra=None):
        """The `storage.s3` section of a docker-registry / tributary config for this bucket."""
        cfg = {
            "region": "us-east-1",
            "regionendpoint": self.endpoint,
            "bucket": self.bucket,
            "accesskey": self.access_key,
            "secretkey": self.secret_key,
            "secure": False,
            "v4auth": True,
            "rootdirectory": rootdirectory,
        }
        if chunksize is not None:
            cfg["chunksize"] = chunksize
        cfg.update(extra or {})
        return cfg

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self):
        last = None
        for _attempt in range(3):  # a free port may be taken by someone else meanwhile
            try:
                self._start_once()
                return self
            except RuntimeError as e:
                last = e
                self.stop()
        raise RuntimeError("Swift did not start: %s\n--- swift.log tail ---\n%s" % (
            last, self.log_text()[-4000:]))

    def _start_once(self):
        self.attempts += 1
        run_dir = os.path.join(self.workdir, "run-%d" % self.attempts)
        os.makedirs(run_dir)
        devices = os.path.join(run_dir, "devices")
        os.makedirs(os.path.join(devices, "d1"))
        ports = {name: harness.free_port() for name in
                 ("proxy", "account", "container", "object", "memcached")}
        self.port = ports["proxy"]
        sock_path = os.path.join(run_dir, "log.sock")
        self.sink = _SyslogSink(sock_path, self.log_path)
        user = pwd.getpwuid(os.getuid()).pw_name

        # One interpreter builds the three rings through swift-ring-builder's own RingBuilder
        # (nine CLI calls take ~10 s on a loaded machine): part power 6 (64 partitions, plenty
        # for one device), 1 replica, min_part_hours 1, one device per ring.
        harness.run(["/usr/bin/python3", "-c", _RING_SCRIPT, run_dir,
                     str(ports["account"]), str(ports["container"]), str(ports["object"])],
                    env=harness_env())

        common = ("[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = %%d\nworkers = %%d\n"
                  "user = %s\nswift_dir = %s\ndevices = %s\nmount_check = false\n"
                  "log_address = %s\nlog_level = INFO\n" % (user, run_dir, devices, sock_path))
        for ring in ("account", "container", "object"):
            with open(os.path.join(run_dir, ring + "-server.conf"), "w") as f:
                f.write(common % (ports[ring], 0))
                f.write("\n[pipeline:main]\npipeline = %s-server\n\n[app:%s-server]\n"
                        "use = egg:swift#%s\n" % (ring, ring, ring))
                if ring == "object":
                    # Remote updates happen inline; nothing async to wait for.
                    f.write("\n[object-updater]\n[object-auditor]\n")
        with open(os.path.join(run_dir, "proxy-server.conf"), "w") as f:
            f.write(common % (ports["proxy"], self.proxy_workers))
            f.write(_PROXY_CONF % {"memcached": ports["memcached"], "account": self.account,
                                   "user": self.user, "key": self.key})

        self._spawn([MEMCACHED_BIN, "-l", "127.0.0.1", "-p", str(ports["memcached"]),
                     "-U", "0", "-m", "16", "-u", user], "memcached.log")
        for ring in ("account", "container", "object"):
            self._spawn(["swift-%s-server" % ring, os.path.join(run_dir, ring + "-server.conf")],
                        ring + ".log")
        self._spawn(["swift-proxy-server", os.path.join(run_dir, "proxy-server.conf")],
                    "proxy.log")
        self._wait_ready(ports)
        s3 = self.s3()
        if s3.head_bucket(self.bucket) != 200:
            s3.create_bucket(self.bucket)

    def _spawn(self, argv, log_name):
        """Start a server in its own process group (a proxy with workers forks), stdout and
        stderr to <workdir>/<log_name>. Its PID is tracked; stop() kills the group."""
        log = open(os.path.join(self.workdir, log_name), "ab")
        try:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    env=harness_env())
        finally:
            log.close()
        harness._live_processes[proc.pid] = proc  # pylint: disable=protected-access
        self.procs.append(proc)
        return proc

    def _wait_ready(self, ports):
        deadline = time.monotonic() + self.start_timeout
        pending = dict(ports)
        while pending and time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError("%s exited with code %d" % (proc.args[0], proc.returncode))
            for name, port in list(pending.items()):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    del pending[name]
                except OSError:
                    pass
            time.sleep(0.05)
        if pending:
            raise RuntimeError("no answer on ports %s within %.0fs" % (pending, self.start_timeout))
        # The proxy answers; tempauth answers once the whole pipeline is loaded.
        while time.monotonic() < deadline:
            req = urllib.request.Request(
                self.endpoint + "/auth/v1.0",
                headers={"X-Auth-User": self.access_key, "X-Auth-Key": self.key})
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    if resp.headers.get("X-Auth-Token"):
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError("tempauth did not answer within %.0fs" % self.start_timeout)

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group: forked workers too
            except ProcessLookupError:
                pass
            if proc.poll() is None:
                proc.wait(timeout=10)
            harness._live_processes.pop(proc.pid, None)  # pylint: disable=protected-access
        self.procs = []
        if self.sink is not None:
            self.sink.close()
            self.sink = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- logs and memory ------------------------------------------------------------------

    def log_text(self):
        out = []
        for name in ("swift.log", "proxy.log", "account.log", "container.log", "object.log",
                     "memcached.log"):
            p = os.path.join(self.workdir, name)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    out.append("== %s ==\n%s" % (name, f.read().decode(errors="replace")))
        return "\n".join(out)

    def rss_kib(self):
        """Resident memory of every Swift and memcached process (VmRSS, KiB)."""
        total = 0
        for proc in self.procs:
            try:
                with open("/proc/%d/status" % proc.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except FileNotFoundError:
                pass
        return total


def harness_env():
    """Environment for Swift's processes: without CTest's PYTHONPATH (Debian's python3 must
    find its own packages first) and without AWS_*."""
    env = harness.registry_env()
    env.pop("PYTHONPATH", None)
    return env


_RING_SCRIPT = """
import os, sys
from swift.common.ring import RingBuilder
run_dir = sys.argv[1]
for name, port in zip(("account", "container", "object"), sys.argv[2:5]):
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
                     "device": "d1", "weight": 100})
    builder.rebalance()
    builder.save(os.path.join(run_dir, name + ".builder"))
    builder.get_ring().save(os.path.join(run_dir, name + ".ring.gz"))
"""


_PROXY_CONF = """
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:tempauth]
use = egg:swift#tempauth
user_%(account)s_%(user)s = %(key)s .admin

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:%(memcached)d

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo
"""


if __name__ == "__main__":
    # Self-check: start, put/list/get an object and a multipart upload, stop.
    t0 = time.monotonic()
    with SwiftServer() as swift:
        print("started in %.1fs on %s, rss %d MiB" % (time.monotonic() - t0, swift.endpoint,
                                                      swift.rss_kib() // 1024), flush=True)
        c = swift.s3()
        c.put_object(swift.bucket, "a/b/data", b"hello")
        assert c.get_object(swift.bucket, "a/b/data") == b"hello"
        assert c.list_objects(swift.bucket, "a/") == [("a/b/data", 5)]
        uid = c.create_multipart_upload(swift.bucket, "a/big")
        c.upload_part(swift.bucket, "a/big", uid, 1, b"x" * (5 << 20))
        assert c.list_multipart_uploads(swift.bucket, "a/")[0][:2] == ("a/big", uid)
        assert c.list_parts(swift.bucket, "a/big", uid) == [(1, 5 << 20)]
        c.abort_multipart_upload(swift.bucket, "a/big", uid)
        assert c.list_multipart_uploads(swift.bucket, "a/") == []
        print("ok")
    shutil.rmtree(swift.workdir, ignore_errors=True)
