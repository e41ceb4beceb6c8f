"""A fault-injecting HTTP/1.1 reverse proxy for tests, in front of a real source registry.

    with FaultProxy(src_registry) as proxy:           # listens on 127.0.0.1:<free port>
        proxy.add_fault("drop", path=r"/blobs/" + layer.digest, after_bytes=1 << 20)
        ... point a rule at proxy.host ...
        proxy.requests   # every request: method, path, headers, status, bytes sent, fault
        proxy.applied    # every fault applied, in order

Requests are forwarded as they are (method, path, headers including Host, Range and
Authorization, bodies); answers come back as they are (status, headers, streamed body), so
redirects and 206 partial content pass untouched. Client connections are kept alive, each
with its own keep-alive connection upstream.

A fault is matched by method, a path regex (re.search on the request target) and the nth
occurrence of that match (1-based; an int, a collection of ints, or None for every one).
Kinds (params):
    drop     after_bytes=N     send the answer's headers and N body bytes, then close the
                               connection (after_bytes=0: close before any byte of body;
                               before_headers=True: close without answering at all;
                               reset=True: RST instead of FIN)
    stall    seconds=S, after_bytes=None|N
                               hold the answer S seconds before its headers (None) or after
                               N body bytes, then carry on normally
    status   code=C, retry_after=None|seconds
                               answer C (e.g. 429, 500, 502, 503) with a small JSON error
                               body instead of forwarding
    corrupt  offset=None|N     flip one byte (xor 0xff) of the body at N (default: middle of
                               the body); same length, same headers
    reauth   realm=, service=  answer 401 with a fresh `WWW-Authenticate: Bearer` challenge,
                               as a registry does when a token has expired. The challenge is
                               the upstream's own (the request is forwarded without its
                               Authorization header); when the upstream does not ask for auth,
                               realm/service (or the last Bearer challenge seen) are used.
The first applicable fault (in the order added) is applied; each matching fault counts the
occurrence whether or not an earlier one was applied.

Everything runs in threads of this process; stop() (or leaving the `with`) closes the
listening socket and every open connection and wakes any stall, so nothing outlives it.
"""

import http.client
import json
import re
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024

# Hop-by-hop headers (RFC 7230 §6.1) are the proxy's own business on each leg.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
               "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"}

KINDS = ("drop", "stall", "status", "corrupt", "reauth")


class Fault:
    """One scheduled fault. `seen` counts matching requests, `applied` how often it fired."""

    def __init__(self, kind, method="GET", path=".", nth=1, **params):
        if kind not in KINDS:
            raise ValueError("unknown fault kind %r (one of %s)" % (kind, ", ".join(KINDS)))
        self.kind = kind
        self.method = method
        self.path_re = re.compile(path)
        if nth is None:
            self.nth = None
        elif isinstance(nth, int):
            self.nth = {nth}
        else:
            self.nth = set(nth)
        self.params = params
        self.seen = 0
        self.applied = 0
        self.fired = threading.Event()  # set the first time it is applied

    def matches(self, method, path):
        return (self.method is None or self.method == method) and bool(self.path_re.search(path))

    def describe(self):
        return "%s %s %s nth=%s %s" % (self.kind, self.method or "*", self.path_re.pattern,
                                       "every" if self.nth is None else sorted(self.nth),
                                       self.params)


class _Dropped(Exception):
    """The connection to the client was cut on purpose."""


