"""Docker Hub sources against vendoremu.DockerHub (registry + token service + Hub API + blob
CDN on four loopback HTTPS ports, test CA) in front of a real docker-registry:

(a) "newest" is the Hub API's tag_last_pushed, read through 3 pages of `next`: push times
    differ from both config `created` and name order, and exactly the newest 5 are chosen;
    a one-component repository gets `library/`.
(b) pull budget: 6 pulls per short window, a 5-tag rule needing 2 pulls a tag (index + the
    amd64 child). The dry run spends nothing and shows the budget; the first run syncs 3,
    defers 2 with the reset time (exit 0, status partial), never draws a 429; the run after
    the reset completes them; a no-op run spends 0 counted pulls (HEAD only).
(c) the credential reaches only the token service and the Hub API login: never the registry,
    the blob CDN (which refuses any Authorization, as presigned URLs do), stdout or stderr.
(d) everything pulled back with skopeo from a stock docker-registry serving the destination
    has the source's digests.
(e) the Hub API answering 500: the run falls back to image config `created` order and the
    report (notes, timestamp_kind) and the log say so.
(f) another client spends the quota between our HEAD and GET: exactly one 429, no retry, the
    tag and the rest deferred until its Retry-After, exit 0."""

import base64
import os
import time

import checks
import harness
import images
import regclient
import syncrun
import vendoremu

PW = "Hub-s3cret-PAT-9f2c"
REPO = "library/app"
NAMES = ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6"]
# created: newest first 1.0 .. 1.6 (the opposite of name order)
CREATED = {n: "2024-01-%02dT00:00:00Z" % (20 - i) for i, n in enumerate(NAMES)}
# pushed: newest first 1.3, 1.6, 1.0, 1.5, 1.2, 1.4, 1.1 — unlike both
PUSH_ORDER = ["1.3", "1.6", "1.0", "1.5", "1.2", "1.4", "1.1"]
PUSHED = {n: "2025-03-%02dT12:00:00Z" % (28 - i) for i, n in enumerate(PUSH_ORDER)}
PLATFORMS = ({"os": "linux", "architecture": "amd64"},
             {"os": "linux", "architecture": "arm64", "variant": "v8"})


def amd64_child(index):
    return [c for c in index.platform_children() if c.platform["architecture"] == "amd64"][0]


def assert_no_secret(res, secret):
    assert secret not in res.stdout + res.stderr, "the credential was echoed:\n" + res.describe()


