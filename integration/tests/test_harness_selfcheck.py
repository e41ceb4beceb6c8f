"""The harness against itself: images pushed over HTTP come back byte-exact through skopeo,
GC keeps them, TLS + htpasswd work, and docker-registry accepts the token server's JWTs."""

import os

import checks
import harness
import images
import regclient
import tokenserver


def plain_registry(work):
    fx = images.Fixture.standard(seed="selfcheck")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    with harness.Registry(os.path.join(work, "root"), workdir=os.path.join(work, "reg")) as reg:
        c = regclient.RegistryClient.for_registry(reg)
        fx.push(c)
        assert sorted(c.catalog()) == fx.repos(), c.catalog()
        for repo in fx.repos():
            assert sorted(c.tags(repo)) == fx.tags(repo), (repo, c.tags(repo))
            layout = os.path.join(work, "oci", repo.replace("/", "_"))
            for tag in fx.tags(repo):
                art = fx.artifact(repo, tag)
                checks.assert_pull_matches(sk, reg, repo, tag, art,
                                           os.path.join(work, "pull", repo, tag))
                if art.media_type != images.MT_DOCKER_LIST:
                    checks.assert_oci_layout_matches(sk, reg, repo, tag, art, layout)
        raw = sk.inspect_raw("docker://%s/fixture/multi:index" % reg.host, registry=reg)
        assert raw == fx.artifact("fixture/multi", "index").manifest
        # Attestation children are ordinary manifests of the repo.
        idx = fx.artifact("fixture/multi", "index")
        assert len(idx.children) == 6 and len(idx.platform_children()) == 3
        for child in idx.children:
            res = c.get_manifest("fixture/multi", child.digest)
            assert res.status == 200 and res.body == child.manifest, (child.digest, res)
        # Access log counts requests by method and path.
        assert reg.count_requests("PUT", r"^/v2/fixture/app/manifests/") == 5
        assert not reg.server_errors(), reg.server_errors()
        eligible, out = harness.garbage_collect(reg.config_path, dry_run=True)
        assert not eligible, out
        # An untagged upload is GC-eligible: the parser sees the lines.
        orphan = images.make_layer("selfcheck-orphan", 300)
        c.push_blob("fixture/app", orphan.data, orphan.digest)
        eligible, out = harness.garbage_collect(reg.config_path, dry_run=True)
        assert eligible == {orphan.digest}, out
    print("plain registry OK")


def tls_htpasswd_registry(work):
    certs = harness.make_ca_and_server_cert(os.path.join(work, "tls"))
    htpasswd = harness.make_htpasswd(os.path.join(work, "htpasswd"), {"bob": "s3cret"})
    sk = harness.Skopeo(os.path.join(work, "skopeo-tls"))
    with harness.Registry(os.path.join(work, "root-tls"), workdir=os.path.join(work, "reg-tls"),
                          tls=certs, htpasswd=htpasswd) as reg:
        assert reg.url.startswith("https://127.0.0.1:")
        anon = regclient.RegistryClient.for_registry(reg)
        assert anon.ping().status == 401
        c = regclient.RegistryClient.for_registry(reg, "bob", "s3cret")
        img = images.make_image("selfcheck-tls", layer_sizes=(700,))
        images.push_artifact(c, "secure/img", img, ["v1"])
        checks.assert_pull_matches(sk, reg, "secure/img", "v1", img,
                                   os.path.join(work, "pull-tls"), creds=("bob", "s3cret"))
    print("TLS + htpasswd registry OK")


def main():
    work = harness.make_temp_dir("trib-selfcheck-")
    plain_registry(work)
    tls_htpasswd_registry(work)
    tokenserver.self_check()


if __name__ == "__main__":
    main()
