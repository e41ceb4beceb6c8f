"""`replication.publish: registry_api`: blobs straight into storage, manifests and tags PUT
through the destination registry's own API (docs/harbor.md, registry-facts §F).

The destination is a stock docker-registry with htpasswd auth, the default in-memory blob
descriptor cache and a `notifications:` endpoint pointing at a listener in this test. It is
already running when the sync writes blobs behind its back (and has answered 404 for one of
them just before). A multi-arch image, a single-arch image and two tags on one digest are
synced, then:
  - the listener got a `push` event with the right repository, digest and tag for every tag;
  - the access log shows manifest PUTs and no blob upload (POST/PATCH/PUT under /blobs/uploads/);
  - everything pulls back with skopeo byte-exact, and `garbage-collect --dry-run` keeps it;
  - a no-op re-run pushes nothing;
  - a rejected push credential fails the tags with the registry's message and the previous
    images keep serving; the retry with the right credential publishes (idempotent);
  - with token auth, a credential that may pull but not push gets its manifest PUT refused
    (insufficient_scope in the report) and the tag keeps serving the previous image.
With token auth (tokenserver.py) a pull-only grant is refused and the push grant works; an
https registry is trusted through registry_api.ca_file and refused without it; one platform is
pushed as that child, a sparse index is refused with the reason."""

import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import checks
import harness
import images
import regclient
import syncrun
import tokenserver

PUSH_PASSWORD = "Push-s3cret-pw!"
WRONG = "not-the-Password-9"
REPO = "mirror/app"


class NotificationListener:
    """Collects Distribution notification envelopes POSTed to http://127.0.0.1:<port>/events."""

    def __init__(self):
        self.events = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    envelope = json.loads(body)
                except ValueError:
                    envelope = {"events": []}
                with owner._lock:
                    owner.events.extend(envelope.get("events", []))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d/events" % self._server.server_address[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        return False

    def pushes(self):
        with self._lock:
            return [e for e in self.events if e.get("action") == "push"]

    def wait_for_tags(self, repo, want, timeout=20.0):
        """Wait until a push event names each (tag, digest) in `want`; return the pushes."""
        deadline = time.monotonic() + timeout
        while True:
            seen = {(e["target"].get("tag"), e["target"].get("digest"))
                    for e in self.pushes() if e["target"].get("repository") == repo}
            if all((tag, digest) in seen for tag, digest in want.items()):
                return self.pushes()
            if time.monotonic() > deadline:
                raise AssertionError("push events missing for %s; got %s" % (
                    sorted(set(want.items()) - seen), sorted(seen, key=str)))
            time.sleep(0.1)


def notifications_config(listener):
    return {"notifications": {"endpoints": [{
        "name": "test-listener", "url": listener.url, "timeout": "2s", "threshold": 3,
        "backoff": "1s"}]}}


class PublishingTarget(syncrun.SyncTarget):
    """A SyncTarget whose config adds replication.publish / replication.registry_api."""

    def __init__(self, workdir, provider_config, root, registry_url, credential, ca_file=None):
        self.registry_url = registry_url
        self.credential = credential
        self.ca_file = ca_file
        super().__init__(workdir, provider_config, root=root)

    def write_config(self):
        super().write_config()
        with open(self.config_path) as f:
            cfg = json.load(f)
        cfg["replication"]["publish"] = "registry_api"
        cfg["replication"]["registry_api"] = {"url": self.registry_url}
        if self.credential:
            cfg["replication"]["registry_api"]["credential"] = self.credential
        if self.ca_file:
            cfg["replication"]["registry_api"]["ca_file"] = self.ca_file
        harness.write_config(self.config_path, cfg)


UPLOAD_RE = r"/v2/.*/blobs/uploads/"


def blob_uploads(reg):
    return [e for e in reg.access_log() if e[0] in ("POST", "PATCH", "PUT")
            and re.search(UPLOAD_RE, e[1])]


def manifest_puts(reg):
    return [e for e in reg.access_log() if e[0] == "PUT" and "/manifests/" in e[1]]


def head_tag(client, repo, tag):
    res = client.request("HEAD", "/v2/%s/manifests/%s" % (repo, tag),
                         headers={"Accept": regclient.MANIFEST_ACCEPT})
    return res.status, res.headers.get("Docker-Content-Digest")


