"""Integration-test harness: real docker-registry, skopeo and openssl on 127.0.0.1.

Everything here uses the Python 3 standard library and the CLIs only. Every process started
is tracked by PID and stopped (SIGTERM, then SIGKILL) when its context manager exits and,
as a last resort, at interpreter exit, so a failing test never leaves a registry running.
Ports are chosen at run time; temp dirs come from tempfile.mkdtemp.
"""

import atexit
import base64
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REGISTRY_BIN = os.environ.get("TRIB_DOCKER_REGISTRY", "/usr/bin/docker-registry")
SKOPEO_BIN = os.environ.get("TRIB_SKOPEO", "skopeo")
OPENSSL_BIN = os.environ.get("TRIB_OPENSSL", "openssl")

# CTest treats this exit code as "skipped" (SKIP_RETURN_CODE 77 in integration/CMakeLists.txt).
SKIP_CODE = 77


def skip(msg):
    """Skip the whole test: only for a tool that is genuinely missing on this machine."""
    print("SKIP: " + msg, flush=True)
    sys.exit(SKIP_CODE)


def require_tool(path_or_name):
    """Absolute path of a CLI, or skip the test when it is not installed."""
    found = shutil.which(path_or_name)
    if not found:
        skip("required tool not found: " + path_or_name)
    return found


def require_env_file(var):
    """Path from an environment variable set by CTest; a missing one is a setup error."""
    value = os.environ.get(var)
    if not value:
        raise RuntimeError("environment variable %s is not set (run the test through ctest)" % var)
    if not os.path.exists(value):
        raise RuntimeError("%s=%s does not exist (build it first)" % (var, value))
    return value


# ------------------------------------------------------------------------------------------
# Process tracking: nothing outlives the test.
# ------------------------------------------------------------------------------------------

_live_processes = {}


def _stop_pid(proc, grace=5.0):
    """SIGTERM, wait, then SIGKILL the process we started (by its PID only)."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        proc.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        return proc.poll()
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass
    return proc.wait(timeout=10)


def _stop_all_at_exit():
    for proc in list(_live_processes.values()):
        _stop_pid(proc, grace=2.0)
    _live_processes.clear()


atexit.register(_stop_all_at_exit)


def _on_signal(signum, _frame):
    # CTest's timeout sends SIGTERM/SIGKILL to the script; run atexit handlers on SIGTERM.
    _stop_all_at_exit()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)


# If the test itself is SIGKILLed (a CTest timeout), atexit does not run; the kernel's
# parent-death signal still takes the child down. setpriv (util-linux, essential on Debian)
# sets it and execs, so the PID we track is the real process.
_SETPRIV = shutil.which("setpriv")


def start_process(argv, log_path, env=None, cwd=None):
    """Start a tracked background process with stdout+stderr appended to log_path."""
    if _SETPRIV:
        argv = [_SETPRIV, "--pdeathsig", "KILL", "--"] + list(argv)
    log = open(log_path, "ab")
    try:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd)
    finally:
        log.close()
    _live_processes[proc.pid] = proc
    return proc


def stop_process(proc):
    code = _stop_pid(proc)
    _live_processes.pop(proc.pid, None)
    return code


# Servers get ports below Linux's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999
# by default): a port the kernel handed out by bind(0) is also a candidate for the local end of
# the next outgoing connection, and with several tests at once (ctest -j4) opening thousands of
# connections, such a port was sometimes taken again before the server started on it.
_PORT_RANGE = (20000, 32767)


def free_port():
    """A loopback port that was free a moment ago, drawn at random below the ephemeral range."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(*_PORT_RANGE)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_temp_dir(prefix="trib-integ-"):
    """A unique temp dir, removed at exit unless TRIB_KEEP_TMP is set (for debugging)."""
    path = tempfile.mkdtemp(prefix=prefix)
    if not os.environ.get("TRIB_KEEP_TMP"):
        atexit.register(shutil.rmtree, path, True)
    else:
        print("keeping temp dir " + path, flush=True)
    return path


