"""A tiny Docker token server (token auth spec) for tests: 127.0.0.1, port chosen by the OS.

Issues RS256 JWTs signed with the openssl CLI; the JWT header's `x5c` holds the signing
certificate, which is self-signed and is also the registry's `rootcertbundle`, so a
docker-registry started with auth: token accepts them. Optional Basic auth on the token
endpoint; counts requests; token lifetime configurable (to test expiry/refresh).

    with TokenServer(workdir, users={"alice": "pw"}) as ts:
        reg = Registry(root, token=ts.registry_auth())
"""

import base64
import json
import os
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """Attributes: realm (URL), service, issuer, cert (PEM path = rootcertbundle),
    requests (list of dicts: user, scopes, status), issued (every token), users."""

    def __init__(self, workdir=None, users=None, anonymous=True, service="tributary-registry",
                 issuer="tributary-test-issuer", expires_in=300, grant=None, oauth_post=False):
        """users: {name: password} accepted on Basic auth; anonymous: allow no credentials;
        grant(user, type, name, actions) -> actions granted (default: all requested);
        oauth_post: answer POST (OAuth2 password grant) instead of 404."""
        harness.require_tool(harness.OPENSSL_BIN)
        self.workdir = workdir or harness.make_temp_dir("trib-token-")
        os.makedirs(self.workdir, exist_ok=True)
        self.users = dict(users or {})
        self.anonymous = anonymous
        self.service = service
        self.issuer = issuer
        self.expires_in = expires_in
        self.grant = grant
        self.oauth_post = oauth_post
        self.requests = []
        self.issued = []  # every token handed out, in order (for secret-leak checks)
        self._lock = threading.Lock()
        self.key = os.path.join(self.workdir, "token-signing.key")
        self.cert = os.path.join(self.workdir, "token-signing.pem")
        harness.run([harness.OPENSSL_BIN, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                     "-sha256", "-days", "2", "-subj", "/CN=Tributary test token signer",
                     "-keyout", self.key, "-out", self.cert])
        der = harness.run([harness.OPENSSL_BIN, "x509", "-in", self.cert, "-outform",
                           "DER"]).stdout
        self._x5c = base64.b64encode(der).decode()  # x5c is standard base64, not base64url
        self._server = None
        self._thread = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):  # keep test output quiet
                pass

            def do_GET(self):  # noqa: N802
                owner._handle(self, "GET")

            def do_POST(self):  # noqa: N802
                owner._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
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
    def realm(self):
        return "http://127.0.0.1:%d/token" % self.port

    def registry_auth(self):
        """The `token` argument for harness.Registry (auth: token section)."""
        return {"realm": self.realm, "service": self.service, "issuer": self.issuer,
                "rootcertbundle": self.cert}

    def count(self, user=None):
        with self._lock:
            return sum(1 for r in self.requests if user is None or r["user"] == user)

    # -- tokens ------------------------------------------------------------------------------

    def sign(self, claims):
        """A compact RS256 JWS over `claims` with the x5c header."""
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        signing_input = (_b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         _b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run([harness.OPENSSL_BIN, "dgst", "-sha256", "-sign", self.key],
                             input=signing_input.encode(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, check=True).stdout
        return signing_input + "." + _b64url(sig)

    def issue(self, user, scopes, expires_in=None):
        now = int(time.time())
        ttl = self.expires_in if expires_in is None else expires_in
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                continue
            typ, name, actions = parsed
            if self.grant is not None:
                actions = list(self.grant(user, typ, name, actions))
            access.append({"type": typ, "name": name, "actions": actions})
        claims = {"iss": self.issuer, "sub": user or "", "aud": self.service,
                  "exp": now + ttl, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex,
                  "access": access}
        token = self.sign(claims)
        with self._lock:
            self.issued.append(token)
        return token, ttl, now

    def _handle(self, req, method):
        url = urllib.parse.urlsplit(req.path)
        status, body, user, scopes = 404, {"error": "not found"}, None, []
        if url.path == "/token" and (method == "GET" or self.oauth_post):
            if method == "GET":
                query = urllib.parse.parse_qs(url.query)
                scopes = query.get("scope", [])
                user = self._basic_user(req)
            else:
                n = int(req.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(req.rfile.read(n).decode())
                scopes = " ".join(form.get("scope", [])).split()
                name = (form.get("username") or [None])[0]
                pw = (form.get("password") or [None])[0]
                user = name if name is not None and self.users.get(name) == pw else False
            if user is False or (user is None and not self.anonymous):
                status, body = 401, {"errors": [{"code": "UNAUTHORIZED"}]}
            else:
                token, ttl, now = self.issue(user, scopes)
                issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
                status = 200
                body = {"token": token, "access_token": token, "expires_in": ttl,
                        "issued_at": issued}
        with self._lock:
            self.requests.append({"method": method, "user": user or None, "scopes": scopes,
                                  "status": status})
        data = json.dumps(body).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        if status == 401:
            req.send_header("WWW-Authenticate", 'Basic realm="tributary-token"')
        req.end_headers()
        req.wfile.write(data)

    def _basic_user(self, req):
        """None = anonymous, False = bad credentials, else the user name."""
        auth = req.headers.get("Authorization")
        if not auth:
            return None
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            name, _, pw = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return name if name in self.users and self.users[name] == pw else False


def parse_scope(scope):
    """'repository:ns/repo:pull,push' -> ('repository', 'ns/repo', ['pull', 'push']).

    The name may contain ':' (a registry host:port), so split the type off the front and the
    actions off the back."""
    typ, sep, rest = scope.partition(":")
    if not sep:
        return None
    name, sep, actions = rest.rpartition(":")
    if not sep:
        return None
    return typ, name, [a for a in actions.split(",") if a]


def self_check():
    """Start a token server and a token-auth docker-registry; push and pull an image."""
    import images  # pylint: disable=import-outside-toplevel
    import regclient  # pylint: disable=import-outside-toplevel
    work = harness.make_temp_dir("trib-token-check-")
    with TokenServer(os.path.join(work, "ts"), users={"alice": "secret"}, anonymous=False) as ts:
        with harness.Registry(os.path.join(work, "root"), workdir=os.path.join(work, "reg"),
                              token=ts.registry_auth()) as reg:
            anon = regclient.RegistryClient.for_registry(reg)
            res = anon.request("GET", "/v2/", auth=False)
            assert res.status == 401, res
            assert "Bearer" in res.headers.get("WWW-Authenticate", ""), res.headers
            bad = regclient.RegistryClient.for_registry(reg, "alice", "wrong")
            try:
                bad.tags("check/img")
                raise AssertionError("bad password was accepted")
            except RuntimeError as e:
                assert "token request failed: 401" in str(e), e
            c = regclient.RegistryClient.for_registry(reg, "alice", "secret")
            img = images.make_image("token-check", layer_sizes=(512,))
            images.push_artifact(c, "check/img", img, ["t1"])
            assert c.tags("check/img") == ["t1"]
            got = c.get_manifest("check/img", "t1")
            assert got.status == 200 and got.body == img.manifest, got
            assert ts.count("alice") >= 1
            assert not reg.server_errors(), reg.server_errors()
    print("tokenserver self-check OK (%d token requests)" % len(ts.requests))


if __name__ == "__main__":
    self_check()