class FaultProxy:
    """Reverse proxy to `upstream` (anything with .url, or a base URL string).

    Attributes: port, host ("127.0.0.1:<port>"), url, tls (None: it listens on plain HTTP,
    so provider_config_for() lists it as insecure), requests, applied, challenges."""

    tls = None

    def __init__(self, upstream, upstream_ssl_context=None, timeout=120.0):
        base = upstream if isinstance(upstream, str) else upstream.url
        m = re.fullmatch(r"(https?)://([^/:]+)(?::(\d+))?/?", base)
        if not m:
            raise ValueError("upstream must be http(s)://host[:port], got %r" % base)
        self.upstream_scheme = m.group(1)
        self.upstream_host = m.group(2)
        self.upstream_port = int(m.group(3) or (443 if m.group(1) == "https" else 80))
        if upstream_ssl_context is None and self.upstream_scheme == "https" \
                and hasattr(upstream, "ssl_context"):
            upstream_ssl_context = upstream.ssl_context()
        self.upstream_ssl_context = upstream_ssl_context
        self.timeout = timeout
        self.faults = []
        # Every request as a dict, recorded when it arrives and completed in place: method,
        # path, headers (lower-case names), status (None until answered), bytes (body bytes
        # sent), fault (kind or None), fault_ref (the Fault), params, time/answered/done
        # (time.monotonic; done None while in flight), error.
        self.requests = []
        self.applied = []
        self.challenges = []  # Bearer challenges the upstream sent, newest last
        self.errors = []  # unexpected exceptions in the proxy itself (a bug here, not a fault)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._conns = set()
        self._server = None
        self._thread = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self):
        owner = self

        class Handler(_ProxyHandler):
            proxy = owner

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.owner = self
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._stopping.set()
        self.release_stalls()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            conns = list(self._conns)
        for s in conns:  # idle keep-alive connections would otherwise block their threads
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=10)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    @property
    def url(self):
        return "http://" + self.host

    # -- schedule ----------------------------------------------------------------------------

    def add_fault(self, kind, method="GET", path=".", nth=1, **params):
        """Schedule a fault (see the module doc); returns it (its .seen/.applied/.fired)."""
        f = Fault(kind, method, path, nth, **params)
        with self._lock:
            self.faults.append(f)
        return f

    def clear_faults(self):
        with self._lock:
            self.faults = []

    def reset(self):
        """Forget faults and records (between scenarios)."""
        with self._lock:
            self.faults = []
            self.requests = []
            self.applied = []

    def _pick_fault(self, method, path):
        chosen = None
        with self._lock:
            for f in self.faults:
                if not f.matches(method, path):
                    continue
                f.seen += 1
                if chosen is None and (f.nth is None or f.seen in f.nth):
                    chosen = f
            if chosen is not None:
                chosen.applied += 1
        return chosen

    # -- records -----------------------------------------------------------------------------

    def find(self, method=None, path_re=None, status=None, fault=None):
        """Recorded requests matching method, path regex (search), status and fault kind."""
        rx = re.compile(path_re) if path_re else None
        with self._lock:
            recs = list(self.requests)
        return [r for r in recs
                if (method is None or r["method"] == method)
                and (rx is None or rx.search(r["path"]))
                and (status is None or r["status"] == status)
                and (fault is None or r["fault"] == fault)]

    def applied_by(self, fault):
        """The recorded requests `fault` (a Fault from add_fault) was applied to."""
        with self._lock:
            return [r for r in self.applied if r["fault_ref"] is fault]

    def count(self, method=None, path_re=None, status=None, fault=None):
        return len(self.find(method, path_re, status, fault))

    def _record(self, rec):
        with self._lock:
            self.requests.append(rec)
            if rec["fault"]:
                self.applied.append(rec)

    def _note_challenge(self, value):
        if value and value.lower().startswith("bearer "):
            with self._lock:
                self.challenges.append(value)

    def _track(self, sock, add):
        with self._lock:
            if add:
                self._conns.add(sock)
            else:
                self._conns.discard(sock)

    def _sleep(self, seconds):
        """A stall that stop() or release_stalls() ends early."""
        with self._lock:
            wake = self._wake
        if not self._stopping.is_set():
            wake.wait(seconds)

    def release_stalls(self):
        """End every stall in progress now (e.g. once the client was killed)."""
        with self._lock:
            self._wake.set()
            self._wake = threading.Event()

    def _upstream_connection(self):
        if self.upstream_scheme == "https":
            return http.client.HTTPSConnection(self.upstream_host, self.upstream_port,
                                               timeout=self.timeout,
                                               context=self.upstream_ssl_context
                                               or ssl.create_default_context())
        return http.client.HTTPConnection(self.upstream_host, self.upstream_port,
                                          timeout=self.timeout)


