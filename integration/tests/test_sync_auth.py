"""Source authentication and TLS:

(a) HTTPS with a CA generated at test time (provider config ca_files) and htpasswd Basic auth
    (replication.credentials with password_file) -> synced, byte-exact. Without the CA -> the
    tag fails with a TLS/certificate error. A wrong password -> failed. No password (right or
    wrong) ever appears in stdout/stderr, in JSON, human or verbose output.
(b) Bearer token flow: a docker-registry with `auth: token` and tokenserver.py (the root was
    seeded without auth, then served with token auth) -> synced; the token server saw the
    plugin's requests for the credential's user."""

import os

import checks
import harness
import images
import regclient
import syncrun
import tokenserver

PASSWORD = "Sup3r-s3cret-pw!"
WRONG = "wrong-Passw0rd-xyz"


def assert_no_secrets(res, *secrets):
    text = res.stdout + res.stderr
    for s in secrets:
        assert s not in text, "a password was echoed:\n" + res.describe()


def tls_basic(work, sk):
    certs = harness.make_ca_and_server_cert(os.path.join(work, "tls"))
    htpasswd = harness.make_htpasswd(os.path.join(work, "htpasswd"), {"alice": PASSWORD})
    img = images.make_image("auth/tls", created="2024-01-01T00:00:00Z", layer_sizes=(1800, 600))
    idx = images.make_multiarch("auth/tls-idx", oci=True, attestations=True,
                                created="2024-02-01T00:00:00Z")
    with harness.Registry(os.path.join(work, "src-tls-root"),
                          workdir=os.path.join(work, "src-tls-reg"), tls=certs,
                          htpasswd=htpasswd) as src:
        sc = regclient.RegistryClient.for_registry(src, "alice", PASSWORD)
        images.push_artifact(sc, "secure/app", img, ["v1"])
        images.push_artifact(sc, "secure/app", idx, ["multi"])
        rule = syncrun.make_rule(src.host, "secure/app", "mirror/secure", name="tls-basic",
                                 credential="upstream")

        # Right CA, right password.
        dest = syncrun.SyncTarget(os.path.join(work, "dest-tls"), syncrun.provider_config_for(
            [], tls_sources=[src], cache_dir=os.path.join(work, "cache-tls")))
        assert dest.provider_config["ca_files"] == {src.host: certs.ca_cert}
        dest.add_password_credential("upstream", "alice", PASSWORD)
        plan = dest.sync(rule, dry_run=True).expect(0)
        assert_no_secrets(plan, PASSWORD)
        res = dest.sync(rule, extra=["--verbose"]).expect(0)
        assert_no_secrets(res, PASSWORD)
        assert res.report["status"] == "succeeded", res.describe()
        assert res.actions() == {"v1": "synced", "multi": "synced"}, res.describe()
        again = dest.sync(rule, as_json=False, extra=["--verbose"]).expect(0)
        assert_no_secrets(again, PASSWORD)
        assert src.count_requests(status=401) > 0  # the plugin really went through auth
        with dest.serve() as dreg:
            checks.assert_pull_matches(sk, dreg, "mirror/secure", "v1", img,
                                       os.path.join(work, "pull-tls", "v1"))
            checks.assert_pull_matches(sk, dreg, "mirror/secure", "multi", idx,
                                       os.path.join(work, "pull-tls", "multi"))
        print("TLS + Basic: synced")

        # No CA: TLS verification fails; nothing written.
        no_ca = syncrun.SyncTarget(os.path.join(work, "dest-noca"), syncrun.provider_config_for(
            [], cache_dir=os.path.join(work, "cache-noca")))
        no_ca.add_password_credential("upstream", "alice", PASSWORD)
        res = no_ca.sync(rule)
        res.expect(1)
        assert_no_secrets(res, PASSWORD)
        text = (res.stdout + res.stderr).lower()
        assert any(w in text for w in ("certificate", "tls", "ssl", "verif")), res.describe()
        if res.json is not None:
            assert res.json["status"] == "failed", res.describe()
        assert not any(p.endswith("/link") and "_manifests/tags" in p
                       for p in syncrun.tree_snapshot(no_ca.root)), "a tag was written"
        print("no CA: failed with a TLS error: " + res.stderr.strip().splitlines()[-1])

        # Wrong password: failed, neither password echoed.
        bad = syncrun.SyncTarget(os.path.join(work, "dest-badpw"), syncrun.provider_config_for(
            [], tls_sources=[src], cache_dir=os.path.join(work, "cache-badpw")))
        bad.add_password_credential("upstream", "alice", WRONG)
        for extra in ([], ["--verbose"]):
            res = bad.sync(rule, extra=extra)
            res.expect(1)
            assert_no_secrets(res, WRONG, PASSWORD)
            text = (res.stdout + res.stderr).lower()
            assert any(w in text for w in ("401", "unauthori", "denied", "credential",
                                           "authentic")), res.describe()
        res = bad.sync(rule, as_json=False)
        res.expect(1)
        assert_no_secrets(res, WRONG, PASSWORD)
        # The error says which credential was refused (by its name and username).
        assert "credential `upstream` from replication.credentials, username `alice`" in \
            res.stderr, res.describe()
        print("wrong password: failed, no password echoed: " +
              res.stderr.strip().splitlines()[-1])
        assert not src.server_errors(), src.server_errors()


