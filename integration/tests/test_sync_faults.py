"""`tributary sync` through a fault-injecting proxy (lib/faultproxy.py) in front of a real
source registry, one fault kind at a time.

Transient faults are ridden out: a connection dropped mid-body resumes with a Range request
from the byte where it broke (one closed before answering is retried); 429 with Retry-After is retried no sooner than it says; one
500/502/503 on the tag list, a manifest or a blob is retried; a stall shorter than the socket
timeout is waited out on the same request; a 401 with a fresh Bearer challenge (an expired
token) makes the client fetch a new token and retry. Each run exits 0 with every tag synced,
pulled back byte-exact by skopeo from a stock docker-registry serving the destination root.

Permanent faults fail only the affected tags, with a reason that names the cause (a byte
flipped on every attempt -> digest mismatch; 503 on every attempt -> unavailable); the other
tags are synced; nothing unverified becomes visible. A tag synced before (v1) whose source
moved to v2 keeps serving v1, fully pullable, while v2's layers or manifest keep failing, and
becomes v2 once the source heals.

After every run: tags/list is exact (no temp file shows up as a tag), the storage tree has no
stray files or bad links, the registry answered no 5xx, and `garbage-collect --dry-run` marks
nothing a tag reaches.
"""

import os

import checks
import faultproxy
import harness
import images
import regclient
import storagecheck
import syncrun
import tokenserver

SRC_REPO = "upstream/app"
DEST_REPO = "mirror/app"
MiB = 1 << 20


def build_fixture():
    """Tags multi (Docker manifest list, 3 platforms, a 4 MiB base shared with `big`), big
    (base + 6 MiB), small (5 MiB) and stable (v1: 4 MiB; v2: two new layers)."""
    base = images.make_layer("faults/base", 4 * MiB)
    fx = {
        "multi": images.make_multiarch("faults/multi", created="2024-01-05T00:00:00Z",
                                       shared_layers=[base], layer_sizes=(MiB,)),
        "big": images.make_image("faults/big", created="2024-01-04T00:00:00Z",
                                 layers=[base, images.make_layer("faults/big/top", 6 * MiB)]),
        "small": images.make_image("faults/small", created="2024-01-03T00:00:00Z",
                                   layer_sizes=(5 * MiB,)),
        "stable": images.make_image("faults/stable-v1", created="2024-01-02T00:00:00Z",
                                    layer_sizes=(4 * MiB,)),
    }
    v2 = images.make_image("faults/stable-v2", created="2024-02-01T00:00:00Z",
                           layer_sizes=(4 * MiB, 2 * MiB))
    return fx, v2


def blob_path(digest):
    return "/blobs/" + digest + "$"


def manifest_path(ref):
    return "/manifests/" + ref + "$"


def reachable(expected):
    out = set()
    for art in expected.values():
        out |= set(checks.expected_contents(art))
    return out