class _QuietServer(ThreadingHTTPServer):
    """Clients that vanish (killed, reset) are normal here: no traceback for them; anything
    else is kept in FaultProxy.errors for the test to look at."""

    daemon_threads = True
    owner = None

    def handle_error(self, request, client_address):
        import sys  # pylint: disable=import-outside-toplevel
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        with self.owner._lock:  # pylint: disable=protected-access
            self.owner.errors.append(repr(exc))
        super().handle_error(request, client_address)


def _parse_challenge_params(value):
    return dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', value))


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy = None  # set by FaultProxy.start on a subclass

    def log_message(self, *_args):  # quiet test output
        pass

    def setup(self):
        super().setup()
        self._upstream = None
        self.proxy._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.proxy._track(self.connection, False)
            self._close_upstream()

    def _close_upstream(self):
        if self._upstream is not None:
            self._upstream.close()
            self._upstream = None

    # Every method goes through one path.
    def do_GET(self):  # noqa: N802
        self._proxy()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    # -- the request -------------------------------------------------------------------------

    def _read_request_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else None

    def _proxy(self):
        px = self.proxy
        started = time.monotonic()
        rec = {"method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "status": None, "bytes": 0, "fault": None, "params": None,
               "time": started, "answered": None, "done": None}
        fault = px._pick_fault(self.command, self.path)
        rec["fault_ref"] = fault
        if fault is not None:
            rec["fault"] = fault.kind
            rec["params"] = dict(fault.params)
        px._record(rec)  # recorded now and filled in as it goes: a held request is visible
        body = self._read_request_body()
        try:
            if fault is not None and fault.kind == "status":
                self._answer_status(rec, fault)
            elif fault is not None and fault.kind == "drop" and fault.params.get("before_headers"):
                rec["status"] = 0
                self._mark_fired(fault)
                raise _Dropped()
            elif fault is not None and fault.kind == "stall" \
                    and fault.params.get("after_bytes") is None:
                self._mark_fired(fault)
                px._sleep(float(fault.params.get("seconds", 5)))
                self._forward(rec, body, None)
            else:
                self._forward(rec, body, fault)
        except _Dropped:
            self.close_connection = True
            self._close_upstream()
            try:
                if fault is not None and fault.params.get("reset"):  # RST, not FIN
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except (OSError, http.client.HTTPException) as e:
            # The client went away (e.g. killed) or the upstream failed: nothing sensible can
            # follow on this connection.
            rec["error"] = repr(e)
            self.close_connection = True
            self._close_upstream()
        finally:
            rec["done"] = time.monotonic()

    @staticmethod
    def _mark_fired(fault):
        fault.fired.set()

    def _answer_status(self, rec, fault):
        code = int(fault.params.get("code", 503))
        body = json.dumps({"errors": [{"code": "UNAVAILABLE" if code >= 500 else
                                       "TOOMANYREQUESTS" if code == 429 else "DENIED",
                                       "message": "injected by faultproxy"}]}).encode()
        self._mark_fired(fault)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if fault.params.get("retry_after") is not None:
            self.send_header("Retry-After", str(fault.params["retry_after"]))
        self.end_headers()
        rec["status"] = code
        rec["answered"] = time.monotonic()
        if self.command != "HEAD":
            self.wfile.write(body)
            rec["bytes"] = len(body)

    # -- forwarding --------------------------------------------------------------------------

    def _send_upstream(self, headers, body):
        """Send the request upstream (one reconnect if a kept-alive connection went stale)."""
        for attempt in range(2):
            if self._upstream is None:
                self._upstream = self.proxy._upstream_connection()
            try:
                self._upstream.putrequest(self.command, self.path, skip_host=True,
                                          skip_accept_encoding=True)
                for k, v in headers:
                    self._upstream.putheader(k, v)
                if body is not None:
                    self._upstream.putheader("Content-Length", str(len(body)))
                self._upstream.endheaders(body)
                return self._upstream.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._close_upstream()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def _forward(self, rec, body, fault):
        px = self.proxy
        headers = [(k, v) for k, v in self.headers.items()
                   if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"]
        reauth = fault is not None and fault.kind == "reauth"
        if reauth:  # let the upstream challenge a request without credentials
            headers = [(k, v) for k, v in headers if k.lower() != "authorization"]
        resp = self._send_upstream(headers, body)
        status, reason = resp.status, resp.reason
        out_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP]
        for k, v in out_headers:
            if k.lower() == "www-authenticate":
                px._note_challenge(v)
        if reauth:
            resp.read()  # the upstream's answer to an anonymous request is not passed on
            self._reauth_answer(rec, fault, status, out_headers)
            return
        length = resp.getheader("Content-Length")
        no_body = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        chunked_out = not no_body and length is None
        self.send_response_only(status, reason)  # the upstream's own Date/Server pass through
        for k, v in out_headers:
            self.send_header(k, v)
        if chunked_out:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        rec["status"] = status
        rec["answered"] = time.monotonic()
        if no_body:
            resp.read()  # completes the exchange so the upstream connection can be reused
            return
        after = None
        if fault is not None and fault.kind in ("drop", "stall"):
            after = int(fault.params.get("after_bytes") or 0)
        flip_at = None
        if fault is not None and fault.kind == "corrupt":
            flip_at = fault.params.get("offset")
            if flip_at is None:
                flip_at = int(length) // 2 if length else 0
        sent = 0
        fired = False
        while True:
            if after is not None and not fired and sent >= after:
                fired = True
                self._mark_fired(fault)
                if fault.kind == "drop":
                    rec["bytes"] = sent
                    resp.close()
                    raise _Dropped()
                px._sleep(float(fault.params.get("seconds", 5)))
            want = CHUNK
            if after is not None and not fired:
                want = min(CHUNK, after - sent)  # stop exactly at the fault's byte
            data = resp.read(want)
            if not data:
                break
            if flip_at is not None and sent <= flip_at < sent + len(data):
                b = bytearray(data)
                b[flip_at - sent] ^= 0xFF
                data = bytes(b)
                self._mark_fired(fault)
            if chunked_out:
                self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
            else:
                self.wfile.write(data)
            sent += len(data)
            rec["bytes"] = sent
        if chunked_out:
            self.wfile.write(b"0\r\n\r\n")
        if resp.will_close:
            self._close_upstream()

    def _reauth_answer(self, rec, fault, upstream_status, upstream_headers):
        challenge = None
        if upstream_status == 401:
            for k, v in upstream_headers:
                if k.lower() == "www-authenticate" and v.lower().startswith("bearer "):
                    challenge = v
        if challenge is None:
            realm = fault.params.get("realm")
            service = fault.params.get("service")
            with self.proxy._lock:
                last = self.proxy.challenges[-1] if self.proxy.challenges else None
            if realm is None and last:
                p = _parse_challenge_params(last)
                realm, service = p.get("realm"), service or p.get("service")
            if realm is None:
                raise RuntimeError("reauth fault: the upstream does not challenge and no realm "
                                   "was given")
            challenge = 'Bearer realm="%s"' % realm
            if service:
                challenge += ',service="%s"' % service
            m = re.match(r"/v2/(.+)/(manifests|blobs|tags)/", self.path)
            if m:
                challenge += ',scope="repository:%s:pull"' % m.group(1)
        body = json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                       "message": "authentication required"}]}).encode()
        self._mark_fired(fault)
        self.send_response(401, "Unauthorized")
        self.send_header("Content-Type", "application/json")
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        self.send_header("WWW-Authenticate", challenge)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        rec["status"] = 401
        rec["answered"] = time.monotonic()
        if self.command != "HEAD":
            self.wfile.write(body)
            rec["bytes"] = len(body)


