#!/usr/bin/env python3
"""Two plugin builds side by side on no-op tasks of `tributary serve` (not a test: run by
hand, figures in RESULTS.md, "Service"). Wall time on a shared machine drifts by more than
the differences worth measuring; running both builds against one source in alternating blocks
puts them under the same drift.

A docker-registry on 127.0.0.1 serves run_bench's scenario A (3 tags; --scale shrinks the
blobs, which a no-op never reads). Two `tributary serve` (the same host binary, --plugin-a and
--plugin-b, each with its own state and destination) sync it once, then execute no-op tasks
in --blocks alternating blocks of --per-block tasks, --gap seconds apart (the block order
flips every round). Printed per plugin: the tasks' times as recorded (started_at -> ended_at),
the source registry's CPU per task and the service's (its API requests included), both from
/proc/<pid>/stat over that plugin's blocks.

    python3 integration/bench/bench_serve_paired.py --build-dir build \\
        --plugin-a <older build>/plugin/libtributary.so --plugin-b build/plugin/libtributary.so
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import run_bench  # noqa: E402
import servicerun  # noqa: E402
from regclient import RegistryClient  # noqa: E402
from bench_serve import rule_for, task_seconds  # noqa: E402
from bench_serve_tls_noop import cpu_seconds  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(run_bench.REPO_ROOT, "build"),
                    help="where the tributary host binary is")
    ap.add_argument("--plugin-a", required=True)
    ap.add_argument("--plugin-b", required=True)
    ap.add_argument("--blocks", type=int, default=8)
    ap.add_argument("--per-block", type=int, default=15)
    ap.add_argument("--gap", type=float, default=0.2, help="seconds between two executes")
    ap.add_argument("--scale", type=float, default=0.02)
    args = ap.parse_args()
    tools = run_bench.find_tools(os.path.abspath(args.build_dir), False)
    os.environ["TRIB_TRIBUTARY"] = tools["tributary"]
    plugins = {"a": os.path.abspath(args.plugin_a), "b": os.path.abspath(args.plugin_b)}
    work = harness.make_temp_dir("trib-bench-paired-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        repo = run_bench.seed_large(RegistryClient.for_registry(src), "A", "bench/large",
                                    args.scale, 1, "pairedA")
        services = {}
        try:
            for name, lib in plugins.items():
                os.environ["TRIB_PLUGIN"] = lib
                svc = servicerun.Service(
                    os.path.join(work, "svc-" + name), os.path.join(work, "dest-" + name),
                    provider_config={"concurrency": 4, "insecure_registries": [src.host],
                                     "allow_private_networks": True},
                    extra={"edition": "premium", "workers": 2})
                svc.start()
                services[name] = svc
                svc.ok("POST", "/api/v1/rules", rule_for(src.host, repo.repo, "paired", repo.repo),
                       expect=(201,))
                cold = svc.wait_task(svc.ok("POST", "/api/v1/rules/paired/execute")["id"],
                                     timeout=600)
                assert cold["status"] == "succeeded", cold
            times = {n: [] for n in services}
            cpu = {n: {"registry": 0.0, "service": 0.0} for n in services}
            for block in range(args.blocks):
                order = sorted(services) if block % 2 == 0 else sorted(services, reverse=True)
                for name in order:
                    svc = services[name]
                    reg0, svc0 = cpu_seconds(src.proc.pid), cpu_seconds(svc.proc.pid)
                    for _ in range(args.per_block):
                        task = svc.wait_task(svc.ok("POST", "/api/v1/rules/paired/execute")["id"],
                                             timeout=600)
                        assert task["status"] == "succeeded", task
                        assert {t["action"] for t in task["report"]["tags"]} == {"unchanged"}
                        times[name].append(task_seconds(task) * 1000.0)
                        time.sleep(args.gap)
                    cpu[name]["registry"] += cpu_seconds(src.proc.pid) - reg0
                    cpu[name]["service"] += cpu_seconds(svc.proc.pid) - svc0
        finally:
            for svc in services.values():
                svc.stop()
    for name in sorted(services):
        v = times[name]
        print("%s %s: task ms median %.1f (mean %.2f, %d-%d, n=%d); registry CPU %.2f ms/task, "
              "service CPU %.2f ms/task" % (
                  name, plugins[name], statistics.median(v), statistics.mean(v), min(v), max(v),
                  len(v), cpu[name]["registry"] * 1000.0 / len(v),
                  cpu[name]["service"] * 1000.0 / len(v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