def htpasswd_case(work, sk, src, artifacts):
    multi, single, shared, single_v2 = artifacts
    dest_root = os.path.join(work, "dest-root")
    htpasswd = harness.make_htpasswd(os.path.join(work, "htpasswd"), {"pusher": PUSH_PASSWORD})
    rule = syncrun.make_rule(src.host, "ns/app", REPO, name="publish-api", overwrite=True)
    with NotificationListener() as listener, \
            harness.Registry(dest_root, workdir=os.path.join(work, "dest-reg"),
                             htpasswd=htpasswd, extra=notifications_config(listener)) as dest:
        client = regclient.RegistryClient.for_registry(dest, "pusher", PUSH_PASSWORD)
        # The registry is up (cache: blobdescriptor: inmemory) and has looked for a blob that
        # does not exist yet: the sync writes it behind its back, then the PUT must find it.
        probe = single.layers[0].digest
        assert not client.blob_exists(REPO, probe)

        target = PublishingTarget(os.path.join(work, "sync"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache")), dest_root, dest.url, "pusher")
        target.add_password_credential("pusher", "pusher", PUSH_PASSWORD)

        plan = target.sync(rule, dry_run=True, as_json=False).expect(0)
        assert "publish: registry_api (blobs into storage, manifests and tags through %s)" % \
            dest.url in plan.stdout, plan.describe()

        res = target.sync(rule).expect(0)
        want = {"multi": multi.digest, "single": single.digest, "a": shared.digest,
                "b": shared.digest}
        assert res.actions() == {t: "synced" for t in want}, res.describe()
        assert PUSH_PASSWORD not in res.stdout + res.stderr

        pushes = listener.wait_for_tags(REPO, want)
        print("notifications: %d push events, e.g. %s" % (
            len(pushes), json.dumps(pushes[0]["target"], sort_keys=True)))
        # The children of the index were pushed by digest, so they were announced too.
        child_digests = {c.digest for c in multi.children}
        announced = {e["target"]["digest"] for e in pushes}
        assert child_digests <= announced, (child_digests, announced)

        assert not blob_uploads(dest), blob_uploads(dest)
        puts = manifest_puts(dest)
        assert all(s == 201 for _m, _p, s in puts), puts
        put_paths = {p for _m, p, _s in puts}
        for tag in want:
            assert "/v2/%s/manifests/%s" % (REPO, tag) in put_paths, put_paths
        for d in child_digests | {multi.digest, single.digest, shared.digest}:
            assert "/v2/%s/manifests/%s" % (REPO, d) in put_paths, (d, put_paths)
        print("access log: %d manifest PUTs, no blob upload" % len(puts))

        creds = ("pusher", PUSH_PASSWORD)
        for tag, art in (("multi", multi), ("single", single), ("a", shared), ("b", shared)):
            checks.assert_pull_matches(sk, dest, REPO, tag, art,
                                       os.path.join(work, "pull", tag), creds=creds)
        eligible, out = harness.garbage_collect(dest.config_path, dry_run=True)
        kept = set()
        for art in (multi, single, shared):
            kept |= set(checks.expected_contents(art))
        assert not (eligible & kept), "GC would delete synced content: %s\n%s" % (
            sorted(eligible & kept), out[-3000:])
        print("pulled back byte-exact; garbage-collect --dry-run keeps everything")

        # A no-op re-run: every tag unchanged, nothing pushed.
        before = len(manifest_puts(dest))
        again = target.sync(rule).expect(0)
        assert set(again.actions().values()) == {"unchanged"}, again.describe()
        assert len(manifest_puts(dest)) == before

        # `single` moves upstream; a rejected push credential fails it and the old image
        # keeps serving.
        regclient_src = regclient.RegistryClient.for_registry(src)
        images.push_artifact(regclient_src, "ns/app", single_v2, ["single"])
        target.add_password_credential("pusher", "pusher", WRONG)
        bad = target.sync(rule)
        bad.expect(1)
        entry = bad.entry("single")
        assert entry["action"] == "failed", bad.describe()
        assert "UNAUTHORIZED" in entry["reason"] and "authentication required" in \
            entry["reason"], bad.describe()
        assert WRONG not in bad.stdout + bad.stderr
        assert head_tag(client, REPO, "single") == (200, single.digest)
        checks.assert_pull_matches(sk, dest, REPO, "single", single,
                                   os.path.join(work, "pull", "single-kept"), creds=creds)
        assert not blob_uploads(dest)
        print("wrong push password: %s" % entry["reason"][-160:])

        # The retry with the right credential publishes the new image (idempotent: the blobs
        # the failed run wrote are reused).
        target.add_password_credential("pusher", "pusher", PUSH_PASSWORD)
        fixed = target.sync(rule).expect(0)
        assert fixed.actions()["single"] == "synced", fixed.describe()
        listener.wait_for_tags(REPO, {"single": single_v2.digest})
        checks.assert_pull_matches(sk, dest, REPO, "single", single_v2,
                                   os.path.join(work, "pull", "single-v2"), creds=creds)
        assert not blob_uploads(dest)
        assert not dest.server_errors(), dest.server_errors()


def token_case(work, sk, src, artifacts):
    """Bearer tokens from the registry's realm with scope pull,push; a pull-only grant is
    refused with the registry's answer and leaves nothing tagged. Then, with the image synced,
    `single` moves upstream again and the pull-only credential can read but not push: the
    manifest PUT itself is refused and the tag keeps serving the previous image. Runs last:
    it moves `single` upstream."""
    single = artifacts[3]  # the htpasswd case moved `single` upstream to single_v2
    dest_root = os.path.join(work, "token-root")

    def grant(user, _typ, _name, actions):
        return actions if user == "pusher" else [a for a in actions if a == "pull"]

    rule = syncrun.make_rule(src.host, "ns/app", REPO, name="publish-token",
                             tag_regex="single", overwrite=True)
    with tokenserver.TokenServer(os.path.join(work, "ts"),
                                 users={"pusher": PUSH_PASSWORD, "reader": PUSH_PASSWORD},
                                 anonymous=False, grant=grant) as ts, \
            harness.Registry(dest_root, workdir=os.path.join(work, "token-reg"),
                             token=ts.registry_auth()) as dest:
        target = PublishingTarget(os.path.join(work, "token-sync"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "token-cache")), dest_root, dest.url, "pusher")
        target.add_password_credential("pusher", "reader", PUSH_PASSWORD)
        denied = target.sync(rule)
        denied.expect(1)
        reason = denied.entry("single")["reason"]
        assert "insufficient_scope" in reason or "DENIED" in reason or "401" in reason, \
            denied.describe()
        assert not manifest_puts(dest) or all(s != 201 for _m, _p, s in manifest_puts(dest))
        print("pull-only token: %s" % reason[-160:])

        target.add_password_credential("pusher", "pusher", PUSH_PASSWORD)
        target.sync(rule).expect(0)
        scopes = [s for r in ts.requests if r["user"] == "pusher" for s in r["scopes"]]
        assert "repository:%s:pull,push" % REPO in scopes, scopes
        assert not blob_uploads(dest)
        checks.assert_pull_matches(sk, dest, REPO, "single", single,
                                   os.path.join(work, "pull-token"), creds=("pusher",
                                                                            PUSH_PASSWORD))

        single_v3 = images.make_image("publish/single-v3", created="2024-05-01T00:00:00Z")
        images.push_artifact(regclient.RegistryClient.for_registry(src), "ns/app", single_v3,
                             ["single"])
        target.add_password_credential("pusher", "reader", PUSH_PASSWORD)
        puts_before = len(manifest_puts(dest))
        refused = target.sync(rule)
        refused.expect(1)
        reason = refused.entry("single")["reason"]
        assert "storing manifest %s" % single_v3.digest in reason and \
            "insufficient_scope" in reason, refused.describe()
        refused_puts = manifest_puts(dest)[puts_before:]
        assert refused_puts and all(s == 401 for _m, _p, s in refused_puts), refused_puts
        reader = regclient.RegistryClient.for_registry(dest, "pusher", PUSH_PASSWORD)
        assert head_tag(reader, REPO, "single") == (200, single.digest)
        assert not blob_uploads(dest)
        print("manifest PUT refused (pull-only): the tag still serves %s" % single.digest[:19])
    print("token auth: pushed with scope repository:%s:pull,push" % REPO)


def tls_case(work, sk, src, artifacts):
    """An https registry: trusted through registry_api.ca_file; without it the tag fails with
    a certificate error and nothing is tagged."""
    single = artifacts[3]  # the htpasswd case moved `single` upstream to single_v2
    certs = harness.make_ca_and_server_cert(os.path.join(work, "tls"))
    htpasswd = harness.make_htpasswd(os.path.join(work, "tls-htpasswd"),
                                     {"pusher": PUSH_PASSWORD})
    dest_root = os.path.join(work, "tls-root")
    rule = syncrun.make_rule(src.host, "ns/app", REPO, name="publish-tls", tag_regex="single")
    with harness.Registry(dest_root, workdir=os.path.join(work, "tls-reg"), tls=certs,
                          htpasswd=htpasswd) as dest:
        assert dest.url.startswith("https://")
        untrusted = PublishingTarget(os.path.join(work, "tls-noca"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "tls-noca-cache")), dest_root, dest.url, "pusher")
        untrusted.add_password_credential("pusher", "pusher", PUSH_PASSWORD)
        res = untrusted.sync(rule)
        res.expect(1)
        assert "certificate" in res.entry("single")["reason"].lower(), res.describe()
        assert not manifest_puts(dest)

        target = PublishingTarget(os.path.join(work, "tls-sync"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "tls-cache")), dest_root, dest.url, "pusher",
            ca_file=certs.ca_cert)
        target.add_password_credential("pusher", "pusher", PUSH_PASSWORD)
        target.sync(rule).expect(0)
        assert not blob_uploads(dest)
        checks.assert_pull_matches(sk, dest, REPO, "single", single,
                                   os.path.join(work, "pull-tls"), creds=("pusher",
                                                                          PUSH_PASSWORD))
    print("https with registry_api.ca_file: pushed; without it: certificate error")


