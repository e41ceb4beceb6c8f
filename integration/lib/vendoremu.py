"""Vendor emulators for tests: Docker Hub, GCR / Artifact Registry and Quay, each on
127.0.0.1 over HTTPS (test CA from harness.make_ca_and_server_cert) in front of a real plain-HTTP
docker-registry that holds the images. Python standard library only.

Every emulator serves the vendor's own endpoints (shapes from shared registry-facts §C/§D):

    DockerHub(upstream, certs, pushed={"repo:tag": rfc3339}, limit=None, window=10,
              users={"alice": "pw"}, page_size=3)
        .registry  registry-1.docker.io: /v2/... proxied, Bearer tokens required, rate-limit
                   headers (`ratelimit-limit: L;w=W`, `ratelimit-remaining: R;w=W`) on every
                   answer (HEAD too), every manifest GET counted per fixed window, 429 +
                   Retry-After once the window is spent; blob GETs answer 307 to `.blobs`
        .auth      auth.docker.io: GET /token?service=registry.docker.io&scope=... (Basic
                   optional: `users`), {"token","access_token","expires_in","issued_at"}
        .hub       hub.docker.com: GET /v2/namespaces/{ns}/repositories/{repo}/tags?page_size=
                   (at most `page_size` per page whatever is asked, `next` absolute) with
                   tag_last_pushed from `pushed`; POST /v2/auth/token {"identifier","secret"}
        .blobs     the CDN the blob redirects point at (signed-looking URL, no auth wanted)
    Gcr(upstream, certs, uploaded={"repo:tag": ms}, page_size=3)
        one origin: /v2/token realm, tags/list with the `manifest` map (timeUploadedMs as
        strings, timeCreatedMs "0" as Artifact Registry sends), Link paging every page_size
    Quay(upstream, certs, start_ts={"repo:tag": seconds}, page_size=3, oauth_token=None)
        one origin: /v2/auth realm answering only {"token"}, the REST API
        /api/v1/repository/{ns}/{repo}/tag/?onlyActiveTags=true&limit=&page= with
        has_additional (at most page_size per page)

Common: `fail_api=True` makes the vendor metadata API answer 500; `requests` lists every
request (server role, method, path, headers, body) for credential-leak checks; counters:
`manifest_gets` (Docker Hub counted pulls), `too_many` (429s sent).
"""

import base64
import json
import os
import re
import ssl
import threading
import time
import urllib.parse
import uuid
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness
import syncrun

MANIFEST_PATH = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")
BLOB_PATH = re.compile(r"^/v2/(.+)/blobs/([^/]+)$")
TAGS_PATH = re.compile(r"^/v2/(.+)/tags/list$")


