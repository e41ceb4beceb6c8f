"""A fleet of `tributary serve` sidecars sharing one PostgreSQL database (a throwaway cluster,
integration/lib/pgserver.py) and one registry storage:

- three sidecars started at once on a new database migrate it once (schema_version current,
  every one up, no error);
- two sidecars run a scheduled rule exactly once per period over many periods (tasks counted
  in the database: no more than the periods, never two at once);
- Execute on sidecar B while A runs the rule answers A's task (joined), and B's API shows
  A's progress;
- cancel through B stops the task running on A;
- kill -9 of the sidecar holding a rule's lease: B joins the orphaned task until the lease
  expires, then records it failed and, as it was a manual Execute, runs the rule again at once;
- PostgreSQL restarts under B: the first request after the restart is answered (the closed
  connection is noticed and reopened before the statement) and an Execute succeeds; under
  ASan, B's exit also shows the reconnect leaked nothing (Poco's own reconnect leaked the
  broken libpq connection, memory and socket).

A fault proxy in front of the source stalls blob downloads so a run lasts as long as needed.
Leases are short here (replication.lease: ttl 3 s, renew 1 s) and intervals 60x faster
(replication.test_hooks.interval_divisor: `1m` fires every second)."""

import os
import socket
import time

import faultproxy
import harness
import images
import pgserver
import regclient
import servicerun
import syncrun

SRC_REPO = "upstream/fleet"
SLOW_REPO = "upstream/slow"  # other blobs: nothing to reuse from the scheduled rule's copy
LEASE = {"ttl_seconds": 3, "renew_seconds": 1}


def rule(domain, name, dest, period="manual", repo=SRC_REPO):
    r = syncrun.make_rule(domain, repo, dest, name=name, latest_n=1, tag_regex="v1",
                          overwrite=True)
    r["update_period"] = period
    return r


def sidecar(work, name, storage_root, pg, database, provider_config, extra=None):
    settings = {"state_passfile": pg.passfile, "lease": LEASE, "workers": 2,
                "test_hooks": {"interval_divisor": 60}}
    settings.update(extra or {})
    return servicerun.Service(os.path.join(work, name), storage_root,
                              provider_config=provider_config, state=pg.url(database),
                              extra=settings)


def sidecar_id(svc):
    return "%s:%d" % (socket.gethostname(), svc.port)


def no_errors(svc):
    log = svc.log()
    assert " error" not in log.lower() and "internal" not in log.lower(), log


