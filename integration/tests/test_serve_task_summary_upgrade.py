"""A state database from before task summaries (state schema 2) lists with summaries after the
upgrade, on SQLite and on PostgreSQL (integration/lib/pgserver.py; skipped without Debian's
`postgresql`).

Real data: `tributary serve` runs real tasks against a docker-registry on loopback — a cold
sync (synced), a no-op (unchanged) and a failing one (its source repository is missing) — so
the stored reports are the provider's own. The database is then put back the way a schema-2
tributary leaves it (the `summary` column dropped, `schema_version` 2: exactly schema 2's
tables, with these rows), and the service started again: the migration summarises every stored
report, and each listed task (no `report`) carries the summary the task itself shows, derived
from its report."""

import os
import sqlite3

import harness
import images
import pgserver
import regclient
import servicerun
import syncrun

SRC_REPO = "upstream/upgrade"


def run_tasks(svc, src_host):
    good = syncrun.make_rule(src_host, SRC_REPO, "mirror/upgrade", name="good", latest_n=5)
    bad = syncrun.make_rule(src_host, "upstream/missing", "mirror/missing", name="bad",
                            latest_n=5)
    svc.ok("POST", "/api/v1/rules", good, expect=(201,))
    svc.ok("POST", "/api/v1/rules", bad, expect=(201,))
    for name in ("good", "good", "bad"):
        task = svc.wait_task(svc.ok("POST", "/api/v1/rules/%s/execute" % name)["id"])
        assert task["status"] in ("succeeded", "failed"), task


def check_lists(svc, expect_before=None):
    """Every listed task: no report, the summary its own answer shows, derived from its
    report. Returns {id: summary}."""
    listed = svc.ok("GET", "/api/v1/tasks?limit=1000")["tasks"]
    assert len(listed) == 3, listed
    summaries = {}
    for item in listed:
        assert "report" not in item, item
        detail = svc.ok("GET", "/api/v1/tasks/%d" % item["id"])
        assert item["summary"] == detail["summary"], (item, detail)
        report = detail["report"]
        summary = item["summary"]
        if report is not None:
            assert summary["counts"] == report["counts"], (summary, report)
            assert summary["bytes_fetched"] == report["totals"]["bytes"], (summary, report)
            assert summary["blobs_fetched"] == report["totals"]["blobs"], (summary, report)
            assert summary["blobs_reused"] == report["totals"]["blobs_reused"], (summary, report)
        if item["status"] == "failed":
            assert summary["error"], item
        summaries[item["id"]] = summary
    by_rule = {}
    for item in listed:
        by_rule.setdefault(item["rule"]["name"], []).append(item["summary"])
    noop, cold = by_rule["good"]
    assert cold["counts"]["synced"] == 3 and cold["bytes_fetched"] > 0, cold
    assert noop["counts"]["unchanged"] == 3 and noop["bytes_fetched"] == 0, noop
    assert "upstream/missing" in by_rule["bad"][0]["error"], by_rule["bad"]
    if expect_before is not None:
        assert summaries == expect_before, (summaries, expect_before)
    return summaries


def upgrade_case(work, src, label, state=None, extra=None, downgrade=None):
    svc = servicerun.Service(os.path.join(work, label), os.path.join(work, label + "-dest"),
                             provider_config=syncrun.provider_config_for([src]), state=state,
                             extra=extra)
    svc.start()
    run_tasks(svc, src.host)
    before = check_lists(svc)
    code, _ = svc.stop()
    assert code == 0, svc.log()
    downgrade(svc)
    svc.start()
    after = check_lists(svc, expect_before=before)
    code, _ = svc.stop()
    assert code == 0, svc.log()
    print("%s: %d tasks listed with summaries after the schema 2 -> 3 upgrade" % (label, len(after)))


def main():
    work = harness.make_temp_dir("trib-summary-upgrade-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        for i, tag in enumerate(("v1", "v2", "v3")):
            images.push_artifact(sc, SRC_REPO, images.make_image(
                "upgrade/%s" % tag, created="2024-01-0%dT00:00:00Z" % (i + 1)), [tag])

        def sqlite_downgrade(svc):
            db = sqlite3.connect(svc.state)
            assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() \
                == ("3",)
            db.execute("ALTER TABLE tasks DROP COLUMN summary")
            db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
            db.commit()
            db.close()

        upgrade_case(work, src, "sqlite", downgrade=sqlite_downgrade)

        if not pgserver.available():
            print("PostgreSQL server binaries not found in %s: PostgreSQL case skipped"
                  % pgserver.PG_BIN)
            print("ok")
            return
        with pgserver.PostgresServer(work) as pg:
            url = pg.create_database("upgrade")

            def pg_downgrade(svc):
                assert pg.query("upgrade", "SELECT value FROM meta "
                                "WHERE key = 'schema_version'") == [["3"]]
                pg.query("upgrade", "ALTER TABLE tasks DROP COLUMN summary")
                pg.query("upgrade", "UPDATE meta SET value = '2' WHERE key = 'schema_version'")

            upgrade_case(work, src, "postgresql", state=url,
                         extra={"state_passfile": pg.passfile}, downgrade=pg_downgrade)
    print("ok")


if __name__ == "__main__":
    main()
