"""Quay sources against vendoremu.Quay (registry + /v2/auth answering only {"token"} + the REST
API with has_additional paging every 3 tags, HTTPS with a test CA) in front of a real
docker-registry, named through endpoints.quay:

(a) "newest" is start_ts: push times differ from both config `created` and name order and
    exactly the newest 3 are chosen through 3 pages;
(b) registry tokens that stop working (401) are renewed from /v2/auth and the run goes on;
(c) the robot password reaches only /v2/auth, the OAuth token only the REST API;
(d) pulled back byte-exact with skopeo;
(e) the REST API answering 500: created order, and the report says so."""

import base64
import os

import checks
import harness
import images
import regclient
import syncrun
import vendoremu

REPO = "org/app"
NAMES = ["a1", "a2", "a3", "a4", "a5", "a6", "a7"]
CREATED = {n: "2024-03-%02dT00:00:00Z" % (20 - i) for i, n in enumerate(NAMES)}  # a1 newest
PUSH_ORDER = ["a5", "a2", "a7", "a1", "a4", "a6", "a3"]                            # newest first
START_TS = {n: 1735000000 - i * 600 for i, n in enumerate(PUSH_ORDER)}
ROBOT_PW = "QUAYROBOT-T0KEN-e8d1"
OAUTH = "quay-oauth-app-token-42c7"


def main():
    work = harness.make_temp_dir("trib-sync-quay-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    certs = harness.make_ca_and_server_cert(os.path.join(work, "tls"))
    fixture = {n: images.make_image("quay/" + n, created=CREATED[n], layer_sizes=(800,))
               for n in NAMES}
    fixture["a2"] = images.make_multiarch("quay/a2-multi", created=CREATED["a2"],
                                          layer_sizes=(400,))
    newest3 = PUSH_ORDER[:3]

    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as upstream:
        sc = regclient.RegistryClient.for_registry(upstream)
        for n, art in fixture.items():
            images.push_artifact(sc, REPO, art, [n])
        start_ts = {"%s:%s" % (REPO, n): ts for n, ts in START_TS.items()}
        with vendoremu.Quay(upstream, certs, start_ts=start_ts, users={"org+bot": ROBOT_PW},
                            oauth_token=OAUTH, page_size=3) as quay:
            quay.token_uses = 4
            dest = syncrun.SyncTarget(os.path.join(work, "dest"), vendoremu.provider_config(
                certs, [quay.host], cache_dir=os.path.join(work, "cache"),
                endpoints={"quay": {"registry": quay.url, "api": quay.url}}))
            dest.add_password_credential("quay", "org+bot", ROBOT_PW)
            token_path = os.path.join(work, "quay-oauth-token")
            with open(token_path, "w") as f:
                f.write(OAUTH + "\n")
            dest.credentials["quay"]["token_file"] = token_path
            dest.write_config()
            rule = vendoremu.vendor_rule("quay", REPO, "mirror/quay-app", name="quay-app",
                                         latest_n=3, credential="quay")
            res = dest.sync(rule, extra=["--verbose"]).expect(0)
            assert res.tags() == newest3, res.describe()
            assert set(res.actions().values()) == {"synced"}, res.describe()
            assert {t["timestamp_kind"] for t in res.report["tags"]} == {"pushed"}, res.describe()
            for n in newest3:
                assert res.entry(n)["timestamp_kind"] == "pushed", res.entry(n)
            assert quay.api_pages == 3, quay.api_pages
            assert quay.expired > 0, "no token expired: the re-authentication went untested"
            for secret in (ROBOT_PW, OAUTH):
                assert secret not in res.stdout + res.stderr, res.describe()
            basic = base64.b64encode(("org+bot:" + ROBOT_PW).encode()).decode()
            pw_at = set(quay.requests_containing(ROBOT_PW)) | set(quay.requests_containing(basic))
            assert pw_at and all(p == "/v2/auth" for _r, _m, p in pw_at), pw_at
            oauth_at = set(quay.requests_containing(OAUTH))
            assert oauth_at and all(p.startswith("/api/v1/") for _r, _m, p in oauth_at), oauth_at
            print("synced %s by start_ts through 3 pages; %d expired tokens renewed" % (
                newest3, quay.expired))
            again = dest.sync(rule).expect(0)
            assert set(again.actions().values()) == {"unchanged"}, again.describe()

        with dest.serve() as dreg:
            for n in newest3:
                checks.assert_pull_matches(sk, dreg, "mirror/quay-app", n, fixture[n],
                                           os.path.join(work, "pull", n))
        print("pulled back byte-exact")

        with vendoremu.Quay(upstream, certs, start_ts=start_ts, page_size=3) as down:
            down.fail_api = True
            dest2 = syncrun.SyncTarget(os.path.join(work, "dest2"), vendoremu.provider_config(
                certs, [down.host], cache_dir=os.path.join(work, "cache2"),
                endpoints={"quay": {"registry": down.url, "api": down.url}},
                extra={"timeout_seconds": 10}))
            rule2 = vendoremu.vendor_rule("quay", REPO, "mirror/quay-fallback",
                                          name="quay-down", latest_n=3)
            res2 = dest2.sync(rule2).expect(0)
            assert res2.tags() == NAMES[:3], res2.describe()
            assert any("created" in n and "Quay" in n for n in res2.report["notes"]), \
                res2.describe()
            assert {t["timestamp_kind"] for t in res2.report["tags"]} == {"created"}, res2.describe()
            print("Quay API 500: fell back to created order: %s" % res2.tags())
    print("quay OK")


if __name__ == "__main__":
    main()