def run(argv, check=True, timeout=300, env=None, input_bytes=None):
    """Run a CLI to completion; on failure raise with its output so the test log says why."""
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                         env=env, input=input_bytes)
    if check and res.returncode != 0:
        raise RuntimeError("command failed (%d): %s\nstdout:\n%s\nstderr:\n%s" % (
            res.returncode, " ".join(argv), res.stdout.decode(errors="replace"),
            res.stderr.decode(errors="replace")))
    return res


# ------------------------------------------------------------------------------------------
# openssl: CA, server certificate, htpasswd.
# ------------------------------------------------------------------------------------------

class CertBundle:
    """A CA and a server certificate for 127.0.0.1, as PEM file paths."""

    def __init__(self, ca_cert, ca_key, cert, key, certs_dir):
        self.ca_cert = ca_cert
        self.ca_key = ca_key
        self.cert = cert
        self.key = key
        # Layout skopeo's --src-cert-dir / --dest-cert-dir expect: a ca.crt inside.
        self.certs_dir = certs_dir

    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=self.ca_cert)
        return ctx


def make_ca_and_server_cert(directory, cn="127.0.0.1"):
    """Self-signed CA + server cert with SAN IP:127.0.0.1 and DNS:localhost (openssl CLI)."""
    require_tool(OPENSSL_BIN)
    os.makedirs(directory, exist_ok=True)
    ca_key = os.path.join(directory, "ca.key")
    ca_cert = os.path.join(directory, "ca.pem")
    key = os.path.join(directory, "server.key")
    csr = os.path.join(directory, "server.csr")
    cert = os.path.join(directory, "server.pem")
    ext = os.path.join(directory, "server.ext")
    run([OPENSSL_BIN, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
         "-subj", "/CN=Tributary Test CA", "-keyout", ca_key, "-out", ca_cert,
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run([OPENSSL_BIN, "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=" + cn,
         "-keyout", key, "-out", csr])
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run([OPENSSL_BIN, "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "2", "-sha256", "-extfile", ext, "-out", cert])
    certs_dir = os.path.join(directory, "certs.d")
    os.makedirs(certs_dir, exist_ok=True)
    shutil.copyfile(ca_cert, os.path.join(certs_dir, "ca.crt"))
    return CertBundle(ca_cert, ca_key, cert, key, certs_dir)


def bcrypt_hash(password):
    """bcrypt hash as docker-registry's htpasswd auth requires ($2y$/$2b$)."""
    htpasswd = shutil.which("htpasswd")
    if htpasswd:
        res = run([htpasswd, "-nbB", "u", password])
        return res.stdout.decode().strip().split(":", 1)[1]
    # Fallback: glibc's crypt(3) does bcrypt; the module is deprecated but present in 3.11.
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # pylint: disable=import-outside-toplevel,deprecated-module
    if crypt.METHOD_BLOWFISH not in crypt.methods:
        skip("no htpasswd (apache2-utils) and no bcrypt in crypt(3)")
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5))


def make_htpasswd(path, users):
    """Write an htpasswd file for {user: password} with bcrypt hashes."""
    with open(path, "w") as f:
        for user, password in users.items():
            f.write("%s:%s\n" % (user, bcrypt_hash(password)))
    return path


# ------------------------------------------------------------------------------------------
# docker-registry
# ------------------------------------------------------------------------------------------

def registry_config(root, port, tls=None, htpasswd=None, token=None, extra=None, s3=None):
    """config.yml content as a dict (JSON is valid YAML, so it is written with json.dumps).

    tls: CertBundle or (cert, key); htpasswd: path; token: dict with realm, service, issuer,
    rootcertbundle; s3: a `storage.s3` section (swiftserver.SwiftServer.registry_s3_config),
    used instead of the filesystem driver at root.
    """
    cfg = {
        "version": 0.1,
        "log": {"level": "info", "formatter": "text", "accesslog": {"disabled": False}},
        "storage": {
            **({"s3": s3} if s3 is not None else {"filesystem": {"rootdirectory": root}}),
            "delete": {"enabled": True},
            "cache": {"blobdescriptor": "inmemory"},
            # The purger would touch _uploads of a store other code writes; tests don't want it.
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {"addr": "127.0.0.1:%d" % port, "secret": "tributary-integration-test"},
    }
    if tls is not None:
        cert, key = (tls.cert, tls.key) if isinstance(tls, CertBundle) else tls
        cfg["http"]["tls"] = {"certificate": cert, "key": key}
    if htpasswd is not None and token is not None:
        raise ValueError("docker-registry takes one auth method")
    if htpasswd is not None:
        cfg["auth"] = {"htpasswd": {"realm": "tributary-test", "path": htpasswd}}
    if token is not None:
        cfg["auth"] = {"token": {k: token[k] for k in ("realm", "service", "issuer",
                                                      "rootcertbundle")}}
    if extra:
        _deep_merge(cfg, extra)
    return cfg


def _deep_merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _deep_merge(dst[k], v)
        else:
            dst[k] = v


def write_config(path, cfg):
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    return path


_ACCESS_RE = re.compile(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP/[0-9.]+" (\d{3})')


class Registry:
    """A docker-registry process on 127.0.0.1:<free port> serving `root`.

    Use as a context manager; stop() is idempotent. Attributes: url, port, root, config_path,
    log_path, ca_cert (when TLS), proc.
    """

    def __init__(self, root, workdir=None, tls=None, htpasswd=None, token=None, extra=None,
                 start_timeout=20.0, s3=None):
        require_tool(REGISTRY_BIN)
        # s3: a `storage.s3` section; root is then None (the objects live in the bucket).
        self.s3 = s3
        self.root = os.path.abspath(root) if root is not None else None
        if self.root is not None:
            os.makedirs(self.root, exist_ok=True)
        self.workdir = workdir or make_temp_dir("trib-registry-")
        os.makedirs(self.workdir, exist_ok=True)
        self.tls = tls
        self.htpasswd = htpasswd
        self.token = token
        self.extra = extra
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.config_path = os.path.join(self.workdir, "config.yml")
        self.log_path = os.path.join(self.workdir, "registry.log")
        self.ca_cert = tls.ca_cert if isinstance(tls, CertBundle) else None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self):
        last_error = None
        for _attempt in range(5):  # the free port may be grabbed by someone else meanwhile
            self.port = free_port()
            cfg = registry_config(self.root, self.port, self.tls, self.htpasswd, self.token,
                                  self.extra, self.s3)
            write_config(self.config_path, cfg)
            log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
            self.proc = start_process([REGISTRY_BIN, "serve", self.config_path], self.log_path,
                                      env=registry_env())
            try:
                self._wait_ready()
                return self
            except RuntimeError as e:
                last_error = e
                stop_process(self.proc)
                self.proc = None
                if "address already in use" not in self._log_since(log_offset):
                    break
        raise RuntimeError("docker-registry did not start: %s\n--- log ---\n%s" % (
            last_error, self.log_text()[-4000:]))

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def restart(self):
        """Stop and start on the same root (fresh in-memory blob descriptor cache)."""
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- info --------------------------------------------------------------------------------

    @property
    def scheme(self):
        return "https" if self.tls is not None else "http"

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    @property
    def host(self):
        """host:port as used in image references (docker://<host>/<repo>:<tag>)."""
        return "127.0.0.1:%d" % self.port

    @property
    def storage_root(self):
        return os.path.join(self.root, "docker", "registry", "v2")

    def ssl_context(self):
        if self.tls is None:
            return None
        if self.ca_cert:
            return ssl.create_default_context(cafile=self.ca_cert)
        return ssl._create_unverified_context()  # pylint: disable=protected-access

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def _log_since(self, offset):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def access_log(self):
        """[(method, path, status)] from the access log, in order."""
        return [(m, p, int(s)) for m, p, s in _ACCESS_RE.findall(self.log_text())]

    def count_requests(self, method=None, path_re=None, status=None):
        """How many requests matched (method exact, path regex search, status exact)."""
        rx = re.compile(path_re) if path_re else None
        n = 0
        for m, p, s in self.access_log():
            if method and m != method:
                continue
            if rx and not rx.search(p):
                continue
            if status is not None and s != status:
                continue
            n += 1
        return n

    def server_errors(self):
        """Access-log entries with a 5xx status."""
        return [e for e in self.access_log() if e[2] >= 500]

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        ctx = self.ssl_context()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("exited with code %d" % self.proc.returncode)
            try:
                urllib.request.urlopen(self.url + "/v2/", timeout=2, context=ctx).close()
                return
            except urllib.error.HTTPError as e:
                if e.code == 401:  # auth enabled: the server is up
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError("no answer on %s/v2/ within %.0fs" % (self.url, self.start_timeout))


def registry_env():
    """docker-registry's environment: without AWS_* (an exported AWS_CA_BUNDLE makes the s3
    driver panic at start; other AWS_* would override the config's credentials)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def garbage_collect(config_path, dry_run=True, delete_untagged=False):
    """Run `docker-registry garbage-collect`; return (eligible digests set, full output)."""
    require_tool(REGISTRY_BIN)
    argv = [REGISTRY_BIN, "garbage-collect"]
    if dry_run:
        argv.append("--dry-run")
    if delete_untagged:
        argv.append("--delete-untagged")
    argv.append(config_path)
    res = run(argv, timeout=120, env=registry_env())
    out = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
    eligible = set(re.findall(r"eligible for deletion: (\S+)", out))
    return eligible, out


# ------------------------------------------------------------------------------------------
# skopeo
# ------------------------------------------------------------------------------------------

class Skopeo:
    """skopeo with an explicit accept-anything policy and private tmp/auth files."""

    def __init__(self, workdir=None):
        self.bin = require_tool(SKOPEO_BIN)
        self.workdir = workdir or make_temp_dir("trib-skopeo-")
        os.makedirs(self.workdir, exist_ok=True)
        self.policy = os.path.join(self.workdir, "policy.json")
        with open(self.policy, "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
        self.authfile = os.path.join(self.workdir, "auth.json")
        with open(self.authfile, "w") as f:
            json.dump({"auths": {}}, f)
        self.tmpdir = os.path.join(self.workdir, "tmp")
        os.makedirs(self.tmpdir, exist_ok=True)

    def _env(self):
        env = dict(os.environ)
        env["TMPDIR"] = self.tmpdir
        return env

    @staticmethod
    def _tls_args(side, registry=None, cert_dir=None, creds=None, tls_verify=None):
        """--src-*/--dest-* options for one side: plain http or a CA from cert_dir."""
        args = []
        if cert_dir is None and registry is not None and registry.tls is not None \
                and registry.ca_cert:
            cert_dir = os.path.dirname(registry.ca_cert) + "/certs.d"
        if tls_verify is None:
            tls_verify = cert_dir is not None
        args.append("--%s-tls-verify=%s" % (side, "true" if tls_verify else "false"))
        if cert_dir:
            args.append("--%s-cert-dir=%s" % (side, cert_dir))
        if creds:
            args.append("--%s-creds=%s:%s" % (side, creds[0], creds[1]))
        else:
            args.append("--%s-no-creds" % side)
        return args

    def copy(self, src, dest, all_images=True, src_registry=None, src_cert_dir=None,
             src_creds=None, dest_registry=None, dest_cert_dir=None, dest_creds=None,
             extra=None, check=True, timeout=300):
        """skopeo copy src dest (transport-qualified refs, e.g. docker://h/r:t, oci:/dir:t)."""
        argv = [self.bin, "--policy", self.policy, "copy", "--authfile", self.authfile]
        if all_images:
            argv.append("--all")
        if src.startswith("docker://"):
            argv += self._tls_args("src", src_registry, src_cert_dir, src_creds)
        if dest.startswith("docker://"):
            argv += self._tls_args("dest", dest_registry, dest_cert_dir, dest_creds)
        argv += list(extra or [])
        argv += [src, dest]
        return run(argv, check=check, timeout=timeout, env=self._env())

    def pull(self, ref, dest_dir, registry=None, cert_dir=None, creds=None):
        """Copy ref (docker://...) with --all into a `dir:` layout, which keeps every manifest
        byte-exact (an oci: layout would convert Docker manifest lists). skopeo verifies each
        blob's digest while copying; this re-checks every file. Returns a PulledImage."""
        os.makedirs(dest_dir, exist_ok=True)
        self.copy(ref, "dir:" + dest_dir, all_images=True, src_registry=registry,
                  src_cert_dir=cert_dir, src_creds=creds)
        return PulledImage.from_dir_layout(dest_dir)

    def copy_to_oci(self, ref, layout_dir, tag, registry=None, cert_dir=None, creds=None,
                    check=True):
        """skopeo copy --all --preserve-digests ref oci:<layout_dir>:<tag> (fails for Docker
        manifest lists, which an OCI layout cannot hold unconverted)."""
        os.makedirs(layout_dir, exist_ok=True)
        return self.copy(ref, "oci:%s:%s" % (layout_dir, tag), all_images=True,
                         src_registry=registry, src_cert_dir=cert_dir, src_creds=creds,
                         extra=["--preserve-digests"], check=check)

    def inspect_raw(self, ref, registry=None, cert_dir=None, creds=None, check=True):
        """Raw manifest bytes of ref (docker://... or oci:...)."""
        argv = [self.bin, "--policy", self.policy, "inspect", "--raw"]
        if ref.startswith("docker://"):
            argv += ["--authfile", self.authfile]
            argv += [a.replace("--src-", "--") for a in
                     self._tls_args("src", registry, cert_dir, creds)]
        argv.append(ref)
        return run(argv, check=check, env=self._env()).stdout


# ------------------------------------------------------------------------------------------
# Reading what skopeo wrote
# ------------------------------------------------------------------------------------------

def _file_digest(path, alg="sha256"):
    import hashlib  # pylint: disable=import-outside-toplevel
    h = hashlib.new(alg)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "%s:%s" % (alg, h.hexdigest())


class PulledImage:
    """Content of a `dir:` layout: top manifest digest, child manifests and blobs.

    manifests: {digest: bytes}; blobs: {digest: size}. Every file is re-hashed and must match
    its name."""

    def __init__(self, top_digest, manifests, blobs):
        self.top_digest = top_digest
        self.manifests = manifests
        self.blobs = blobs

    def all_digests(self):
        return set(self.manifests) | set(self.blobs)

    @classmethod
    def from_dir_layout(cls, directory):
        import hashlib  # pylint: disable=import-outside-toplevel
        manifests, blobs, top = {}, {}, None
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if name == "version":
                continue
            if name == "manifest.json":
                with open(path, "rb") as f:
                    data = f.read()
                top = "sha256:" + hashlib.sha256(data).hexdigest()
                manifests[top] = data
            elif name.endswith(".manifest.json"):
                with open(path, "rb") as f:
                    data = f.read()
                d = "sha256:" + hashlib.sha256(data).hexdigest()
                if d[7:] != name[:-len(".manifest.json")]:
                    raise AssertionError("pulled manifest %s has digest %s" % (name, d))
                manifests[d] = data
            elif re.fullmatch(r"[0-9a-f]{64}", name):
                d = _file_digest(path)
                if d[7:] != name:
                    raise AssertionError("pulled blob %s has digest %s" % (name, d))
                blobs[d] = os.path.getsize(path)
            else:
                raise AssertionError("unexpected file in dir: layout: " + name)
        if top is None:
            raise AssertionError("no manifest.json in " + directory)
        return cls(top, manifests, blobs)

def oci_layout_index(layout_dir):
    with open(os.path.join(layout_dir, "index.json"), "rb") as f:
        return json.load(f)


def oci_layout_blobs(layout_dir):
    """{digest: bytes-length} for every blob file in the layout, verifying each file's sha256."""
    import hashlib  # pylint: disable=import-outside-toplevel
    out = {}
    for alg in ("sha256", "sha512"):
        d = os.path.join(layout_dir, "blobs", alg)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            h = hashlib.new(alg)
            with open(os.path.join(d, name), "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            if h.hexdigest() != name:
                raise AssertionError("layout blob %s:%s has digest %s" % (alg, name, h.hexdigest()))
            out["%s:%s" % (alg, name)] = os.path.getsize(os.path.join(d, name))
    return out


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
