"""A small Docker-v2/OCI registry HTTP client for tests (stdlib only).

Handles plain http, https with a test CA, Basic auth and the Bearer token flow
(401 + WWW-Authenticate: Bearer realm=...,service=...,scope=... -> GET realm -> retry).
"""

import base64
import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


class HTTPResult:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage (case-insensitive get)
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "HTTPResult(%d, %r)" % (self.status, self.body[:200])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


def _parse_challenge(value):
    """('bearer', {realm, service, scope}) from a WWW-Authenticate header."""
    scheme, _, rest = value.partition(" ")
    params = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
    return scheme.lower(), params


class RegistryClient:
    """Talks to one registry. `requests` counts requests sent, by (method, path)."""

    def __init__(self, base_url, ssl_context=None, username=None, password=None):
        self.base_url = base_url.rstrip("/")
        self.ssl_context = ssl_context
        self.username = username
        self.password = password
        self.token = None
        self.requests = []
        handlers = [_NoRedirect()]
        if ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
        self._opener = urllib.request.build_opener(*handlers)

    @classmethod
    def for_registry(cls, registry, username=None, password=None):
        return cls(registry.url, registry.ssl_context(), username, password)

    # -- raw -------------------------------------------------------------------------------

    def _basic(self):
        raw = ("%s:%s" % (self.username, self.password)).encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _send(self, method, url, body, headers):
        req = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        self.requests.append((method, urllib.parse.urlsplit(url).path))
        try:
            with self._opener.open(req, timeout=60) as resp:
                return HTTPResult(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as e:
            return HTTPResult(e.code, e.headers, e.read())

    def request(self, method, path, body=None, headers=None, auth=True):
        """One request (path relative to the base URL or absolute URL), with auth retry."""
        url = path if path.startswith("http") else self.base_url + path
        hdrs = dict(headers or {})
        if auth and self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        elif auth and self.username is not None:
            hdrs["Authorization"] = self._basic()
        res = self._send(method, url, body, hdrs)
        if res.status == 401 and auth:
            challenge = res.headers.get("WWW-Authenticate", "")
            scheme, params = _parse_challenge(challenge)
            if scheme == "bearer" and "realm" in params:
                self.token = self.fetch_token(params["realm"], params.get("service"),
                                              params.get("scope"))
                hdrs["Authorization"] = "Bearer " + self.token
                res = self._send(method, url, body, hdrs)
            elif scheme == "basic" and self.username is not None \
                    and "Authorization" not in hdrs:
                hdrs["Authorization"] = self._basic()
                res = self._send(method, url, body, hdrs)
        return res

    def fetch_token(self, realm, service=None, scope=None):
        query = []
        if service:
            query.append(("service", service))
        for s in (scope or "").split():
            query.append(("scope", s))
        url = realm + ("?" + urllib.parse.urlencode(query) if query else "")
        hdrs = {}
        if self.username is not None:
            hdrs["Authorization"] = self._basic()
        res = self._send("GET", url, None, hdrs)
        if res.status != 200:
            raise RuntimeError("token request failed: %d %r" % (res.status, res.body[:300]))
        doc = res.json()
        return doc.get("token") or doc.get("access_token")

    # -- reads -----------------------------------------------------------------------------

    def ping(self):
        return self.request("GET", "/v2/")

    def get_manifest(self, repo, ref, accept=MANIFEST_ACCEPT, method="GET"):
        return self.request(method, "/v2/%s/manifests/%s" % (repo, ref),
                            headers={"Accept": accept})

    def get_blob(self, repo, digest, method="GET", headers=None):
        return self.request(method, "/v2/%s/blobs/%s" % (repo, digest), headers=headers)

    def tags(self, repo):
        """Tag list (None when the repository is unknown: 404)."""
        res = self.request("GET", "/v2/%s/tags/list" % repo)
        if res.status == 404:
            return None
        if res.status != 200:
            raise RuntimeError("tags/list %s: %d %r" % (repo, res.status, res.body[:300]))
        return res.json().get("tags") or []

    def catalog(self):
        res = self.request("GET", "/v2/_catalog?n=1000")
        if res.status != 200:
            raise RuntimeError("catalog: %d %r" % (res.status, res.body[:300]))
        return res.json().get("repositories") or []

    # -- writes ----------------------------------------------------------------------------

    def blob_exists(self, repo, digest):
        return self.get_blob(repo, digest, method="HEAD").status == 200

    def push_blob(self, repo, data, digest=None):
        """Monolithic upload: POST uploads/ then PUT <location>?digest=. Returns the digest."""
        digest = digest or "sha256:" + hashlib.sha256(data).hexdigest()
        if self.blob_exists(repo, digest):
            return digest
        res = self.request("POST", "/v2/%s/blobs/uploads/" % repo, body=b"")
        if res.status != 202:
            raise RuntimeError("upload start %s: %d %r" % (repo, res.status, res.body[:300]))
        location = res.headers["Location"]
        if not location.startswith("http"):
            location = self.base_url + location
        sep = "&" if "?" in location else "?"
        res = self.request("PUT", location + sep + urllib.parse.urlencode({"digest": digest}),
                           body=data, headers={"Content-Type": "application/octet-stream",
                                               "Content-Length": str(len(data))})
        if res.status != 201:
            raise RuntimeError("upload %s %s: %d %r" % (repo, digest, res.status, res.body[:300]))
        return digest

    def push_manifest(self, repo, ref, data, media_type):
        res = self.request("PUT", "/v2/%s/manifests/%s" % (repo, ref), body=data,
                           headers={"Content-Type": media_type})
        if res.status != 201:
            raise RuntimeError("manifest PUT %s:%s: %d %r" % (repo, ref, res.status,
                                                              res.body[:500]))
        return res.headers.get("Docker-Content-Digest")