def platforms_case(work, src, artifacts):
    """One platform: the tag points at that child, pushed like any image. Several platforms
    (a sparse index) cannot be pushed — the registry lacks the unselected children — and the
    report says so (docs/harbor.md, Limits)."""
    multi = artifacts[0]
    amd64 = multi.children[0]
    dest_root = os.path.join(work, "platforms-root")
    with harness.Registry(dest_root, workdir=os.path.join(work, "platforms-reg")) as dest:
        target = PublishingTarget(os.path.join(work, "platforms-sync"),
                                  syncrun.provider_config_for(
                                      [src], cache_dir=os.path.join(work, "platforms-cache")),
                                  dest_root, dest.url, "")
        one = target.sync(syncrun.make_rule(src.host, "ns/app", "mirror/one", name="one",
                                            tag_regex="multi", platforms=["linux/amd64"]))
        one.expect(0)
        client = regclient.RegistryClient.for_registry(dest)
        assert head_tag(client, "mirror/one", "multi") == (200, amd64.digest)
        sparse = target.sync(syncrun.make_rule(src.host, "ns/app", "mirror/sparse",
                                               name="sparse", tag_regex="multi",
                                               platforms=["linux/amd64", "linux/arm64/v8"]))
        sparse.expect(1)
        reason = sparse.entry("multi")["reason"]
        assert "MANIFEST_BLOB_UNKNOWN" in reason and "sparse index" in reason, sparse.describe()
        assert head_tag(client, "mirror/sparse", "multi")[0] == 404
        assert not blob_uploads(dest)
    print("one platform: pushed; sparse index: refused with the reason")


def main():
    work = harness.make_temp_dir("trib-publish-api-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    multi = images.make_multiarch("publish/multi", created="2024-03-01T00:00:00Z")
    single = images.make_image("publish/single", created="2024-02-01T00:00:00Z",
                               layer_sizes=(3000, 700))
    shared = images.make_image("publish/shared", created="2024-01-01T00:00:00Z", oci=True)
    single_v2 = images.make_image("publish/single-v2", created="2024-04-01T00:00:00Z")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        c = regclient.RegistryClient.for_registry(src)
        images.push_artifact(c, "ns/app", multi, ["multi"])
        images.push_artifact(c, "ns/app", single, ["single"])
        images.push_artifact(c, "ns/app", shared, ["a", "b"])
        htpasswd_case(work, sk, src, (multi, single, shared, single_v2))
        tls_case(work, sk, src, (multi, single, shared, single_v2))
        platforms_case(work, src, (multi, single, shared, single_v2))
        token_case(work, sk, src, (multi, single, shared, single_v2))
    print("test_publish_registry_api OK")


if __name__ == "__main__":
    main()
