#!/usr/bin/env python3
"""Memory of `tributary serve` answering task lists: VmRSS before and after `--clients`
concurrent `GET /api/v1/tasks?limit=1000` with `--tasks` tasks stored.

Not a test: run by hand (see RESULTS.md, "Task lists"). RELIABILITY.md's soak found six such
requests taking the service from 26 to 255 MiB when every listed task carried its report.

The stored tasks are real: the service runs one real task (a rule over a source repository of
`--tags` tags with latest_n 10, so its report has 10 selected and `--tags`-10 beyond_latest_n
rows, like a busy repository's); the service is stopped and that task's row is copied into
`--tasks` rows in the SQLite state database (every column as written; the schema is whatever
the binary under test created, so an older binary can be measured with the same script);
then the service is started again on it and measured: VmRSS when idle, then after each of
`--rounds` rounds of `--clients` concurrent list requests (each on its own connection), and
VmHWM (peak).

    python3 integration/bench/bench_task_list.py --build-dir build
    python3 integration/bench/bench_task_list.py --tributary OLD/tributary --plugin OLD/libtributary.so
"""

import argparse
import json
import os
import sqlite3
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import harness  # noqa: E402
import images  # noqa: E402
import procstat  # noqa: E402
import regclient  # noqa: E402
import servicerun  # noqa: E402
import syncrun  # noqa: E402

SRC_REPO = "bench/tasklist"


def mib(kib):
    return round(kib / 1024.0, 1)


def fill_tasks(state_path, count):
    """Copies task 1 until `count` tasks are stored (in one transaction)."""
    db = sqlite3.connect(state_path)
    columns = [row[1] for row in db.execute("PRAGMA table_info(tasks)") if row[1] != "id"]
    names = ", ".join(columns)
    (have,) = db.execute("SELECT COUNT(*) FROM tasks").fetchone()
    for _ in range(count - have):
        db.execute("INSERT INTO tasks(%s) SELECT %s FROM tasks WHERE id = 1" % (names, names))
    db.commit()
    (have,) = db.execute("SELECT COUNT(*) FROM tasks").fetchone()
    (report_bytes,) = db.execute("SELECT LENGTH(report) FROM tasks WHERE id = 1").fetchone()
    db.close()
    return have, report_bytes


def list_concurrently(svc, clients):
    """`clients` threads, each one GET /api/v1/tasks?limit=1000 at the same moment."""
    start = threading.Barrier(clients)
    answers = [None] * clients

    def one(i):
        start.wait()
        began = time.time()
        status, answer = svc.api("GET", "/api/v1/tasks?limit=1000")
        answers[i] = (status, answer, time.time() - began)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for status, answer, _ in answers:
        assert status == 200, (status, str(answer)[:500])
    body_bytes = len(json.dumps(answers[0][1]))
    return [a[2] for a in answers], body_bytes, answers[0][1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", help="build tree: <dir>/host-sdk/sidecar/tributary and "
                                        "<dir>/plugin/libtributary.so")
    ap.add_argument("--tributary", help="the tributary binary (instead of --build-dir)")
    ap.add_argument("--plugin", help="libtributary.so (instead of --build-dir)")
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--tags", type=int, default=100)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="write the figures as JSON here")
    args = ap.parse_args()
    if args.build_dir:
        os.environ["TRIB_TRIBUTARY"] = os.path.join(args.build_dir, "host-sdk", "sidecar",
                                                    "tributary")
        os.environ["TRIB_PLUGIN"] = os.path.join(args.build_dir, "plugin", "libtributary.so")
    if args.tributary:
        os.environ["TRIB_TRIBUTARY"] = os.path.abspath(args.tributary)
    if args.plugin:
        os.environ["TRIB_PLUGIN"] = os.path.abspath(args.plugin)

    work = harness.make_temp_dir("trib-bench-tasklist-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        image = images.make_image("tasklist/base", created="2024-01-01T00:00:00Z")
        images.push_artifact(sc, SRC_REPO, image, ["t%03d" % i for i in range(args.tags)])
        svc = servicerun.Service(os.path.join(work, "svc"), os.path.join(work, "dest"),
                                 provider_config=syncrun.provider_config_for([src]))
        svc.start()
        rule = syncrun.make_rule(src.host, SRC_REPO, "mirror/tasklist", name="busy",
                                 latest_n=10)
        svc.ok("POST", "/api/v1/rules", rule, expect=(201,))
        task = svc.wait_task(svc.ok("POST", "/api/v1/rules/busy/execute")["id"])
        assert task["status"] == "succeeded", task
        assert len(task["report"]["tags"]) == args.tags, len(task["report"]["tags"])
        code, _ = svc.stop()
        assert code == 0, svc.log()
        stored, report_bytes = fill_tasks(svc.state, args.tasks)

        svc.start()
        pid = svc.proc.pid
        for _ in range(5):
            svc.ok("GET", "/healthz")
        time.sleep(0.5)
        idle = procstat.status(pid)
        rounds = []
        for _ in range(args.rounds):
            seconds, body_bytes, answer = list_concurrently(svc, args.clients)
            assert len(answer["tasks"]) == min(args.tasks, 1000), len(answer["tasks"])
            time.sleep(0.3)
            st = procstat.status(pid)
            rounds.append({"vmrss_mib": mib(st["VmRSS"]),
                           "slowest_request_s": round(max(seconds), 3),
                           "answer_bytes": body_bytes})
        peak = procstat.status(pid)
        listed = answer["tasks"][0]
        code, _ = svc.stop()
        assert code == 0, svc.log()

    figures = {
        "tributary": os.environ["TRIB_TRIBUTARY"],
        "tasks_stored": stored,
        "report_bytes_per_task": report_bytes,
        "clients": args.clients,
        "idle_vmrss_mib": mib(idle["VmRSS"]),
        "rounds": rounds,
        "vmhwm_mib": mib(peak["VmHWM"]),
        "listed_task_members": sorted(listed),
    }
    print(json.dumps(figures, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
