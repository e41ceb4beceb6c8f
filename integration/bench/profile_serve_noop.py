#!/usr/bin/env python3
"""Instructions of one no-op task inside `tributary serve`: a noise-free figure for comparing
builds (wall time on a shared machine is not). Not a test: run by hand (RESULTS.md, "Service").

A source docker-registry on 127.0.0.1 gets run_bench's scenario A (3 tags, shared base, own
layer; --scale shrinks the blobs, which a no-op never reads) or B (15 multi-arch tags). A plain
`tributary serve` syncs it once (cold) and stops; then the same config, state and storage are
served under `valgrind --tool=callgrind --toggle-collect=<TaskService::run>`, so only the
worker's task code counts (provider execute + the task's state writes, not the admin API), and
--tasks no-op tasks are executed one after the other. Prints instructions per no-op task and
leaves the callgrind.out file for callgrind_annotate.

    python3 integration/bench/profile_serve_noop.py --build-dir build --scenario A --tasks 5
"""

import argparse
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import run_bench  # noqa: E402
import servicerun  # noqa: E402
from regclient import RegistryClient  # noqa: E402
from bench_serve import rule_for  # noqa: E402

TOGGLE = "tributary::scheduler::TaskService::run(*)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(run_bench.REPO_ROOT, "build"))
    ap.add_argument("--scenario", default="A", choices=("A", "B"))
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--tasks", type=int, default=5)
    ap.add_argument("--out-dir", help="where callgrind.out goes (default: the work dir)")
    args = ap.parse_args()
    tools = run_bench.find_tools(os.path.abspath(args.build_dir), False)
    os.environ["TRIB_TRIBUTARY"] = tools["tributary"]
    os.environ["TRIB_PLUGIN"] = tools["plugin"]
    work = harness.make_temp_dir("trib-profile-serve-")
    out_dir = os.path.abspath(args.out_dir or work)
    os.makedirs(out_dir, exist_ok=True)
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        client = RegistryClient.for_registry(src)
        if args.scenario == "A":
            repo = run_bench.seed_large(client, "A", "bench/large", args.scale, 1, "profA")
        else:
            repo = run_bench.seed_multiarch(client, "B", "bench/multi", args.scale, "profB")
        svc = servicerun.Service(
            os.path.join(work, "svc"), os.path.join(work, "dest"),
            provider_config={"concurrency": 4, "insecure_registries": [src.host],
                             "allow_private_networks": True},
            extra={"edition": "premium", "workers": 2})
        svc.start()
        svc.ok("POST", "/api/v1/rules", rule_for(src.host, repo.repo, "prof", repo.repo),
               expect=(201,))
        cold = svc.wait_task(svc.ok("POST", "/api/v1/rules/prof/execute")["id"], timeout=600)
        assert cold["status"] == "succeeded", cold
        svc.stop()

        out_file = os.path.join(out_dir, "callgrind.out.serve-noop-%s" % args.scenario)
        for old in glob.glob(out_file + "*"):
            os.remove(old)
        argv = ["valgrind", "--tool=callgrind", "--toggle-collect=" + TOGGLE,
                "--callgrind-out-file=" + out_file, tools["tributary"], "serve", "--config",
                svc.config_path]
        svc.proc = harness.start_process(argv, svc.log_path)
        svc.wait_ready(timeout=300)
        for _ in range(args.tasks):
            t = svc.wait_task(svc.ok("POST", "/api/v1/rules/prof/execute")["id"], timeout=600)
            assert t["status"] == "succeeded", t
            actions = {x["action"] for x in t["report"]["tags"]}
            assert actions == {"unchanged"}, t["report"]
        code, _took = svc.stop(timeout=120)
    summary = subprocess.run(["callgrind_annotate", "--threshold=100", out_file],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode()
    m = re.search(r"^([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", summary, re.M) or \
        re.search(r"^\s*([\d,]+)\s+PROGRAM TOTALS", summary, re.M)
    total = int(m.group(1).replace(",", "")) if m else None
    print("serve exit %s; %s" % (code, out_file))
    if total is not None:
        print("instructions in TaskService::run: %d total, %.2f M per no-op task (%d tasks)" % (
            total, total / args.tasks / 1e6, args.tasks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
