#!/usr/bin/env python3
"""Instructions of one no-op `tributary sync` (the whole process: start-up, dlopen, config,
tag list, HEADs, report) under callgrind: a noise-free figure for comparing commits, which
wall time on a shared machine is not. Not a test: run by hand (RESULTS.md).

run_bench's scenario A (or B) at a small --scale is pushed to a source docker-registry on
127.0.0.1, synced once (cold) with the same config and rule as run_bench, then the same
command runs again under `valgrind --tool=callgrind`.

    python3 integration/bench/profile_cli_noop.py --build-dir build --scenario A
"""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import run_bench  # noqa: E402
from regclient import RegistryClient  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(run_bench.REPO_ROOT, "build"))
    ap.add_argument("--scenario", default="A", choices=("A", "B"))
    ap.add_argument("--scale", type=float, default=0.02)
    args = ap.parse_args()
    tools = run_bench.find_tools(os.path.abspath(args.build_dir), False)
    work = harness.make_temp_dir("trib-profile-cli-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        client = RegistryClient.for_registry(src)
        if args.scenario == "A":
            repo = run_bench.seed_large(client, "A", "bench/big", args.scale, 1, "bench-a")
        else:
            repo = run_bench.seed_multiarch(client, "B", "bench/multi", args.scale, "bench-b")
        root = os.path.join(work, "dest")
        config = run_bench.write_tributary_config(os.path.join(work, "config.yml"), root,
                                                  src.host)
        rule = run_bench.write_rule(os.path.join(work, "rule.json"), src.host, repo.repo)
        argv = run_bench.tributary_argv(tools, config, rule)
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        out = os.path.join(work, "callgrind.out.cli-noop-" + args.scenario)
        res = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out]
                             + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        report = run_bench.read_report(_dump(res.stdout, work))
        actions = {t["action"] for t in report["tags"]}
        assert res.returncode == 0 and actions == {"unchanged"}, (res.returncode, actions)
    m = re.search(r"Collected : (\d+)", res.stderr.decode())
    print("%s no-op: %s instructions (%s)" % (args.scenario, m.group(1) if m else "?", out))
    return 0


def _dump(data, work):
    path = os.path.join(work, "noop.stdout")
    with open(path, "wb") as f:
        f.write(data)
    return {"stdout": path}


if __name__ == "__main__":
    sys.exit(main())
