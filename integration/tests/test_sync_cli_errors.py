"""`tributary sync` input errors and an unreachable source.

Bad rules (latest_n 0 / over the limit, a regex that does not compile, a custom source
without a domain, a bad destination name, not JSON) exit 2 with the reason on stderr, a failed
report on stdout with --json, and write nothing in the storage root. An unreachable source
exits 1 and leaves the destination exactly as it was (same files, same tags/list). A loopback
source without allow_private_networks is refused by the configuration: exit 2, naming the key."""

import copy
import os

import harness
import images
import regclient
import syncrun


def files_only(root):
    return sorted(syncrun.tree_snapshot(root))


def main():
    work = harness.make_temp_dir("trib-sync-cli-errors-")
    img = images.make_image("cli/img", created="2024-01-01T00:00:00Z", layer_sizes=(1200,))

    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        images.push_artifact(sc, "upstream/app", img, ["v1"])
        good = syncrun.make_rule(src.host, "upstream/app", "mirror/app", name="cli-errors")

        # --- bad rules: exit 2, message on stderr, nothing written -------------------------
        fresh = syncrun.SyncTarget(os.path.join(work, "fresh"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache-fresh")))
        bad_rules = []
        r = copy.deepcopy(good)
        r["policy"]["latest_n"] = 0
        bad_rules.append(("latest_n 0", r, "latest_n"))
        r = copy.deepcopy(good)
        r["policy"]["latest_n"] = 31
        bad_rules.append(("latest_n 31", r, "latest_n"))
        r = copy.deepcopy(good)
        r["policy"]["tag_regex"] = "("
        bad_rules.append(("regex (", r, "regex"))
        r = copy.deepcopy(good)
        del r["source"]["domain"]
        bad_rules.append(("missing domain", r, "domain"))
        r = copy.deepcopy(good)
        r["destination"]["repository"] = "Mirror/UPPER"
        bad_rules.append(("bad destination", r, "repository"))
        r = copy.deepcopy(good)
        r["policy"]["platforms"] = ["linux"]
        bad_rules.append(("bad platform", r, "platform"))
        bad_rules.append(("not JSON", '{"name": "x", ', "JSON"))
        for what, rule, word in bad_rules:
            for dry in (True, False):
                res = fresh.sync(rule, dry_run=dry)
                res.expect(2)
                assert res.stderr.strip(), "%s: no message on stderr\n%s" % (what, res.describe())
                assert word.lower() in res.stderr.lower(), "%s: stderr does not name %r\n%s" % (
                    what, word, res.describe())
                # --json: a report even when the run could not happen.
                assert res.json is not None, "%s: no JSON report\n%s" % (what, res.describe())
                assert res.json["status"] == "failed", res.describe()
                assert res.json["dry_run"] is dry, res.describe()
                assert res.json["error"]["code"] == "RP_ERR_INVALID_ARGUMENT", res.describe()
                assert word.lower() in res.json["error"]["message"].lower(), res.describe()
                assert res.json["tags"] == [], res.describe()
                assert not files_only(fresh.root), "%s: wrote %s" % (what, files_only(fresh.root))
            print("bad rule rejected: %s -> %s" % (what, res.stderr.strip().splitlines()[-1]))
        # Missing flags and an unreadable config are bad input too.
        res = harness.run([syncrun.tributary_binary(), "sync", "--config", fresh.config_path],
                          check=False)
        assert res.returncode == 2 and b"--rule" in res.stderr, res
        res = harness.run([syncrun.tributary_binary(), "sync", "--config",
                           os.path.join(work, "absent.yml"), "--rule",
                           fresh.write_rule(good)], check=False)
        assert res.returncode == 2 and res.stderr.strip(), res
        assert not files_only(fresh.root)

        # --- unreachable source: exit 1, destination untouched ------------------------------
        dest = syncrun.SyncTarget(os.path.join(work, "dest"), syncrun.provider_config_for(
            [src], cache_dir=os.path.join(work, "cache")))
        dest.sync(good).expect(0)
        dead_port = harness.free_port()  # nothing listens there
        dead_host = "127.0.0.1:%d" % dead_port
        dest.provider_config["insecure_registries"].append(dead_host)
        dest.write_config()
        dead = copy.deepcopy(good)
        dead["source"]["domain"] = dead_host
        before = syncrun.tree_snapshot(dest.root)
        for dry in (True, False):
            res = dest.sync(dead, dry_run=dry)
            res.expect(1)
            text = res.stdout + res.stderr
            assert dead_host in text or "connect" in text.lower() or "refused" in text.lower(), \
                res.describe()
            assert res.json["status"] == "failed" and res.json["error"]["code"] == \
                "RP_ERR_UNAVAILABLE", res.describe()
        assert syncrun.tree_snapshot(dest.root) == before, "unreachable source changed the root"
        # The same with a fresh root: no repository appears.
        res = fresh.sync(dead)
        res.expect(1)
        assert not files_only(fresh.root), files_only(fresh.root)

        # --- address policy: loopback sources refused unless allowed (DESIGN §6) -----------
        for domain in (src.host, "localhost:%d" % src.port):
            strict = syncrun.SyncTarget(
                os.path.join(work, "strict-" + domain.split(":")[0]),
                {"insecure_registries": [domain]})  # allow_private_networks defaults to false
            refused = copy.deepcopy(good)
            refused["source"]["domain"] = domain
            for dry in (True, False):
                res = strict.sync(refused, dry_run=dry)
                res.expect(2)  # the configuration refuses this source: input, not the network
                assert "loopback" in res.stderr or "private" in res.stderr, res.describe()
                assert "replication.provider.config.allow_private_networks" in res.stderr, \
                    res.describe()
            assert not files_only(strict.root), files_only(strict.root)
        # Plain HTTP source not listed as insecure: TLS is attempted and fails; no downgrade.
        tls_only = syncrun.SyncTarget(os.path.join(work, "tls-only"),
                                      {"allow_private_networks": True})
        before_gets = src.count_requests("GET")
        res = tls_only.sync(good)
        res.expect(1)
        assert src.count_requests("GET") == before_gets, "plain HTTP was used without opt-in"
        assert not files_only(tls_only.root), files_only(tls_only.root)
        print("address policy and TLS-by-default enforced")

        with dest.serve() as dreg:
            dc = regclient.RegistryClient.for_registry(dreg)
            assert dc.tags("mirror/app") == ["v1"], dc.tags("mirror/app")
            assert syncrun.head_digest(dc, "mirror/app", "v1") == img.digest
    print("test_sync_cli_errors OK")


if __name__ == "__main__":
    main()