def main():
    work = harness.make_temp_dir("trib-serve-fleet-")
    storage_root = os.path.join(work, "dest-root")
    with pgserver.PostgresServer(work) as pg, \
            harness.Registry(os.path.join(work, "src-root"),
                             workdir=os.path.join(work, "src-reg")) as src, \
            faultproxy.FaultProxy(src) as proxy:
        sc = regclient.RegistryClient.for_registry(src)
        image = images.make_image("fleet/v1", created="2024-01-01T00:00:00Z")
        images.push_artifact(sc, SRC_REPO, image, ["v1"])
        slow_image = images.make_image("fleet/slow", created="2024-01-01T00:00:00Z")
        images.push_artifact(sc, SLOW_REPO, slow_image, ["v1"])
        provider_config = syncrun.provider_config_for([src, proxy])
        provider_config["timeout_seconds"] = 2  # a stalled read ends soon after a cancel

        # -- three sidecars start at once on a new database: one migration -------------------
        pg.create_database("migrate3")
        trio = [sidecar(work, "m%d" % i, storage_root, pg, "migrate3", provider_config)
                for i in range(3)]
        for svc in trio:
            svc.start(expect_ready=False)
        for svc in trio:
            svc.wait_ready()
        assert pg.query("migrate3", "SELECT value FROM meta WHERE key = 'schema_version'") == \
            [["3"]]
        assert pg.query("migrate3", "SELECT count(*) FROM leases") == [["0"]]
        # A second migration would have failed in the server ("relation ... already exists").
        assert "ERROR:" not in pg.log(), pg.log()
        for svc in trio:
            assert svc.stop()[0] == 0
            no_errors(svc)
        print("three concurrent starts: schema_version 3, no error", flush=True)

        # -- two sidecars, one database ------------------------------------------------------
        pg.create_database("fleet")
        a = sidecar(work, "a", storage_root, pg, "fleet", provider_config).start()
        b = sidecar(work, "b", storage_root, pg, "fleet", provider_config).start()

        # A scheduled rule made on A runs once per period across both (1m = 1 s here).
        started = time.time()
        a.ok("POST", "/api/v1/rules", rule(proxy.host, "tick", "mirror/tick", "1m"),
             expect=(201,))
        time.sleep(10)
        b.ok("PUT", "/api/v1/rules/tick", rule(proxy.host, "tick", "mirror/tick", "manual"))
        stopped = time.time()
        # A run in flight ends (polled: on a loaded machine one can take more than a second).
        deadline = time.time() + 30
        while time.time() < deadline and pg.query(
                "fleet", "SELECT count(*) FROM tasks WHERE rule_name = 'tick' "
                         "AND status IN ('queued', 'running')") != [["0"]]:
            time.sleep(0.2)
        rows = pg.query("fleet", "SELECT id, owner, trigger, status, started_at, ended_at "
                                 "FROM tasks WHERE rule_name = 'tick' ORDER BY id")
        periods = stopped - started
        owners = {}
        for _id, owner, trigger, status, _s, _e in rows:
            owners[owner] = owners.get(owner, 0) + 1
            assert trigger == "scheduled" and status == "succeeded", rows
        print("scheduled: %d tasks over %.1f periods, by sidecar %s" % (len(rows), periods, owners),
              flush=True)
        # The property is the upper bound (two sidecars firing each period would double it);
        # the lower one only says the schedule ran, loosely, as a loaded machine delays runs.
        assert periods * 0.4 <= len(rows) <= periods + 1, (len(rows), periods, rows,
                                                           a.log(), b.log())
        spans = sorted((int(r[4]), int(r[5])) for r in rows)
        for (s1, e1), (s2, _e2) in zip(spans, spans[1:]):
            assert s2 >= e1, ("two runs of one rule at once", spans)
        assert set(owners) <= {sidecar_id(a), sidecar_id(b)}, owners

        # -- Execute on B while A runs: B answers A's task ----------------------------------
        b.ok("POST", "/api/v1/rules", rule(proxy.host, "slow", "mirror/slow", repo=SLOW_REPO), expect=(201,))
        proxy.add_fault("stall", path=r"/blobs/sha256:", nth=None, seconds=60)
        running = a.ok("POST", "/api/v1/rules/slow/execute", expect=(202,))
        a.wait_task(running["id"], timeout=20, until=("running",))
        status, joined = b.api("POST", "/api/v1/rules/slow/execute")
        assert status == 200 and joined.get("joined") is True, (status, joined)
        assert joined["id"] == running["id"] and joined["sidecar"] == sidecar_id(a), joined
        seen = b.ok("GET", "/api/v1/tasks/%d" % running["id"])
        assert seen["status"] == "running" and seen["sidecar"] == sidecar_id(a), seen

        # -- cancel through B: A stops it --------------------------------------------------------
        t0 = time.time()
        status, answer = b.api("POST", "/api/v1/tasks/%d/cancel" % running["id"])
        assert status == 202 and answer["status"] == "running", (status, answer)
        ended = b.wait_task(running["id"], timeout=15, until=("cancelled",))
        assert ended["reason"] == "cancelled by request", ended
        print("cancel through B ended A's task in %.1f s" % (time.time() - t0), flush=True)
        assert a.ok("GET", "/api/v1/tasks/%d" % running["id"])["status"] == "cancelled"

        # -- kill -9 of the lease holder: B takes the rule over after the expiry -------------
        victim = a.ok("POST", "/api/v1/rules/slow/execute", expect=(202,))
        a.wait_task(victim["id"], timeout=20, until=("running",))
        a_id = sidecar_id(a)
        a.kill()
        killed = time.time()
        status, joined = b.api("POST", "/api/v1/rules/slow/execute")
        assert status == 200 and joined["id"] == victim["id"], (status, joined)  # still leased
        proxy.clear_faults()
        proxy.release_stalls()
        failed = b.wait_task(victim["id"], timeout=15, until=("failed",))
        took = time.time() - killed
        assert failed["reason"] == "interrupted: sidecar `%s` stopped renewing its lease" % a_id, \
            failed
        assert took >= LEASE["ttl_seconds"] - 1.5, ("taken over before the lease expired", took)
        rerun = None
        deadline = time.time() + 15
        while rerun is None and time.time() < deadline:
            newer = [t for t in b.ok("GET", "/api/v1/tasks?rule=slow&limit=10")["tasks"]
                     if t["id"] > victim["id"]]
            rerun = newer[0] if newer else None
            time.sleep(0.1)
        assert rerun is not None, b.log()
        assert rerun["trigger"] == "manual" and rerun["sidecar"] == sidecar_id(b), rerun
        done = b.wait_task(rerun["id"], timeout=30)
        assert done["status"] == "succeeded", done
        print("kill -9 of the holder: task failed after %.1f s, rerun on B succeeded" % took,
              flush=True)
        tags = {x["tag"]: x["digest"] for x in
                b.ok("GET", "/api/v1/repositories/mirror/slow/tags")["tags"]}
        assert tags == {"v1": slow_image.digest}, tags

        no_errors(b)

        # -- the database restarts under a running sidecar -----------------------------------
        pg.restart()  # returns once the new server accepts connections
        # The closed connection is noticed before the next statement and reopened: the first
        # request after the restart is answered, not failed.
        status, answer = b.api("GET", "/api/v1/rules")
        assert status == 200, (status, answer, b.log())
        done = b.wait_task(b.ok("POST", "/api/v1/rules/slow/execute")["id"], timeout=30)
        assert done["status"] == "succeeded", (done, b.log())
        assert b.proc.poll() is None
        print("database restart: the next request answered, then an Execute succeeded",
              flush=True)

        assert b.stop()[0] == 0
    print("OK")


if __name__ == "__main__":
    main()