def bearer(work, sk):
    img = images.make_image("auth/token", created="2024-03-01T00:00:00Z", layer_sizes=(1500,))
    lst = images.make_multiarch("auth/token-list", oci=False, created="2024-03-02T00:00:00Z")
    root = os.path.join(work, "src-token-root")
    with harness.Registry(root, workdir=os.path.join(work, "src-seed-reg")) as seed:
        c = regclient.RegistryClient.for_registry(seed)
        images.push_artifact(c, "private/app", img, ["v1"])
        images.push_artifact(c, "private/app", lst, ["multi"])
    with tokenserver.TokenServer(os.path.join(work, "ts"), users={"bob": PASSWORD},
                                 anonymous=False) as ts:
        with harness.Registry(root, workdir=os.path.join(work, "src-token-reg"),
                              token=ts.registry_auth()) as src:
            anon = regclient.RegistryClient.for_registry(src)
            assert anon.request("GET", "/v2/private/app/tags/list", auth=False).status == 401
            rule = syncrun.make_rule(src.host, "private/app", "mirror/private", name="bearer",
                                     credential="tokencred")
            # The realm is plain http on its own port: credentials go there only because
            # it is listed as insecure too (issue #7).
            token_host = "127.0.0.1:%d" % ts.port
            cfg = syncrun.provider_config_for([src], cache_dir=os.path.join(work, "cache-token"))
            cfg["insecure_registries"].append(token_host)
            dest = syncrun.SyncTarget(os.path.join(work, "dest-token"), cfg)
            dest.add_password_credential("tokencred", "bob", PASSWORD)
            before = ts.count("bob")
            res = dest.sync(rule, extra=["--verbose"]).expect(0)
            assert_no_secrets(res, PASSWORD)
            assert res.actions() == {"v1": "synced", "multi": "synced"}, res.describe()
            assert ts.count("bob") > before, ts.requests
            scopes = [s for r in ts.requests if r["user"] == "bob" for s in r["scopes"]]
            assert any(s.startswith("repository:private/app:") and "pull" in s
                       for s in scopes), scopes
            assert src.count_requests(status=401) > 0
            with dest.serve() as dreg:
                checks.assert_pull_matches(sk, dreg, "mirror/private", "v1", img,
                                           os.path.join(work, "pull-token", "v1"))
                checks.assert_pull_matches(sk, dreg, "mirror/private", "multi", lst,
                                           os.path.join(work, "pull-token", "multi"))
            # Wrong password at the token server: failed.
            bad_cfg = syncrun.provider_config_for([src], cache_dir=os.path.join(work, "cache-tb"))
            bad_cfg["insecure_registries"].append(token_host)
            bad = syncrun.SyncTarget(os.path.join(work, "dest-token-bad"), bad_cfg)
            bad.add_password_credential("tokencred", "bob", WRONG)
            res = bad.sync(rule)
            res.expect(1)
            assert_no_secrets(res, WRONG, PASSWORD)
            assert not src.server_errors(), src.server_errors()
    print("Bearer token flow: synced (%d token requests)" % len(ts.requests))


def main():
    work = harness.make_temp_dir("trib-sync-auth-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    tls_basic(work, sk)
    bearer(work, sk)
    print("test_sync_auth OK")


if __name__ == "__main__":
    main()
