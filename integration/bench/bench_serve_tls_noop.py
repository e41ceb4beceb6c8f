#!/usr/bin/env python3
"""CPU of `tributary serve` per no-op task against an https source (not a test: run by hand,
figures in RESULTS.md, "No-op runs against an https source").

A docker-registry on 127.0.0.1 serves run_bench's scenario A (3 tags, --scale shrinks the
blobs, which a no-op never reads) over TLS with a test CA (the rule's source has that CA in
the provider's `ca_files`). A `tributary serve` syncs it once, then executes --tasks no-op
tasks one after the other; the service's user+system CPU (from /proc/<pid>/stat) over those
tasks, divided by their number, is the figure, with the tasks' wall time (started_at ->
ended_at). Run it for two builds (--build-dir) to compare them.

    python3 integration/bench/bench_serve_tls_noop.py --build-dir build --tasks 30
"""

import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import run_bench  # noqa: E402
import servicerun  # noqa: E402
import syncrun  # noqa: E402
from regclient import RegistryClient  # noqa: E402
from bench_serve import rule_for, task_seconds  # noqa: E402


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(run_bench.REPO_ROOT, "build"))
    ap.add_argument("--plugin", help="another libtributary.so (default: the build's)")
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--tasks", type=int, default=30)
    args = ap.parse_args()
    tools = run_bench.find_tools(os.path.abspath(args.build_dir), False)
    os.environ["TRIB_TRIBUTARY"] = tools["tributary"]
    os.environ["TRIB_PLUGIN"] = os.path.abspath(args.plugin or tools["plugin"])
    work = harness.make_temp_dir("trib-bench-tls-")
    certs = harness.make_ca_and_server_cert(os.path.join(work, "certs"))
    with harness.Registry(os.path.join(work, "src-root"), workdir=os.path.join(work, "src-reg"),
                          tls=certs) as src:
        client = RegistryClient.for_registry(src)
        repo = run_bench.seed_large(client, "A", "bench/large", args.scale, 1, "tlsA")
        cfg = syncrun.provider_config_for([src], tls_sources=[src])
        svc = servicerun.Service(os.path.join(work, "svc"), os.path.join(work, "dest"),
                                 provider_config=cfg, extra={"edition": "premium"})
        svc.start()
        svc.ok("POST", "/api/v1/rules", rule_for(src.host, repo.repo, "tls", repo.repo),
               expect=(201,))
        cold = svc.wait_task(svc.ok("POST", "/api/v1/rules/tls/execute")["id"], timeout=600)
        assert cold["status"] == "succeeded", cold
        before = cpu_seconds(svc.proc.pid)
        walls = []
        for _ in range(args.tasks):
            t = svc.wait_task(svc.ok("POST", "/api/v1/rules/tls/execute")["id"], timeout=600)
            assert t["status"] == "succeeded", t
            assert {x["action"] for x in t["report"]["tags"]} == {"unchanged"}, t["report"]
            walls.append(task_seconds(t) * 1000)
        cpu = cpu_seconds(svc.proc.pid) - before
        svc.stop()
    print("plugin %s: %d no-op tasks over https: %.1f ms CPU per task (service total, API "
          "polling included); task wall median %.1f ms (min %.1f, max %.1f); load %s" % (
              os.environ["TRIB_PLUGIN"], args.tasks, cpu * 1000 / args.tasks,
              statistics.median(walls), min(walls), max(walls),
              " ".join("%.2f" % x for x in os.getloadavg())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