class Scenario:
    """One destination root (+ its provider cache) synced through the proxy."""

    def __init__(self, work, name, proxies, sk, overwrite=False, credential=None,
                 dest_credentials=None):
        self.name = name
        self.work = os.path.join(work, name)
        self.sk = sk
        self.dest = syncrun.SyncTarget(self.work, syncrun.provider_config_for(
            proxies, cache_dir=os.path.join(self.work, "cache")))
        if dest_credentials:
            for cname, (user, pw) in dest_credentials.items():
                self.dest.add_password_credential(cname, user, pw)
        self.rule = syncrun.make_rule(proxies[0].host, SRC_REPO, DEST_REPO, name="faults-" + name,
                                      overwrite=overwrite, credential=credential)
        self.verifications = 0

    def sync(self):
        return self.dest.sync(self.rule, timeout=240)

    def verify(self, expected, context=""):
        """The destination serves exactly `expected` ({tag: artifact}), byte-exact."""
        self.verifications += 1
        where = "%s%s" % (self.name, context)
        problems = storagecheck.storage_tree_problems(self.dest.root)
        assert not problems, "%s: storage tree problems: %s" % (where, problems)
        with self.dest.serve() as dreg:
            dc = regclient.RegistryClient.for_registry(dreg)
            tags = dc.tags(DEST_REPO)
            assert sorted(tags or []) == sorted(expected), "%s: tags/list %s, expected %s" % (
                where, tags, sorted(expected))
            for tag, art in sorted(expected.items()):
                checks.assert_pull_matches(self.sk, dreg, DEST_REPO, tag, art, os.path.join(
                    self.work, "pull-%d" % self.verifications, tag))
            assert not dreg.server_errors(), "%s: registry 5xx: %s" % (where,
                                                                      dreg.server_errors())
            eligible, out = harness.garbage_collect(dreg.config_path, dry_run=True)
            kept = reachable(expected)
            assert not (eligible & kept), "%s: GC would delete reachable %s\n%s" % (
                where, sorted(eligible & kept), out[-3000:])
        print("  %s: destination serves %s byte-exact; GC keeps them" % (
            where, ", ".join("%s=%s" % (t, a.digest[7:19]) for t, a in sorted(expected.items()))),
            flush=True)


def expect_all(res, action, tags):
    acts = res.actions()
    assert acts == {t: action for t in tags}, "expected every tag %s\n%s" % (action,
                                                                           res.describe())


def next_request_after(proxy, rec):
    """The first recorded request for the same method+path that started after rec."""
    for r in sorted(proxy.requests, key=lambda r: r["time"]):
        if r is not rec and r["method"] == rec["method"] and r["path"] == rec["path"] \
                and r["time"] > rec["time"]:
            return r
    raise AssertionError("no retry of %s %s after its fault" % (rec["method"], rec["path"]))


def fired_once(fault):
    assert fault.applied == 1, "fault %s applied %d times" % (fault.describe(), fault.applied)


# ------------------------------------------------------------------------------------------
# Transient faults: exit 0, all synced, byte-exact.
# ------------------------------------------------------------------------------------------

def transient_drop(work, px, sk, fx):
    """Connections dropped mid-body (FIN after 2 MiB; RST after 1 MiB) resume with Range; one
    closed before any answer (a manifest) is retried."""
    px.reset()
    top = fx["big"].layers[1]
    base = fx["big"].layers[0]
    f_fin = px.add_fault("drop", path=blob_path(top.digest), after_bytes=2 * MiB)
    f_rst = px.add_fault("drop", path=blob_path(base.digest), after_bytes=MiB, reset=True)
    f_hdr = px.add_fault("drop", path=manifest_path(fx["small"].digest), before_headers=True)
    sc = Scenario(work, "drop", [px], sk)
    res = sc.sync().expect(0)
    expect_all(res, "synced", fx)
    fired_once(f_fin)
    fired_once(f_rst)
    fired_once(f_hdr)
    assert next_request_after(px, px.applied_by(f_hdr)[0])["status"] == 200
    dropped = px.find(path_re=blob_path(top.digest), fault="drop")[0]
    assert dropped["bytes"] == 2 * MiB, dropped
    resumed = next_request_after(px, dropped)
    assert resumed["headers"].get("range") == "bytes=%d-" % (2 * MiB), resumed
    assert resumed["status"] == 206 and resumed["bytes"] == top.size - 2 * MiB, resumed
    # After an RST the client may have lost bytes in flight; it must still get the blob whole.
    got = [r for r in px.find(method="GET", path_re=blob_path(base.digest))
           if r["fault"] is None]
    assert got and got[-1]["status"] in (200, 206), got
    print("drop: resumed %s with %s (206, %d bytes); RST blob re-fetched with %s" % (
        top.digest[7:19], resumed["headers"]["range"], resumed["bytes"],
        got[-1]["headers"].get("range", "no Range")), flush=True)
    sc.verify(fx)


