"""A malicious Docker v2 registry for tests (stdlib only, 127.0.0.1, port chosen by the kernel).

It serves whatever bytes a test puts in it — manifests whose digests are right but whose JSON a
stock Distribution cannot decode, layers that carry `urls`, blobs that trickle, redirect or
lie — plus a few whole-repository behaviours (endless tag pages, Link loops). It only ever
redirects to URLs the test gives it; tests keep every URL on loopback.

    with HostileRegistry() as reg:
        repo = reg.repo("hostile/app")
        d = repo.put_image(images.make_image("x"))          # a valid image, blobs included
        repo.tag("good", d)
        repo.tag("bad", repo.put_manifest(b'{"schemaVersion":2.5}', MT))
        repo.blob_behaviour[digest] = {"trickle_bytes_per_second": 1}
"""

import hashlib
import http.server
import json
import re
import socketserver
import threading
import time


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Repo:
    """Tags, manifests and blobs of one repository, and how to misbehave while serving them."""

    def __init__(self, name):
        self.name = name
        self.tags = {}           # tag -> digest (or any reference string served as is)
        self.manifests = {}      # digest -> (bytes, media type)
        self.blobs = {}          # digest -> bytes
        # digest -> {"trickle_bytes_per_second": n} | {"trickle_head_bytes_per_second": n}
        # | {"redirect": url} | {"serve": bytes} | {"content_length": n}
        self.blob_behaviour = {}
        # None | {"endless": (tags_per_page, tag_length)} | {"loop": True}
        self.listing = None

    def put_blob(self, data):
        d = sha256_digest(data)
        self.blobs[d] = data
        return d

    def put_manifest(self, data, media_type):
        d = sha256_digest(data)
        self.manifests[d] = (data, media_type)
        return d

    def put_image(self, art):
        """An images.Image or images.Index with every blob and child manifest."""
        for b in art.blobs():
            self.blobs[b.digest] = b.data
        for digest, data, media_type in art.manifests():
            self.manifests[digest] = (data, media_type)
        return art.digest

    def tag(self, tag, digest):
        self.tags[tag] = digest


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile/1"

    def log_message(self, fmt, *args):  # quiet; requests are recorded instead
        pass

    def _send(self, status, body=b"", headers=None, head_only=False):
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if body and not head_only:
            self.wfile.write(body)

    def _error(self, status, code):
        body = json.dumps({"errors": [{"code": code, "message": code.lower()}]}).encode()
        self._send(status, body, {"Content-Type": "application/json"},
                   head_only=self.command == "HEAD")

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        reg = self.server.hostile
        with reg.lock:
            reg.requests.append((self.command, self.path))
        path, _, query = self.path.partition("?")
        if path == "/v2/" or path == "/v2":
            return self._send(200, b"{}", {"Content-Type": "application/json"},
                              head_only=self.command == "HEAD")
        m = re.fullmatch(r"/v2/(.+)/(tags/list|manifests/[^/]+|blobs/[^/]+)", path)
        if not m or m.group(1) not in reg.repos:
            return self._error(404, "NAME_UNKNOWN")
        repo = reg.repos[m.group(1)]
        what = m.group(2)
        if what == "tags/list":
            return self._tags(repo, query)
        kind, ref = what.split("/", 1)
        if kind == "manifests":
            return self._manifest(repo, ref)
        return self._blob(repo, ref)

    def _tags(self, repo, query):
        listing = repo.listing or {}
        if "endless" in listing:
            per_page, length = listing["endless"]
            page = 0
            mm = re.search(r"last=p(\d+)", query)
            if mm:
                page = int(mm.group(1)) + 1
            tags = []
            for i in range(per_page):
                t = "p%d-%d-" % (page, i)
                tags.append(t + "x" * (length - len(t)))
            body = json.dumps({"name": repo.name, "tags": tags}).encode()
            link = '</v2/%s/tags/list?n=%d&last=p%d>; rel="next"' % (repo.name, per_page, page)
            return self._send(200, body, {"Content-Type": "application/json", "Link": link})
        body = json.dumps({"name": repo.name, "tags": sorted(repo.tags)}).encode()
        headers = {"Content-Type": "application/json"}
        if listing.get("loop"):
            headers["Link"] = '</v2/%s/tags/list?n=1000&last=loop>; rel="next"' % repo.name
        return self._send(200, body, headers)

    def _manifest(self, repo, ref):
        digest = repo.tags.get(ref, ref)
        if digest not in repo.manifests:
            return self._error(404, "MANIFEST_UNKNOWN")
        data, media_type = repo.manifests[digest]
        self._send(200, data, {"Content-Type": media_type,
                               "Docker-Content-Digest": sha256_digest(data)},
                   head_only=self.command == "HEAD")

    def _blob(self, repo, digest):
        behaviour = repo.blob_behaviour.get(digest, {})
        if "trickle_head_bytes_per_second" in behaviour:
            return self._trickle_head(behaviour["trickle_head_bytes_per_second"])
        if "redirect" in behaviour:
            return self._send(307, b"", {"Location": behaviour["redirect"]})
        data = behaviour.get("serve", repo.blobs.get(digest))
        if data is None:
            return self._error(404, "BLOB_UNKNOWN")
        length = behaviour.get("content_length", len(data))
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(length),
                   "Docker-Content-Digest": digest}
        rate = behaviour.get("trickle_bytes_per_second")
        if rate is None:
            return self._send(200, data, headers, head_only=self.command == "HEAD")
        self.send_response(200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            for i in range(len(data)):
                if self.server.hostile.stopping.is_set():
                    break
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(1.0 / rate)
        except OSError:
            pass  # the client gave up: what a low-speed limit is for
        self.close_connection = True


    def _trickle_head(self, rate):
        """A status line, then one header byte at a time: per-operation timeouts never fire."""
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            self.wfile.flush()
            for _ in range(100000):
                if self.server.hostile.stopping.is_set():
                    break
                self.wfile.write(b"a")
                self.wfile.flush()
                time.sleep(1.0 / rate)
        except OSError:
            pass
        self.close_connection = True


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client hanging up on a huge or slow answer is the point of several cases


class HostileRegistry:
    """The server; `requests` records (method, path) of every request."""

    def __init__(self):
        self.repos = {}
        self.requests = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hostile = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def repo(self, name):
        return self.repos.setdefault(name, Repo(name))

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