def self_check():
    """Against a real docker-registry: plain forwarding (keep-alive, Range), then each fault."""
    import hashlib  # pylint: disable=import-outside-toplevel
    import os  # pylint: disable=import-outside-toplevel
    import harness  # pylint: disable=import-outside-toplevel
    import images  # pylint: disable=import-outside-toplevel
    import regclient  # pylint: disable=import-outside-toplevel
    work = harness.make_temp_dir("trib-faultproxy-check-")
    img = images.make_image("faultproxy-check", layer_sizes=(300 * 1024,))
    layer = img.layers[0]
    blob_path = "/v2/check/img/blobs/" + layer.digest
    threads_before = threading.active_count()
    with harness.Registry(os.path.join(work, "root"), workdir=os.path.join(work, "reg")) as reg:
        images.push_artifact(regclient.RegistryClient.for_registry(reg), "check/img", img, ["t"])
        with FaultProxy(reg) as px:
            conn = http.client.HTTPConnection("127.0.0.1", px.port, timeout=30)

            def get(path, headers=None, method="GET"):
                conn.request(method, path, headers=headers or {})
                r = conn.getresponse()
                return r, r.read()

            r, body = get("/v2/check/img/manifests/t",
                          {"Accept": images.MT_DOCKER_MANIFEST})
            assert r.status == 200 and body == img.manifest, (r.status, body[:100])
            r, body = get(blob_path)  # same connection: keep-alive
            assert r.status == 200 and body == layer.data
            r, body = get(blob_path, {"Range": "bytes=10-19"})
            assert r.status == 206 and body == layer.data[10:20], r.status
            assert r.getheader("Content-Range") == "bytes 10-19/%d" % layer.size
            r, body = get(blob_path, method="HEAD")
            assert r.status == 200 and body == b"" and \
                int(r.getheader("Content-Length")) == layer.size

            px.add_fault("status", path=r"/blobs/", nth=2, code=429, retry_after=1)
            assert get(blob_path)[0].status == 200  # nth=1: untouched
            r, _ = get(blob_path)
            assert r.status == 429 and r.getheader("Retry-After") == "1", r.status
            assert get(blob_path)[0].status == 200
            px.reset()

            px.add_fault("status", path=r"/blobs/", nth=None, code=503)
            assert [get(blob_path)[0].status for _ in range(3)] == [503] * 3
            px.reset()

            px.add_fault("corrupt", path=r"/blobs/")
            r, body = get(blob_path)
            assert r.status == 200 and len(body) == layer.size and body != layer.data
            assert sum(a != b for a, b in zip(body, layer.data)) == 1
            assert "sha256:" + hashlib.sha256(body).hexdigest() != layer.digest
            px.reset()

            px.add_fault("drop", path=r"/blobs/", after_bytes=100000)
            conn.request("GET", blob_path)
            r = conn.getresponse()
            try:
                r.read()
                raise AssertionError("a dropped body read completely")
            except http.client.IncompleteRead as e:
                assert len(e.partial) == 100000, len(e.partial)
            conn.close()
            assert px.find(path_re="/blobs/")[-1]["bytes"] == 100000
            px.reset()

            px.add_fault("stall", path=r"/manifests/", seconds=0.5)
            px.add_fault("stall", path=r"/blobs/", seconds=0.5, after_bytes=1000)
            t0 = time.monotonic()
            assert get("/v2/check/img/manifests/t")[0].status == 200
            r, body = get(blob_path)
            assert body == layer.data and time.monotonic() - t0 >= 1.0
            px.reset()

            f = px.add_fault("reauth", path=r"/manifests/", realm="http://127.0.0.1:1/token",
                             service="svc")
            r, _ = get("/v2/check/img/manifests/t")
            assert r.status == 401 and f.fired.is_set()
            ch = r.getheader("WWW-Authenticate")
            assert ch.startswith('Bearer realm="http://127.0.0.1:1/token",service="svc"') and \
                'scope="repository:check/img:pull"' in ch, ch

            # Stalls end when released; stop() closes kept-alive connections.
            px.reset()
            f = px.add_fault("stall", path=r"/blobs/", seconds=60)
            result = {}
            t = threading.Thread(target=lambda: result.setdefault("r", get(blob_path)))
            t.start()
            assert f.fired.wait(10)
            px.release_stalls()
            t.join(30)
            assert result["r"][1] == layer.data
            assert len(px.applied) == 1 and px.applied[0]["fault"] == "stall"
            assert not px.errors, px.errors
    deadline = time.monotonic() + 10
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= threads_before, threading.enumerate()
    print("faultproxy self-check OK")


if __name__ == "__main__":
    self_check()