def transient_429(work, px, sk, fx):
    """429 + Retry-After: 1 on the tag list and on a blob: retried, not before 1 s."""
    px.reset()
    layer = fx["multi"].children[0].layers[1]
    f_list = px.add_fault("status", path=r"/tags/list", code=429, retry_after=1)
    f_blob = px.add_fault("status", path=blob_path(layer.digest), code=429, retry_after=1)
    sc = Scenario(work, "429", [px], sk)
    res = sc.sync().expect(0)
    expect_all(res, "synced", fx)
    for f, what in ((f_list, r"/tags/list"), (f_blob, blob_path(layer.digest))):
        fired_once(f)
        limited = px.find(path_re=what, status=429)[0]
        retry = next_request_after(px, limited)
        assert retry["status"] == 200, retry
        # A lower bound only: a busy machine can only make the retry later.
        waited = retry["time"] - limited["answered"]
        assert waited >= 0.9, "retried %.2fs after a 429 with Retry-After: 1" % waited
        print("429: %s retried after %.2fs" % (what, waited), flush=True)
    sc.verify(fx)


def transient_5xx(work, px, sk, fx):
    """One 500 (tag list), 502 (HEAD manifest by tag), 503 (index by digest, a blob)."""
    px.reset()
    top = fx["big"].layers[1]
    faults = [
        px.add_fault("status", path=r"/tags/list", code=500),
        px.add_fault("status", method="HEAD", path=manifest_path("stable"), code=502),
        px.add_fault("status", path=manifest_path(fx["multi"].digest), code=503),
        px.add_fault("status", path=blob_path(top.digest), code=503),
    ]
    sc = Scenario(work, "5xx", [px], sk)
    res = sc.sync().expect(0)
    expect_all(res, "synced", fx)
    for f in faults:
        fired_once(f)
        rec = px.applied_by(f)[0]
        assert next_request_after(px, rec)["status"] == 200
    print("5xx: %d single 5xx answers retried" % len(faults), flush=True)
    sc.verify(fx)


def transient_corrupt_once(work, px, sk, fx):
    """One corrupted delivery of a blob (same length, one byte flipped): the host writer's
    digest check rejects it, the blob is fetched again from scratch and the tag syncs."""
    px.reset()
    base = fx["big"].layers[0]
    f = px.add_fault("corrupt", path=blob_path(base.digest), nth=1)
    sc = Scenario(work, "corrupt-once", [px], sk)
    res = sc.sync().expect(0)
    expect_all(res, "synced", fx)
    fired_once(f)
    gets = [r for r in px.find(method="GET", path_re=blob_path(base.digest))]
    assert len(gets) == 2, gets
    assert gets[-1]["fault"] is None and gets[-1]["bytes"] == base.size, gets
    print("corrupt once: blob re-fetched whole after the digest mismatch", flush=True)
    sc.verify(fx)


def transient_stall(work, px, sk, fx):
    """Stalls of 3 s (before the headers of a HEAD; after 1 MiB of a blob body) are far below
    the 30 s socket timeout: waited out on the same request, no retry needed."""
    px.reset()
    base = fx["big"].layers[0]
    f_head = px.add_fault("stall", method="HEAD", path=manifest_path("big"), seconds=3)
    f_body = px.add_fault("stall", path=blob_path(base.digest), seconds=3, after_bytes=MiB)
    sc = Scenario(work, "stall", [px], sk)
    res = sc.sync().expect(0)
    expect_all(res, "synced", fx)
    fired_once(f_head)
    fired_once(f_body)
    gets = px.find(method="GET", path_re=blob_path(base.digest))
    assert len(gets) == 1 and gets[0]["bytes"] == base.size, gets
    assert px.count(method="HEAD", path_re=manifest_path("big")) == 1
    print("stall: both stalled requests completed without a retry", flush=True)
    sc.verify(fx)