def main():
    work = harness.make_temp_dir("trib-sync-dockerhub-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    certs = harness.make_ca_and_server_cert(os.path.join(work, "tls"))
    fixture = {n: images.make_multiarch("hub/" + n, created=CREATED[n], layer_sizes=(700,),
                                        platforms=PLATFORMS) for n in NAMES}
    newest5 = PUSH_ORDER[:5]
    assert set(newest5) != set(sorted(NAMES, reverse=True)[:5])
    assert set(newest5) != set(NAMES[:5])  # created order picks 1.0..1.4

    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as upstream:
        sc = regclient.RegistryClient.for_registry(upstream)
        for n, art in fixture.items():
            images.push_artifact(sc, REPO, art, [n])
        hub_platforms = {"%s:%s" % (REPO, n): [dict(p) for p in PLATFORMS] for n in NAMES}
        pushed = {"%s:%s" % (REPO, n): t for n, t in PUSHED.items()}

        with vendoremu.DockerHub(upstream, certs, pushed=pushed, platforms=hub_platforms,
                                 limit=6, window=6, users={"alice": PW}, page_size=3) as hub:
            dest = syncrun.SyncTarget(os.path.join(work, "dest"), vendoremu.provider_config(
                certs, hub.hosts(), cache_dir=os.path.join(work, "cache"),
                endpoints=hub.endpoints()))
            dest.add_password_credential("hub", "alice", PW)
            rule = vendoremu.vendor_rule("dockerhub", "app", "mirror/app", name="hub-app",
                                         latest_n=5, platforms=["linux/amd64"], credential="hub")

            # --- dry run: the plan shows pulls and budget, spends none -----------------------
            plan = hub_plan = dest.sync(rule, dry_run=True).expect(0)
            assert_no_secret(plan, PW)
            assert plan.tags() == newest5, plan.describe()
            for n in newest5:
                e = plan.entry(n)
                assert e["timestamp_kind"] == "pushed", e
                assert syncrun.parse_rfc3339(e["timestamp"]) == \
                    syncrun.parse_rfc3339(PUSHED[n]), e
            assert [plan.entry(n)["action"] for n in newest5] == \
                ["synced"] * 3 + ["deferred"] * 2, plan.describe()
            assert all(plan.entry(n)["pulls"] == 2 for n in newest5[:3]), plan.describe()
            budget = hub_plan.report["budget"]
            assert budget["limit"] == 6 and budget["remaining"] == 6, budget
            assert budget["pulls_needed"] == 6, budget
            assert {t["timestamp_kind"] for t in plan.report["tags"]} == {"pushed"}, plan.describe()
            assert hub.manifest_gets == 0, "a dry run spent %d pulls" % hub.manifest_gets
            hub_pages = [r for r in hub.requests if r["role"] == "hub" and
                         r["path"].startswith("/v2/namespaces/")]
            assert len(hub_pages) == 3, [r["path"] for r in hub_pages]
            print("plan: newest 5 by tag_last_pushed through 3 pages; 3 fit the budget of 6")

            # --- run 1: 3 synced, 2 deferred, no 429 ----------------------------------------
            first = dest.sync(rule, extra=["--verbose"]).expect(0)
            assert_no_secret(first, PW)
            acts = first.actions()
            assert [acts[n] for n in newest5] == ["synced"] * 3 + ["deferred"] * 2, \
                first.describe()
            assert first.report["status"] == "partial", first.describe()
            for n in newest5[3:]:
                e = first.entry(n)
                assert e["reason_code"] == "budget_exhausted", e
                assert "resets" in e["reason"], e
            assert hub.too_many == 0, "the run drew %d 429s" % hub.too_many
            assert hub.manifest_gets == 6, hub.manifest_gets
            reset_at = syncrun.parse_rfc3339(first.report["budget"]["reset_at"])
            print("run 1: synced %s, deferred %s until %s" % (
                newest5[:3], newest5[3:], first.report["budget"]["reset_at"]))

            # --- run 2 after the reset: the deferred ones ------------------------------------
            time.sleep(max(0.0, reset_at - time.time()) + 0.5)
            second = dest.sync(rule).expect(0)
            acts = second.actions()
            assert [acts[n] for n in newest5] == ["unchanged"] * 3 + ["synced"] * 2, \
                second.describe()
            assert second.report["status"] == "succeeded", second.describe()
            assert hub.too_many == 0
            print("run 2 (after the reset): synced %s" % newest5[3:])

            # --- run 3: a no-op spends no pulls ---------------------------------------------
            gets = hub.manifest_gets
            third = dest.sync(rule).expect(0)
            assert set(third.actions().values()) == {"unchanged"}, third.describe()
            assert hub.manifest_gets == gets, "a no-op run spent %d pulls" % (
                hub.manifest_gets - gets)
            assert third.report["budget"]["pulls_spent"] == 0, third.describe()
            print("run 3: no-op, 0 counted pulls")
            human = dest.sync(rule, dry_run=True, as_json=False).expect(0)
            assert "Docker Hub pull budget: " in human.stdout and " left" in human.stdout \
                and "this run needs 0" in human.stdout, human.describe()
            assert hub.manifest_gets == gets

            # --- the credential went only to the token service and the Hub API login -------
            basic = base64.b64encode(("alice:" + PW).encode()).decode()
            where = set(hub.requests_containing(PW)) | set(hub.requests_containing(basic))
            roles = {r for r, _m, _p in where}
            assert roles <= {"auth", "hub"}, where
            assert ("hub", "POST", "/v2/auth/token") in where, where
            assert "auth" in roles, where
            assert not any(r["role"] == "blobs" and "authorization" in r["headers"]
                           for r in hub.requests)
            hub_tokens = [r["headers"].get("authorization", "") for r in hub.requests
                          if r["role"] != "hub"]
            assert not any(t[7:] in hub.hub_tokens for t in hub_tokens if t.startswith("Bearer "))
            blob_gets = [r for r in hub.requests if r["role"] == "blobs"]
            assert blob_gets, "no blob went through the CDN redirect"
            print("credential seen only by: %s" % sorted(where))

        # --- (f) someone else spends the quota mid-run: one 429, honoured, never repeated ----
        with vendoremu.DockerHub(upstream, certs, pushed=pushed, platforms=hub_platforms,
                                 limit=20, window=30, page_size=3) as busy:
            busy.steal_at_get = 3  # after the first tag's 2 pulls
            dest3 = syncrun.SyncTarget(os.path.join(work, "dest-busy"), vendoremu.provider_config(
                certs, busy.hosts(), cache_dir=os.path.join(work, "cache3"),
                endpoints=busy.endpoints()))
            rule3 = vendoremu.vendor_rule("dockerhub", REPO, "mirror/busy", name="hub-busy",
                                          latest_n=5, platforms=["linux/amd64"])
            res = dest3.sync(rule3).expect(0)
            acts = res.actions()
            assert [acts[n] for n in newest5] == ["synced"] + ["deferred"] * 4, res.describe()
            assert busy.too_many == 1, "429s: %d (a 429 must never be repeated)" % busy.too_many
            second_tag = res.entry(newest5[1])
            assert "429" in second_tag["reason"] and "resets at" in second_tag["reason"], \
                second_tag
            reset = syncrun.parse_rfc3339(res.report["budget"]["reset_at"])
            assert 20 <= reset - time.time() <= 31, res.report["budget"]  # its Retry-After
            print("quota spent by another client: 1 x 429, the rest deferred until %s" %
                  res.report["budget"]["reset_at"])

        with dest.serve() as dreg:
            for n in newest5:
                checks.assert_pull_matches(sk, dreg, "mirror/app", n, amd64_child(fixture[n]),
                                           os.path.join(work, "pull", n))
        print("pulled back byte-exact: %s" % newest5)

        # --- (e) the Hub API fails: created order, and the report says so -------------------
        with vendoremu.DockerHub(upstream, certs, pushed=pushed, platforms=hub_platforms,
                                 page_size=3) as down:
            down.fail_api = True
            dest2 = syncrun.SyncTarget(os.path.join(work, "dest-fallback"),
                                       vendoremu.provider_config(
                                           certs, down.hosts(),
                                           cache_dir=os.path.join(work, "cache2"),
                                           endpoints=down.endpoints(),
                                           extra={"timeout_seconds": 10}))
            rule2 = vendoremu.vendor_rule("dockerhub", REPO, "mirror/fallback", name="hub-down",
                                          latest_n=3)
            res = dest2.sync(rule2, extra=["--verbose"]).expect(0)
            assert res.tags() == NAMES[:3], res.describe()
            assert set(res.actions().values()) == {"synced"}, res.describe()
            notes = res.report["notes"]
            assert any("created" in n and "Docker Hub" in n for n in notes), notes
            assert {t["timestamp_kind"] for t in res.report["tags"]} == {"created"}, res.describe()
            assert "created" in res.stderr, res.describe()
            with dest2.serve() as dreg:
                checks.assert_pull_matches(sk, dreg, "mirror/fallback", "1.0", fixture["1.0"],
                                           os.path.join(work, "pull-fallback"))
            print("Hub API 500: fell back to created order: %s" % res.tags())
    print("dockerhub OK")


if __name__ == "__main__":
    main()