class _Server:
    """One HTTPS listener with a role; requests go to owner.handle(role, handler)."""

    def __init__(self, owner, role, certs):
        self.owner = owner
        self.role = role
        emu = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length) if length else b""
                emu.owner.record(emu.role, self)
                try:
                    emu.owner.handle(emu.role, self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_HEAD = do_POST = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs.cert, certs.key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    @property
    def url(self):
        return "https://" + self.host

    def start(self):
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(h, status, body=b"", headers=None, head_only=False):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
    h.send_response(status)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if not head_only and h.command != "HEAD":
        h.wfile.write(body)


class _Emulator:
    """Shared plumbing: servers, request log, token checks, the upstream proxy."""

    service = "registry"

    def __init__(self, upstream, certs, roles):
        self.upstream = upstream
        self.certs = certs
        self.lock = threading.Lock()
        self.requests = []
        self.tokens = set()
        self.uses = {}
        self.expired = 0  # requests refused because their token had expired
        self.fail_api = False
        self.servers = {r: _Server(self, r, certs) for r in roles}

    def __enter__(self):
        for s in self.servers.values():
            s.start()
        return self

    def __exit__(self, *exc):
        for s in self.servers.values():
            s.stop()
        return False

    def record(self, role, h):
        with self.lock:
            self.requests.append({"role": role, "method": h.command, "path": h.path,
                                  "headers": {k.lower(): v for k, v in h.headers.items()},
                                  "body": h.body})

    def requests_containing(self, secret):
        """Roles and paths of the requests whose headers or body contain `secret` (str)."""
        out = []
        needle = secret.encode()
        for r in list(self.requests):
            blob = json.dumps(r["headers"]).encode() + r["path"].encode() + r["body"]
            if needle in blob:
                out.append((r["role"], r["method"], r["path"].split("?")[0]))
        return out

    # -- tokens --------------------------------------------------------------------------------

    def issue_token(self, h, users):
        """Validates optional Basic credentials; returns a fresh token or None (answered 401)."""
        auth = h.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            if users.get(user) != pw:
                reply(h, 401, {"details": "incorrect username or password"})
                return None
        token = "tok-" + uuid.uuid4().hex
        with self.lock:
            self.tokens.add(token)
        return token

    token_uses = None  # a token stops working after this many requests (expiry stand-in)

    def authorized(self, h):
        auth = h.headers.get("Authorization", "")
        if not (auth.startswith("Bearer ") and auth[7:] in self.tokens):
            return False
        if self.token_uses is not None:
            with self.lock:
                self.uses[auth[7:]] = self.uses.get(auth[7:], 0) + 1
                if self.uses[auth[7:]] > self.token_uses:
                    self.expired += 1
                    return False
        return True

    # -- upstream ------------------------------------------------------------------------------

    def forward(self, h, path=None, extra_headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream.port, timeout=60)
        headers = {k: v for k, v in h.headers.items()
                   if k.lower() in ("range", "content-type")}
        # A client may send one Accept header per media type (skopeo does): forward them all,
        # or the registry sees only the last one and down-converts a list to schema 1.
        accept = h.headers.get_all("Accept")
        if accept:
            headers["Accept"] = ", ".join(accept)
        conn.request(h.command, path or h.path, body=h.body or None, headers=headers)
        res = conn.getresponse()
        body = res.read()
        out = {k: v for k, v in res.getheaders()
               if k.lower() not in ("content-length", "connection", "transfer-encoding", "date")}
        out.update(extra_headers or {})
        conn.close()
        reply(h, res.status, body, out)
        return res.status

    def upstream_json(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream.port, timeout=60)
        conn.request("GET", path)
        res = conn.getresponse()
        body = res.read()
        conn.close()
        return res.status, (json.loads(body) if body else None)

    def upstream_digest(self, repo, tag):
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream.port, timeout=60)
        conn.request("HEAD", "/v2/%s/manifests/%s" % (repo, tag), headers={"Accept": ", ".join([
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json"])})
        res = conn.getresponse()
        res.read()
        conn.close()
        return res.getheader("Docker-Content-Digest"), res.getheader("Content-Type")

    def upstream_tags(self, repo):
        status, body = self.upstream_json("/v2/%s/tags/list" % repo)
        return sorted((body or {}).get("tags") or []) if status == 200 else None

    def challenge(self, h, realm, service, repo=None, extra_headers=None):
        value = 'Bearer realm="%s"' % realm
        if service:
            value += ',service="%s"' % service
        if repo:
            value += ',scope="repository:%s:pull"' % repo
        headers = {"WWW-Authenticate": value}
        headers.update(extra_headers or {})
        reply(h, 401, {"errors": [{"code": "UNAUTHORIZED"}]}, headers)


class DockerHub(_Emulator):
    """registry + auth + hub API + blob CDN, see the module docstring."""

    def __init__(self, upstream, certs, pushed=None, platforms=None, limit=None, window=10,
                 users=None, page_size=3):
        super().__init__(upstream, certs, ("registry", "auth", "hub", "blobs"))
        self.pushed = dict(pushed or {})  # "repo:tag" -> RFC 3339
        self.platforms = dict(platforms or {})  # "repo:tag" -> [{"os","architecture",...}]
        self.limit = limit
        self.window = window
        self.users = dict(users or {})
        self.page_size = page_size
        self.window_start = None
        self.window_count = 0
        self.manifest_gets = 0
        self.too_many = 0
        self.steal_at_get = None  # n: before our n-th counted GET, someone spends the window
        self.hub_tokens = set()

    @property
    def registry_url(self):
        return self.servers["registry"].url

    @property
    def auth_url(self):
        return self.servers["auth"].url + "/token"

    @property
    def hub_url(self):
        return self.servers["hub"].url

    def hosts(self):
        return [s.host for s in self.servers.values()]

    def endpoints(self):
        return {"dockerhub": {"registry": self.registry_url, "auth": self.auth_url,
                              "hub_api": self.hub_url}}

    def _remaining(self):
        """(remaining, seconds left in the window) — fixed windows from the first counted GET."""
        now = time.monotonic()
        if self.window_start is not None and now - self.window_start >= self.window:
            self.window_start, self.window_count = None, 0
        left = self.window if self.window_start is None else \
            max(1, int(self.window - (now - self.window_start) + 0.999))
        return self.limit - self.window_count, left

    def _limit_headers(self):
        if self.limit is None:
            return {}
        with self.lock:
            remaining, _left = self._remaining()
        w = ";w=%d" % self.window
        return {"ratelimit-limit": "%d%s" % (self.limit, w),
                "ratelimit-remaining": "%d%s" % (max(0, remaining), w),
                "docker-ratelimit-source": "127.0.0.1"}

    def handle(self, role, h):
        getattr(self, "_" + role)(h)

    def _auth(self, h):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(h.path).query)
        if h.command == "POST":  # OAuth2 password grant (distribution oauth.md)
            q = urllib.parse.parse_qs(h.body.decode())
            if q.get("username"):
                user, pw = q["username"][0], q.get("password", [""])[0]
                if self.users.get(user) != pw:
                    reply(h, 401, {"details": "incorrect username or password"})
                    return
        if q.get("service") != ["registry.docker.io"]:
            reply(h, 400, {"details": "unknown service"})
            return
        token = self.issue_token(h, self.users)
        if token:
            reply(h, 200, {"token": token, "access_token": token, "expires_in": 300,
                           "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def _registry(self, h):
        path = urllib.parse.urlparse(h.path).path
        m = MANIFEST_PATH.match(path) or BLOB_PATH.match(path) or TAGS_PATH.match(path)
        repo = m.group(1) if m else None
        if not self.authorized(h):
            self.challenge(h, self.auth_url, "registry.docker.io", repo, self._limit_headers())
            return
        mm = MANIFEST_PATH.match(path)
        if mm and h.command == "GET" and self.limit is not None:
            with self.lock:
                if self.steal_at_get is not None and self.manifest_gets + 1 >= self.steal_at_get:
                    # Another client of the same quota pulls everything that is left, between
                    # our HEAD (which said there was budget) and this GET.
                    self.steal_at_get = None
                    if self.window_start is None:
                        self.window_start = time.monotonic()
                    self.window_count = self.limit
                remaining, left = self._remaining()
                if remaining <= 0:
                    self.too_many += 1
                    spent = True
                else:
                    spent = False
                    if self.window_start is None:
                        self.window_start = time.monotonic()
                    self.window_count += 1
                    self.manifest_gets += 1
            if spent:
                headers = self._limit_headers()
                headers["Retry-After"] = str(left)
                reply(h, 429, {"errors": [{"code": "TOOMANYREQUESTS", "message":
                                           "You have reached your pull rate limit."}]}, headers)
                return
        elif mm and h.command == "GET":
            with self.lock:
                self.manifest_gets += 1
        bm = BLOB_PATH.match(path)
        if bm and h.command == "GET":
            sig = uuid.uuid4().hex
            reply(h, 307, b"", {"Location": "%s/registry-v2/%s/%s?sig=%s&expires=%d" % (
                self.servers["blobs"].url, bm.group(1), bm.group(2), sig, time.time() + 600)})
            return
        self.forward(h, extra_headers=self._limit_headers())

    def _blobs(self, h):
        m = re.match(r"^/registry-v2/(.+)/(sha\d+:[0-9a-f]+)$", urllib.parse.urlparse(h.path).path)
        if not m or h.headers.get("Authorization"):
            # A CDN with a signed URL refuses a second auth mechanism (as S3 does).
            reply(h, 400, {"error": "bad blob request"})
            return
        self.forward(h, "/v2/%s/blobs/%s" % (m.group(1), m.group(2)))

    def _hub(self, h):
        url = urllib.parse.urlparse(h.path)
        if url.path == "/v2/auth/token" and h.command == "POST":
            try:
                doc = json.loads(h.body or b"{}")
            except ValueError:
                doc = {}
            if self.users.get(doc.get("identifier")) != doc.get("secret"):
                reply(h, 401, {"detail": "Incorrect authentication credentials"})
                return
            token = "hub-" + uuid.uuid4().hex
            with self.lock:
                self.hub_tokens.add(token)
            reply(h, 200, {"access_token": token})
            return
        m = re.match(r"^/v2/namespaces/([^/]+)/repositories/([^/]+)/tags$", url.path)
        if not m or h.command != "GET":
            reply(h, 404, {"message": "not found"})
            return
        if self.fail_api:
            reply(h, 500, {"message": "emulated API outage"})  # not "internal error": syncrun flags that
            return
        auth = h.headers.get("Authorization", "")
        if auth and auth[7:] not in self.hub_tokens:
            reply(h, 401, {"detail": "bad token"})
            return
        repo = "%s/%s" % (m.group(1), m.group(2))
        q = urllib.parse.parse_qs(url.query)
        page = int(q.get("page", ["1"])[0])
        size = min(int(q.get("page_size", ["10"])[0]), self.page_size)
        tags = self.upstream_tags(repo)
        if tags is None:
            reply(h, 404, {"message": "object not found"})
            return
        # Hub's own order is not the push order: serve by name so the client must sort.
        chunk = tags[(page - 1) * size: page * size]
        results = []
        for t in chunk:
            digest, _ = self.upstream_digest(repo, t)
            pushed = self.pushed.get("%s:%s" % (repo, t))
            results.append({"name": t, "digest": digest, "last_updated": pushed,
                            "tag_last_pushed": pushed, "tag_status": "active",
                            "images": self.platforms.get("%s:%s" % (repo, t), [])})
        nxt = None
        if page * size < len(tags):
            nxt = "%s/v2/namespaces/%s/repositories/%s/tags?page=%d&page_size=%d" % (
                self.hub_url, m.group(1), m.group(2), page + 1, size)
        reply(h, 200, {"count": len(tags), "next": nxt,
                       "previous": None, "results": results})


class _OneOriginEmulator(_Emulator):
    """A vendor whose registry, token endpoint and tag API share one origin (GCR, Quay)."""

    def __init__(self, upstream, certs, users, page_size):
        super().__init__(upstream, certs, ("registry",))
        self.users = dict(users or {})
        self.page_size = page_size

    @property
    def url(self):
        return self.servers["registry"].url

    @property
    def host(self):
        return self.servers["registry"].host


class Gcr(_OneOriginEmulator):
    """gcr.io / Artifact Registry: one origin, see the module docstring."""

    def __init__(self, upstream, certs, uploaded=None, users=None, page_size=3):
        super().__init__(upstream, certs, users, page_size)
        self.uploaded = dict(uploaded or {})  # "repo:tag" -> ms
        self.manifest_gets = []  # references of manifest GETs

    def handle(self, role, h):
        url = urllib.parse.urlparse(h.path)
        if url.path == "/v2/token":
            token = self.issue_token(h, self.users)
            if token:
                reply(h, 200, {"token": token, "expires_in": 3600})
            return
        m = MANIFEST_PATH.match(url.path) or BLOB_PATH.match(url.path) or TAGS_PATH.match(url.path)
        if not self.authorized(h):
            self.challenge(h, self.url + "/v2/token", "gcr.io", m.group(1) if m else None)
            return
        tm = TAGS_PATH.match(url.path)
        if tm:
            self._tags(h, tm.group(1), urllib.parse.parse_qs(url.query))
            return
        mm = MANIFEST_PATH.match(url.path)
        if mm and h.command == "GET":
            with self.lock:
                self.manifest_gets.append(mm.group(2))
        self.forward(h)

    def _tags(self, h, repo, q):
        if self.fail_api:
            reply(h, 500, {"errors": [{"code": "UNKNOWN"}]})
            return
        tags = self.upstream_tags(repo)
        if tags is None:
            reply(h, 404, {"errors": [{"code": "NAME_UNKNOWN"}]})
            return
        last = q.get("last", [""])[0]
        rest = [t for t in tags if t > last]
        chunk = rest[:self.page_size]
        manifest = {}
        for t in chunk:
            digest, media_type = self.upstream_digest(repo, t)
            entry = manifest.setdefault(digest, {
                "imageSizeBytes": "0", "layerId": "", "mediaType": media_type, "tag": [],
                "timeCreatedMs": "0", "timeUploadedMs": "0"})
            entry["tag"].append(t)
            ms = self.uploaded.get("%s:%s" % (repo, t))
            if ms and int(ms) > int(entry["timeUploadedMs"]):
                entry["timeUploadedMs"] = str(ms)
        headers = {}
        if len(rest) > len(chunk):
            headers["Link"] = '</v2/%s/tags/list?n=%d&last=%s>; rel="next"' % (
                repo, self.page_size, urllib.parse.quote(chunk[-1]))
        reply(h, 200, {"child": [], "manifest": manifest, "name": repo, "tags": chunk}, headers)


class Quay(_OneOriginEmulator):
    """quay.io: registry + /v2/auth + REST API on one origin, see the module docstring."""

    def __init__(self, upstream, certs, start_ts=None, users=None, page_size=3,
                 oauth_token=None):
        super().__init__(upstream, certs, users, page_size)
        self.start_ts = dict(start_ts or {})  # "repo:tag" -> unix seconds
        self.oauth_token = oauth_token
        self.api_pages = 0

    def handle(self, role, h):
        url = urllib.parse.urlparse(h.path)
        if url.path == "/v2/auth":
            if h.command != "GET":
                reply(h, 405, {"error": "method not allowed"})  # Quay's route is GET only
                return
            q = urllib.parse.parse_qs(url.query)
            if not q.get("scope"):
                reply(h, 401, {"error": "scope required"})  # as Quay does anonymously
                return
            token = self.issue_token(h, self.users)
            if token:
                reply(h, 200, {"token": token})  # only `token`, as Quay answers
            return
        am = re.match(r"^/api/v1/repository/(.+)/tag/$", url.path)
        if am:
            self._api(h, am.group(1), urllib.parse.parse_qs(url.query))
            return
        m = MANIFEST_PATH.match(url.path) or BLOB_PATH.match(url.path) or TAGS_PATH.match(url.path)
        if not self.authorized(h):
            self.challenge(h, self.url + "/v2/auth", "quay.io")
            return
        self.forward(h)

    def _api(self, h, repo, q):
        if self.fail_api:
            reply(h, 500, {"error_message": "Internal Server Error"})
            return
        if self.oauth_token and h.headers.get("Authorization") != "Bearer " + self.oauth_token:
            reply(h, 401, {"error": "Requires authentication"})
            return
        tags = self.upstream_tags(repo)
        if tags is None:
            reply(h, 404, {"error": "Not Found"})
            return
        page = int(q.get("page", ["1"])[0])
        limit = min(int(q.get("limit", ["50"])[0]), self.page_size)
        ordered = sorted(tags, key=lambda t: (-self.start_ts.get("%s:%s" % (repo, t), 0), t))
        chunk = ordered[(page - 1) * limit: page * limit]
        out = []
        for t in chunk:
            digest, media_type = self.upstream_digest(repo, t)
            ts = self.start_ts.get("%s:%s" % (repo, t))
            entry = {"name": t, "reversion": False, "manifest_digest": digest,
                     "is_manifest_list": "list" in media_type or "index" in media_type,
                     "size": None}
            if ts:
                entry["start_ts"] = ts
                entry["last_modified"] = time.strftime("%a, %d %b %Y %H:%M:%S -0000",
                                                       time.gmtime(ts))
            out.append(entry)
        with self.lock:
            self.api_pages += 1
        reply(h, 200, {"tags": out, "page": page, "has_additional": page * limit < len(ordered)})


def provider_config(certs, hosts, cache_dir=None, endpoints=None, concurrency=4, extra=None):
    """Provider config for emulators on loopback: private networks allowed, the test CA for
    every emulator host, `endpoints` pointing the vendor at the emulator."""
    cfg = {"concurrency": concurrency, "allow_private_networks": True,
           "ca_files": {h: certs.ca_cert for h in hosts}}
    if endpoints:
        cfg["endpoints"] = endpoints
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        cfg["cache_dir"] = cache_dir
    cfg.update(extra or {})
    return cfg


def vendor_rule(kind, repository, destination, name="vendor-rule", tag_regex=".*", latest_n=5,
                platforms=None, credential=None, domain=None):
    return syncrun.make_rule(domain, repository, destination, name=name, tag_regex=tag_regex,
                             latest_n=latest_n, platforms=platforms, credential=credential,
                             kind=kind)


__all__ = ["DockerHub", "Gcr", "Quay", "provider_config", "vendor_rule", "harness"]