def transient_reauth(work, sk, fx):
    """A token-auth source: a 401 with a fresh Bearer challenge in the middle of the run (on a
    HEAD by tag and on a blob GET) makes the client fetch a new token and retry once."""
    users = {"puller": "pull-secret"}
    with tokenserver.TokenServer(os.path.join(work, "token"), users=users,
                                 anonymous=False) as ts:
        with harness.Registry(os.path.join(work, "token-src-root"),
                              workdir=os.path.join(work, "token-src"),
                              token=ts.registry_auth()) as src:
            c = regclient.RegistryClient.for_registry(src, "puller", "pull-secret")
            subset = {t: fx[t] for t in ("small", "stable")}
            for tag, art in subset.items():
                images.push_artifact(c, SRC_REPO, art, [tag])
            with faultproxy.FaultProxy(src) as px:
                layer = fx["small"].layers[0]
                f_head = px.add_fault("reauth", method="HEAD", path=manifest_path("stable"))
                f_blob = px.add_fault("reauth", path=blob_path(layer.digest))
                sc = Scenario(work, "reauth", [px], sk, credential="src",
                              dest_credentials={"src": ("puller", "pull-secret")})
                # Credentials go to a plain-http realm only when it is listed (issue #7).
                sc.dest.provider_config["insecure_registries"].append("127.0.0.1:%d" % ts.port)
                sc.dest.write_config()
                before, first = ts.count("puller"), len(ts.requests)
                res = sc.sync().expect(0)
                expect_all(res, "synced", subset)
                fired_once(f_head)
                fired_once(f_blob)
                for rec in px.applied:
                    assert rec["status"] == 401
                    retry = next_request_after(px, rec)
                    assert retry["status"] == 200, retry
                    assert retry["headers"].get("authorization", "").startswith("Bearer "), \
                        retry["headers"]
                # One token for the run plus a fresh one after each re-challenge.
                tokens = ts.count("puller") - before
                assert tokens >= 3, "only %d token requests for 2 re-challenges" % tokens
                # (a POST is the OAuth2 attempt this token server answers 404; GET follows)
                assert all(r["user"] == "puller" for r in ts.requests[first:]
                           if r["method"] == "GET"), ts.requests[first:]
                print("reauth: 2 re-challenges, %d token requests, retried with new tokens" %
                      tokens, flush=True)
                sc.verify(subset)
                assert not px.errors, px.errors
                assert "pull-secret" not in res.stdout + res.stderr


# ------------------------------------------------------------------------------------------
# Permanent faults.
# ------------------------------------------------------------------------------------------

def permanent_fresh(work, px, sk, fx):
    """A byte flipped in big's top layer on every attempt, and 503 on every attempt for
    small's layer: those two tags fail with the cause, multi and stable are synced."""
    px.reset()
    top = fx["big"].layers[1]
    small_layer = fx["small"].layers[0]
    f_corrupt = px.add_fault("corrupt", path=blob_path(top.digest), nth=None)
    f_503 = px.add_fault("status", path=blob_path(small_layer.digest), nth=None, code=503)
    sc = Scenario(work, "permanent", [px], sk)
    res = sc.sync().expect(1)
    assert res.report["status"] == "partial", res.describe()
    assert res.actions() == {"multi": "synced", "big": "failed", "small": "failed",
                             "stable": "synced"}, res.describe()
    big_reason = res.entry("big")["reason"]
    small_reason = res.entry("small")["reason"]
    assert top.digest in big_reason and "digest" in big_reason.lower(), big_reason
    assert small_layer.digest in small_reason and ("503" in small_reason or
                                                   "unavailable" in small_reason.lower()), \
        small_reason
    assert f_corrupt.applied >= 1 and f_503.applied >= 2, (f_corrupt.applied, f_503.applied)
    print("permanent: big -> %s" % big_reason, flush=True)
    print("permanent: small -> %s (%d attempts)" % (small_reason, f_503.applied), flush=True)
    tree = syncrun.tree_snapshot(sc.dest.root)
    assert not any(top.digest[7:] in p for p in tree), "an unverified blob became visible"
    assert not any(small_layer.digest[7:] in p for p in tree), "a missing blob left traces"
    sc.verify({t: fx[t] for t in ("multi", "stable")})


