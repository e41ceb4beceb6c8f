"""`tributary serve`'s admin API against real registries on loopback.

Rules CRUD through the provider's validate_rule (normalised; precise 400s naming the field,
PCRE2's message and offset for a bad regex; 409 on a duplicate name); the edition's rule quota
(403 naming edition and quota) and its override surviving a restart; bearer auth (401 without
or with a wrong token; /healthz open); 413 over the body limit; execute and join a running task;
the task's report, the destination's tags as served, the dry run, task paging (a listed task
carries its summary, not its report); /metrics passing
`promtool check metrics`; delete."""

import json
import os
import shutil
import subprocess

import faultproxy
import harness
import images
import regclient
import servicerun
import syncrun

SRC_REPO = "upstream/app"
DEST_REPO = "mirror/app"


def rule(domain, name="app", dest=DEST_REPO, **kw):
    r = syncrun.make_rule(domain, SRC_REPO, dest, name=name, latest_n=3, **kw)
    return r


def main():
    work = harness.make_temp_dir("trib-serve-api-")
    fixture = {
        "v1": images.make_image("serve/v1", created="2024-01-01T00:00:00Z"),
        "v2": images.make_image("serve/v2", created="2024-02-01T00:00:00Z"),
        "multi": images.make_multiarch("serve/multi", created="2024-03-01T00:00:00Z"),
    }
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src, \
            faultproxy.FaultProxy(src) as proxy:
        sc = regclient.RegistryClient.for_registry(src)
        for tag, art in fixture.items():
            images.push_artifact(sc, SRC_REPO, art, [tag])
        # The first blob GET stalls 3 s: the task is surely running when we execute again.
        proxy.add_fault("stall", path=r"/blobs/sha256:", nth=1, seconds=3)

        dest_root = os.path.join(work, "dest-root")
        svc = servicerun.Service(
            os.path.join(work, "svc"), dest_root,
            provider_config=syncrun.provider_config_for([src, proxy]),
            extra={"edition": "basic"}, admin_extra={"max_body_bytes": 4096})
        svc.start()

        # -- auth ---------------------------------------------------------------------------
        assert svc.api("GET", "/healthz", auth=False) == (200, {"status": "ok"})
        status, answer = svc.api("GET", "/api/v1/rules", auth=False)
        assert status == 401 and answer["code"] == "unauthenticated", (status, answer)
        status, answer = svc.api("GET", "/api/v1/rules", token="wrong-token-wrong-token")
        assert status == 401, (status, answer)
        status, _ = svc.api("GET", "/metrics", auth=False)
        assert status == 401, status

        # -- the admin page (no token: it asks for one) and the schedule preview ------------
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:%d/" % svc.port, timeout=10) as resp:
            assert resp.status == 200 and "text/html" in resp.headers["Content-Type"]
            assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        preview = svc.ok("GET", "/api/v1/schedule?update_period=6h&count=3")
        assert preview["update_period"] == "6h" and len(preview["next_runs"]) == 3, preview
        status, answer = svc.api("GET", "/api/v1/schedule?update_period=6x")
        assert status == 400 and answer["field"] == "update_period", (status, answer)

        # -- sources from the provider's info -------------------------------------------------
        sources = svc.ok("GET", "/api/v1/sources")
        types = {t["type"]: t for t in sources["source_types"]}
        assert set(types) >= {"dockerhub", "gcr", "quay", "custom"}, sources
        assert sources["quota"] == {"edition": "basic", "rule_quota": 10, "rules": 0}, sources

        # -- validation -----------------------------------------------------------------------
        status, answer = svc.api("POST", "/api/v1/rules", rule(proxy.host, tag_regex="v(1"))
        assert status == 400 and answer.get("field") == "policy.tag_regex", (status, answer)
        assert "offset" in answer["message"] and "parenthes" in answer["message"], answer
        bad = rule(proxy.host)
        bad["policy"]["latest_n"] = 99
        status, answer = svc.api("POST", "/api/v1/rules", bad)
        assert status == 400 and answer["field"] == "policy.latest_n", (status, answer)
        status, answer = svc.api("POST", "/api/v1/rules", raw=b"{not json")
        assert status == 400, (status, answer)

        # -- 413 ------------------------------------------------------------------------------
        big = rule(proxy.host)
        big["padding"] = "x" * 5000
        status, answer = svc.api("POST", "/api/v1/rules", big)
        assert status == 413 and answer["code"] == "too_large", (status, answer)

        # -- create, normalised; duplicate name -----------------------------------------------
        created = svc.ok("POST", "/api/v1/rules", rule(proxy.host), expect=(201,))
        rid = created["id"]
        assert created["name"] == "app" and created["rule"]["policy"]["latest_n"] == 3, created
        assert created["rule"]["source"]["domain"] == proxy.host, created
        status, answer = svc.api("POST", "/api/v1/rules", rule(proxy.host))
        assert status == 409 and answer["code"] == "conflict", (status, answer)
        other = svc.ok("POST", "/api/v1/rules", rule(proxy.host, name="other", dest="mirror/o"),
                       expect=(201,))
        status, answer = svc.api("PUT", "/api/v1/rules/%d" % other["id"],
                                 rule(proxy.host, name="app"))
        assert status == 409, (status, answer)
        updated = svc.ok("PUT", "/api/v1/rules/other",
                         rule(proxy.host, name="other", dest="mirror/o", tag_regex="v.*"))
        assert updated["rule"]["policy"]["tag_regex"] == "v.*", updated
        assert svc.ok("GET", "/api/v1/rules/%d" % rid)["name"] == "app"
        status, _ = svc.api("GET", "/api/v1/rules/999")
        assert status == 404

        # -- quota: basic = 10 rules ----------------------------------------------------------
        for i in range(8):
            svc.ok("POST", "/api/v1/rules", rule(proxy.host, name="q%d" % i, dest="q/r%d" % i),
                   expect=(201,))
        status, answer = svc.api("POST", "/api/v1/rules",
                                 rule(proxy.host, name="q-over", dest="q/over"))
        assert status == 403 and answer["code"] == "quota_exceeded", (status, answer)
        assert "basic" in answer["message"] and "10" in answer["message"], answer

        # -- execute, join the running task ---------------------------------------------------
        first = svc.api("POST", "/api/v1/rules/%d/execute" % rid)
        assert first[0] == 202 and first[1]["joined"] is False, first
        second = svc.api("POST", "/api/v1/rules/app/execute")
        assert second[0] == 200 and second[1]["joined"] is True, second
        assert second[1]["id"] == first[1]["id"], (first, second)
        task = svc.wait_task(first[1]["id"])
        assert task["status"] == "succeeded", task
        assert task["rule"] == {"id": rid, "name": "app"}, task
        assert task["trigger"] == "manual" and task["started_at"] and task["ended_at"], task
        assert task["progress"]["tags_done"] == 3, task
        assert {t["tag"] for t in task["report"]["tags"]} == set(fixture), task["report"]

        # -- the destination as stored ---------------------------------------------------------
        stored = svc.ok("GET", "/api/v1/repositories/%s/tags" % DEST_REPO)
        by_tag = {t["tag"]: t for t in stored["tags"]}
        assert set(by_tag) == set(fixture), stored
        for tag, art in fixture.items():
            assert by_tag[tag]["digest"] == art.digest, (tag, by_tag[tag], art.digest)
        assert len(by_tag["multi"]["platforms"]) == len(images.PLATFORMS), by_tag["multi"]
        assert by_tag["v1"]["platforms"] == ["linux/amd64"], by_tag["v1"]
        status, _ = svc.api("GET", "/api/v1/repositories/no/such/tags")
        assert status == 404
        status, answer = svc.api("GET", "/api/v1/repositories/Bad..Name/tags")
        assert status == 400, (status, answer)

        # -- dry run ---------------------------------------------------------------------------
        plan = svc.ok("POST", "/api/v1/rules/app/plan")
        assert {t["tag"] for t in plan["tags"]} == set(fixture), plan

        # -- tasks list and paging ------------------------------------------------------------
        svc.wait_task(svc.ok("POST", "/api/v1/rules/app/execute")["id"])
        page1 = svc.ok("GET", "/api/v1/tasks?rule=app&limit=1")
        assert len(page1["tasks"]) == 1 and page1["next_cursor"], page1
        page2 = svc.ok("GET", "/api/v1/tasks?rule=app&limit=1&cursor=" + page1["next_cursor"])
        assert len(page2["tasks"]) == 1 and page2["tasks"][0]["id"] < page1["tasks"][0]["id"]
        assert svc.ok("GET", "/api/v1/tasks?status=failed")["tasks"] == []

        # -- a list carries each task's summary, only the task itself its per-tag report -------
        listed = svc.ok("GET", "/api/v1/tasks?rule=app&limit=1000")["tasks"]
        assert len(listed) == 2, listed
        for item in listed:
            assert "report" not in item, item
            detail = svc.ok("GET", "/api/v1/tasks/%d" % item["id"])
            report = detail["report"]
            assert {t["tag"] for t in report["tags"]} == set(fixture), detail
            assert item["summary"] == detail["summary"], (item, detail)
            assert item["summary"] == {"counts": report["counts"],
                                       "bytes_fetched": report["totals"]["bytes"],
                                       "blobs_fetched": report["totals"]["blobs"],
                                       "blobs_reused": report["totals"]["blobs_reused"]}, item
            assert {k: v for k, v in item.items() if k != "summary"} == \
                {k: v for k, v in detail.items() if k not in ("summary", "report")}, (item, detail)
        cold, noop = listed[1]["summary"], listed[0]["summary"]
        assert cold["counts"]["synced"] == 3 and cold["bytes_fetched"] > 0, cold
        assert noop["counts"]["unchanged"] == 3 and noop["bytes_fetched"] == 0, noop
        status, answer = svc.api("GET", "/api/v1/tasks?status=bogus")
        assert status == 400 and answer["field"] == "status", answer

        # -- metrics ---------------------------------------------------------------------------
        status, text = svc.api("GET", "/metrics")
        assert status == 200, status
        assert 'tributary_tasks_total{rule="app",status="succeeded"} 2' in text, text
        assert "tributary_task_duration_seconds_count 2" in text, text
        assert 'tributary_last_success_timestamp_seconds{rule="app"}' in text, text
        promtool = shutil.which("promtool")
        if promtool is None:
            raise AssertionError("promtool missing: scripts/setup.sh installs `prometheus`")
        check = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                               capture_output=True)
        assert check.returncode == 0, (check.stdout, check.stderr, text)

        # -- delete ----------------------------------------------------------------------------
        deleted = svc.ok("DELETE", "/api/v1/rules/q0")
        assert deleted["deleted"] is True
        status, _ = svc.api("GET", "/api/v1/rules/q0")
        assert status == 404
        code, took = svc.stop()
        assert code == 0 and took < 10, (code, took, svc.log())

        # -- restart: rules and history kept; the quota override applies ----------------------
        cfg = json.load(open(svc.config_path))
        cfg["replication"]["rule_quota"] = 11
        harness.write_config(svc.config_path, cfg)
        svc.start()
        names = {r["name"] for r in svc.ok("GET", "/api/v1/rules")["rules"]}
        assert names == {"app", "other"} | {"q%d" % i for i in range(1, 8)}, names
        assert len(svc.ok("GET", "/api/v1/tasks?rule=app")["tasks"]) == 2
        svc.ok("POST", "/api/v1/rules", rule(proxy.host, name="q-a", dest="q/a"), expect=(201,))
        svc.ok("POST", "/api/v1/rules", rule(proxy.host, name="q-b", dest="q/b"), expect=(201,))
        status, answer = svc.api("POST", "/api/v1/rules", rule(proxy.host, name="q-c", dest="q/c"))
        assert status == 403 and "11" in answer["message"], (status, answer)
        code, took = svc.stop()
        assert code == 0, (code, svc.log())
    print("ok")


if __name__ == "__main__":
    main()
