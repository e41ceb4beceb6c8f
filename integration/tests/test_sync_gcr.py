"""GCR / Artifact Registry sources against vendoremu.Gcr (token realm /v2/token on the
registry's origin, tags/list with the Google `manifest` map, Link paging every 3 tags, HTTPS
with a test CA) in front of a real docker-registry, named through the provider config's
endpoints.gcr.registry (which replaces gcr.io):

(a) "newest" is timeUploadedMs: upload times differ from both config `created` and name order
    and exactly the newest 4 are chosen through 3+ pages; the plan shows gcr.timeUploadedMs;
(b) two tags on one digest: that manifest is fetched once;
(c) the `_json_key` credential (a service-account JSON) reaches only the token realm, never a
    registry request, stdout or stderr;
(d) everything pulled back with skopeo has the source's digests; a re-run is a no-op;
(e) an endpoint on loopback is refused unless allow_private_networks."""

import json
import os

import checks
import harness
import images
import regclient
import syncrun
import vendoremu

REPO = "proj/app"
NAMES = ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"]
CREATED = {n: "2024-02-%02dT00:00:00Z" % (20 - i) for i, n in enumerate(NAMES)}  # v1 newest
UPLOAD_ORDER = ["v4", "v7", "v2", "v6", "v1", "v8", "v3", "v5"]                   # newest first
UPLOADED = {n: 1740000000000 - i * 3600000 for i, n in enumerate(UPLOAD_ORDER)}
SA_KEY = json.dumps({"type": "service_account", "project_id": "proj",
                     "private_key_id": "k-7c1d", "client_email": "sync@proj.iam.gserviceaccount.com",
                     "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE-not-a-real-key\\n"})


def main():
    work = harness.make_temp_dir("trib-sync-gcr-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    certs = harness.make_ca_and_server_cert(os.path.join(work, "tls"))
    fixture = {n: images.make_image("gcr/" + n, created=CREATED[n], layer_sizes=(900, 300))
               for n in NAMES}
    fixture["v2"] = images.make_multiarch("gcr/v2-multi", created=CREATED["v2"],
                                          layer_sizes=(500,))
    newest4 = UPLOAD_ORDER[:4]
    # `latest` shares v4's digest (and so its upload time); ties break by name descending.
    want = ["v4", "latest", "v7", "v2"]

    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as upstream:
        sc = regclient.RegistryClient.for_registry(upstream)
        for n, art in fixture.items():
            images.push_artifact(sc, REPO, art, [n] + (["latest"] if n == "v4" else []))
        uploaded = {"%s:%s" % (REPO, n): ms for n, ms in UPLOADED.items()}
        uploaded["%s:latest" % REPO] = UPLOADED["v4"]
        with vendoremu.Gcr(upstream, certs, uploaded=uploaded, users={"_json_key": SA_KEY},
                           page_size=3) as gcr:
            dest = syncrun.SyncTarget(os.path.join(work, "dest"), vendoremu.provider_config(
                certs, [gcr.host], cache_dir=os.path.join(work, "cache"),
                endpoints={"gcr": {"registry": gcr.url}}))
            dest.add_password_credential("gcr", "_json_key", SA_KEY)
            rule = vendoremu.vendor_rule("gcr", REPO, "mirror/gcr-app", name="gcr-app",
                                         latest_n=4, credential="gcr")
            plan = dest.sync(rule, dry_run=True).expect(0)
            assert plan.tags() == want, plan.describe()
            for n in want:
                e = plan.entry(n)
                assert e["timestamp_kind"] == "uploaded", e
                assert e["action"] == "synced", e
            assert {t["timestamp_kind"] for t in plan.report["tags"]} == {"uploaded"}, plan.describe()
            pages = [r for r in gcr.requests if "/tags/list" in r["path"] and
                     r["headers"].get("authorization")]
            assert len(pages) >= 3, [r["path"] for r in pages]
            print("plan: newest 4 by timeUploadedMs through %d pages: %s" % (len(pages), want))

            gets_before = list(gcr.manifest_gets)
            res = dest.sync(rule, extra=["--verbose"]).expect(0)
            assert res.tags() == want and set(res.actions().values()) == {"synced"}, \
                res.describe()
            v4 = fixture["v4"].digest
            run_gets = gcr.manifest_gets[len(gets_before):]
            assert run_gets.count(v4) + run_gets.count("v4") + run_gets.count("latest") == 1, \
                run_gets
            again = dest.sync(rule).expect(0)
            assert set(again.actions().values()) == {"unchanged"}, again.describe()

            for r in (plan, res, again):
                assert SA_KEY not in r.stdout + r.stderr and "MIIE-not-a-real-key" not in \
                    r.stdout + r.stderr, r.describe()
            import base64
            basic = base64.b64encode(("_json_key:" + SA_KEY).encode()).decode()
            where = set(gcr.requests_containing("MIIE-not-a-real-key")) | \
                set(gcr.requests_containing(basic))
            assert where and all(p == "/v2/token" for _r, _m, p in where), where
            print("synced %s; v4/latest manifest fetched once; the key went only to %s" % (
                want, sorted(where)))

            # An endpoint on loopback still obeys allow_private_networks.
            closed = syncrun.SyncTarget(os.path.join(work, "dest-closed"),
                                        vendoremu.provider_config(
                                            certs, [gcr.host],
                                            endpoints={"gcr": {"registry": gcr.url}},
                                            extra={"allow_private_networks": False}))
            closed.add_password_credential("gcr", "_json_key", SA_KEY)
            refused = closed.sync(rule)
            assert refused.code == 2, refused.describe()  # a source the config refuses
            assert "loopback" in refused.stdout + refused.stderr, refused.describe()
            assert not any("_manifests/tags" in p for p in syncrun.tree_snapshot(closed.root))
            print("loopback endpoint refused without allow_private_networks")

        with dest.serve() as dreg:
            for n in want:
                art = fixture["v4"] if n == "latest" else fixture[n]
                checks.assert_pull_matches(sk, dreg, "mirror/gcr-app", n, art,
                                           os.path.join(work, "pull", n))
        print("pulled back byte-exact")
    print("gcr OK")


if __name__ == "__main__":
    main()