def permanent_keeps_previous(prev, px, src_client, fx, v2):
    """stable moved to v2 at the source; v2 keeps failing (503 layer, then corrupt layer, then
    503 manifest): the destination keeps serving v1, whole. Healed: v2 arrives."""
    images.push_artifact(src_client, SRC_REPO, v2, ["stable"])
    others = {t: "unchanged" for t in fx if t != "stable"}
    after_v1 = dict(fx)

    # 503 first: v2's other layer arrives meanwhile, so the later runs fetch only layers[0].
    px.reset()
    f = px.add_fault("status", path=blob_path(v2.layers[0].digest), nth=None, code=503)
    res = prev.sync().expect(1)
    assert res.actions() == dict(others, stable="failed"), res.describe()
    reason = res.entry("stable")["reason"]
    assert "503" in reason or "unavailable" in reason.lower(), reason
    assert f.applied >= 2, f.applied
    prev.verify(after_v1, " (v2 layer 503)")

    px.reset()
    f = px.add_fault("corrupt", path=blob_path(v2.layers[0].digest), nth=None)
    res = prev.sync().expect(1)
    assert res.actions() == dict(others, stable="failed"), res.describe()
    assert "digest" in res.entry("stable")["reason"].lower(), res.entry("stable")
    assert f.applied >= 1
    prev.verify(after_v1, " (v2 layer corrupt)")

    px.reset()
    f = px.add_fault("status", path=manifest_path(v2.digest), nth=None, code=503)
    before = syncrun.tree_snapshot(prev.dest.root)
    res = prev.sync()
    assert res.code == 1, res.describe()
    assert f.applied >= 2, f.applied
    if res.json is not None:
        assert res.actions().get("stable") == "failed", res.describe()
    else:  # the run failed as a whole (no timestamp for stable without its manifest)
        assert "503" in res.stderr or "unavailable" in res.stderr.lower(), res.describe()
        print("v2 manifest 503: the whole run failed: " + res.stderr.strip().splitlines()[-1],
              flush=True)
    after = syncrun.tree_snapshot(prev.dest.root)
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    assert not any("/_manifests/tags/" in p for p in changed), sorted(changed)
    prev.verify(after_v1, " (v2 manifest 503)")

    px.reset()
    res = prev.sync().expect(0)
    assert res.actions() == dict(others, stable="synced"), res.describe()
    prev.verify(dict(fx, stable=v2), " (healed)")


def main():
    work = harness.make_temp_dir("trib-sync-faults-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    fx, v2 = build_fixture()
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src")) as src:
        c = regclient.RegistryClient.for_registry(src)
        for tag, art in fx.items():
            images.push_artifact(c, SRC_REPO, art, [tag])
        with faultproxy.FaultProxy(src) as px:
            # The "previous" destination: every tag synced cleanly at v1 first.
            prev = Scenario(work, "previous", [px], sk, overwrite=True)
            expect_all(prev.sync().expect(0), "synced", fx)
            assert not px.applied
            prev.verify(fx, " (v1)")

            transient_drop(work, px, sk, fx)
            transient_429(work, px, sk, fx)
            transient_5xx(work, px, sk, fx)
            transient_stall(work, px, sk, fx)
            transient_corrupt_once(work, px, sk, fx)
            permanent_fresh(work, px, sk, fx)
            permanent_keeps_previous(prev, px, c, fx, v2)
            assert not px.errors, px.errors
        assert not src.server_errors(), src.server_errors()
    transient_reauth(work, sk, fx)
    print("test_sync_faults OK")


if __name__ == "__main__":
    main()
