"""A bad config stops `tributary serve` with exit 2 naming the key. The CLI over its API drives the same flow as the API: rules create / list /
show / update / delete from files, plan, execute --wait (exit codes as `tributary sync`),
tasks, task, cancel; --json everywhere; address and token from the config file or flags; a
wrong token or a bad rule exits 2, an unreachable service 1."""

import json
import os

import harness
import images
import regclient
import servicerun
import syncrun

SRC_REPO = "upstream/cli"


def bad_configs(work):
    """A bad config stops `tributary serve` at once with exit 2 and the key named."""
    cases = [({"workers": 0}, "replication.workers must be 1..64"),
             ({"edition": "gold"}, "replication.edition must be basic, standard or premium"),
             ({"timezone": "Mars/Olympus"}, "replication.timezone"),
             ({"admin": {"token_file": "/nonexistent/token"}}, "replication.admin.token_file")]
    for i, (extra, expected) in enumerate(cases):
        svc = servicerun.Service(os.path.join(work, "bad%d" % i), os.path.join(work, "bad-root"),
                                 extra=extra)
        if "admin" in extra:
            cfg = json.load(open(svc.config_path))
            cfg["replication"]["admin"]["token_file"] = extra["admin"]["token_file"]
            harness.write_config(svc.config_path, cfg)
        res = harness.run([syncrun.tributary_binary(), "serve", "--config", svc.config_path],
                          check=False, timeout=30)
        assert res.returncode == 2, (extra, res.returncode, res.stderr)
        assert expected in res.stderr.decode(), (extra, res.stderr)


def main():
    work = harness.make_temp_dir("trib-serve-cli-")
    bad_configs(work)
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        img = images.make_image("cli/v1")
        images.push_artifact(sc, SRC_REPO, img, ["v1", "v2"])
        svc = servicerun.Service(os.path.join(work, "svc"), os.path.join(work, "dest"),
                                 provider_config=syncrun.provider_config_for([src]))
        svc.start()

        rule = syncrun.make_rule(src.host, SRC_REPO, "mirror/cli", name="cli-rule", latest_n=2)
        rule_file = os.path.join(work, "rule.json")
        json.dump(rule, open(rule_file, "w"))

        res = svc.cli("rules", "create", "-f", rule_file).expect(0)
        assert "created rule 1 `cli-rule`" in res.stdout, res.describe()
        res = svc.cli("rules", "create", "-f", rule_file)
        res.expect(2)
        assert "already exists" in res.stderr and "HTTP 409" in res.stderr, res.describe()
        bad = dict(rule, name="bad", policy={"tag_regex": "(", "latest_n": 2})
        json.dump(bad, open(os.path.join(work, "bad.json"), "w"))
        res = svc.cli("rules", "create", "-f", os.path.join(work, "bad.json")).expect(2)
        assert "policy.tag_regex" in res.stderr, res.describe()

        res = svc.cli("rules", "list").expect(0)
        assert "cli-rule" in res.stdout and "mirror/cli" in res.stdout, res.describe()
        listed = svc.cli("rules", "list", "--json").expect(0).json
        assert [r["name"] for r in listed["rules"]] == ["cli-rule"], listed
        shown = svc.cli("rules", "show", "cli-rule", "--json").expect(0).json
        assert shown["rule"]["destination"]["repository"] == "mirror/cli", shown

        res = svc.cli("plan", "cli-rule").expect(0)
        assert "v1" in res.stdout and "v2" in res.stdout, res.describe()

        res = svc.cli("execute", "cli-rule", "--wait").expect(0)
        assert "succeeded" in res.stdout, res.describe()
        done = svc.cli("execute", "1", "--wait", "--json").expect(0).json
        assert done["status"] == "succeeded" and done["id"] == 2, done
        assert {t["action"] for t in done["report"]["tags"]} == {"unchanged"}, done

        tasks = svc.cli("tasks", "--rule", "cli-rule", "--json").expect(0).json
        assert [t["id"] for t in tasks["tasks"]] == [2, 1], tasks
        listed = {t["id"]: t for t in tasks["tasks"]}
        assert all("report" not in t for t in listed.values()), tasks
        assert listed[1]["summary"]["counts"]["synced"] == 2, listed[1]
        res = svc.cli("tasks").expect(0)
        assert "cli-rule" in res.stdout and "succeeded" in res.stdout, res.describe()
        # One line per task with its summary, not the per-tag rows.
        lines = {line.split()[0]: line for line in res.stdout.splitlines()[1:]}
        assert "2 synced; " in lines["1"] and "2 unchanged; 0 B in 0 blobs" in lines["2"], \
            res.describe()
        assert "v1" not in res.stdout, res.describe()
        res = svc.cli("task", "1").expect(0)
        assert "task 1" in res.stdout and "succeeded" in res.stdout, res.describe()
        assert "v1" in res.stdout and "v2" in res.stdout, res.describe()  # the per-tag report
        res = svc.cli("cancel", "1").expect(2)
        assert "already ended" in res.stderr, res.describe()
        svc.cli("task", "99").expect(2)

        # Flags override the config; a wrong token is bad input.
        wrong = os.path.join(work, "wrong.token")
        open(wrong, "w").write("not-the-right-token-at-all\n")
        res = svc.cli("rules", "list", "--token-file", wrong).expect(2)
        assert "HTTP 401" in res.stderr, res.describe()
        res = svc.cli("rules", "list", "--addr", "127.0.0.1:%d" % harness.free_port())
        res.expect(1)
        assert "cannot reach" in res.stderr, res.describe()

        # Update: the rule source is unreadable -> the task fails -> exit 1.
        broken = dict(rule, source={"type": "custom", "domain": src.host,
                                    "repository": "upstream/missing"})
        json.dump(broken, open(rule_file, "w"))
        svc.cli("rules", "update", "cli-rule", "-f", rule_file).expect(0)
        res = svc.cli("execute", "cli-rule", "--wait")
        res.expect(1)
        assert "failed" in res.stdout, res.describe()

        res = svc.cli("rules", "delete", "cli-rule").expect(0)
        assert "deleted rule 1" in res.stdout, res.describe()
        assert svc.cli("rules", "list", "--json").expect(0).json["rules"] == []
        code, _ = svc.stop()
        assert code == 0

        # The same API over HTTPS (replication.admin.tls); the CLI verifies the server's
        # certificate against --ca-file.
        certs = harness.make_ca_and_server_cert(os.path.join(work, "certs"))
        tls_svc = servicerun.Service(os.path.join(work, "svc-tls"), os.path.join(work, "dest"),
                                     provider_config=syncrun.provider_config_for([src]),
                                     tls=certs)
        tls_svc.start()
        assert tls_svc.api("GET", "/healthz", auth=False)[0] == 200
        res = tls_svc.cli("rules", "create", "-f", rule_file, "--ca-file", certs.ca_cert)
        res.expect(0)
        res = tls_svc.cli("rules", "list", "--json", "--ca-file", certs.ca_cert).expect(0)
        assert [r["name"] for r in res.json["rules"]] == ["cli-rule"], res.describe()
        other_ca = harness.make_ca_and_server_cert(os.path.join(work, "other-certs"))
        res = tls_svc.cli("rules", "list", "--ca-file", other_ca.ca_cert)
        res.expect(1)
        assert "cannot reach" in res.stderr, res.describe()
        code, _ = tls_svc.stop()
        assert code == 0
    print("ok")


if __name__ == "__main__":
    main()
