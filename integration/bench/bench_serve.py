#!/usr/bin/env python3
"""No-op scheduled cycles inside a running `tributary serve` vs `skopeo sync`, same run.

Not a test: run by hand (see RESULTS.md, "Service").

  A  the 3-tag large-layer repository (run_bench.py's scenario A)
  B  the 15-tag 3-platform multi-arch repository (scenario B)
For each: a cold sync through the service (execute), then a rule fire by its schedule (the
test hook replication.test_hooks.interval_divisor makes `1m` fire every 3 s), whose task time
(started_at -> ended_at, as the service records it) is the no-op figure; skopeo sync --all of
the same repository into its own docker-registry, then again (its no-op), timed the same way.
Target: the service's no-op cycle >= 10x faster than skopeo's re-sync.

  C  200 rules over one small repository (3 tags sharing a base layer), each into its own
     destination repository (so they share blobs in the global store): the cold cycle, then
     one no-op cycle for all 200 (executed at once; 2 workers), from the first queued to the
     last ended. Target < 10 s.

    python3 integration/bench/bench_serve.py --build-dir build [--scale 0.25]
"""

import argparse
import calendar
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import images  # noqa: E402
import run_bench  # noqa: E402
import servicerun  # noqa: E402
from regclient import RegistryClient  # noqa: E402


def ms(text):
    base, frac = text.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) * 1000 + int(frac)


def task_seconds(task):
    return (ms(task["ended_at"]) - ms(task["started_at"])) / 1000.0


def rule_for(source_host, repo, name, dest, period="manual", latest_n=30):
    return {"name": name,
            "source": {"type": "custom", "domain": source_host, "repository": repo},
            "policy": {"tag_regex": ".*", "latest_n": latest_n},
            "destination": {"repository": dest, "overwrite": False},
            "acceleration": False, "update_period": period}


def scheduled_noops(svc, rule_name, count=3, timeout=120):
    """Switch the rule to `1m` (3 s with the divisor) and return its first `count` scheduled
    tasks."""
    rule = svc.ok("GET", "/api/v1/rules/" + rule_name)["rule"]
    rule["update_period"] = "1m"
    svc.ok("PUT", "/api/v1/rules/" + rule_name, rule)
    deadline = time.time() + timeout
    while time.time() < deadline:
        tasks = svc.ok("GET", "/api/v1/tasks?rule=%s&limit=%d" % (rule_name, count + 5))["tasks"]
        done = [t for t in tasks if t["trigger"] == "scheduled" and t["ended_at"]]
        if len(done) >= count:
            rule["update_period"] = "manual"
            svc.ok("PUT", "/api/v1/rules/" + rule_name, rule)
            # lists carry summaries; the per-tag report is on each task's own page
            return [svc.ok("GET", "/api/v1/tasks/%d" % t["id"]) for t in done[:count]]
        time.sleep(0.1)
    raise RuntimeError("no scheduled run of %s" % rule_name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(run_bench.REPO_ROOT, "build"))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rules", type=int, default=200)
    ap.add_argument("--noops", type=int, default=5,
                    help="scheduled no-op tasks (and skopeo re-syncs) timed per scenario")
    ap.add_argument("--scenarios", default="A,B,C", help="comma list of A, B, C")
    ap.add_argument("--out", default="bench-serve.json")
    args = ap.parse_args()
    tools = run_bench.find_tools(os.path.abspath(args.build_dir), False)
    os.environ["TRIB_TRIBUTARY"] = tools["tributary"]
    os.environ["TRIB_PLUGIN"] = tools["plugin"]
    work = harness.make_temp_dir("trib-bench-serve-")
    results = {"scale": args.scale, "machine": run_bench.machine_info()}
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        client = RegistryClient.for_registry(src)
        wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        repos = {}
        if "A" in wanted:
            repos["A"] = run_bench.seed_large(client, "A", "bench/large", args.scale, 1, "serveA")
        if "B" in wanted:
            repos["B"] = run_bench.seed_multiarch(client, "B", "bench/multi", args.scale,
                                                  "serveB")
        small = images.make_layer("serveC/base", 256 * 1024)
        for i in range(3):
            images.push_artifact(client, "bench/small", images.make_image(
                "serveC/%d" % i, layers=[small, images.make_layer("serveC/own%d" % i, 4096)]),
                ["s%d" % i])
        svc = servicerun.Service(
            os.path.join(work, "svc"), os.path.join(work, "dest"),
            provider_config={"concurrency": 4, "insecure_registries": [src.host],
                             "allow_private_networks": True},
            extra={"edition": "premium", "workers": 2,
                   "test_hooks": {"interval_divisor": 20}})
        svc.start()
        for key, repo in repos.items():
            name = "bench-" + key.lower()
            svc.ok("POST", "/api/v1/rules", rule_for(src.host, repo.repo, name, repo.repo),
                   expect=(201,))
            cold = svc.wait_task(svc.ok("POST", "/api/v1/rules/%s/execute" % name)["id"],
                                 timeout=1800)
            assert cold["status"] == "succeeded", cold
            load_before = os.getloadavg()
            noops = scheduled_noops(svc, name, count=args.noops)
            for noop in noops:
                assert noop["status"] == "succeeded", noop
                actions = {t["action"] for t in noop["report"]["tags"]}
                assert actions == {"unchanged"}, noop["report"]
            reg, argv, sk_cold, sk_noop = run_bench.run_skopeo(sk, repo, src, work, key)
            env = dict(os.environ, TMPDIR=sk.tmpdir)
            sk_noops = [sk_noop["wall_s"]] + [
                run_bench.measure(argv, work, "%s-skopeo-noop%d" % (key, i), env=env)["wall_s"]
                for i in range(2, args.noops + 1)]
            reg.stop()
            service_noops = [task_seconds(t) for t in noops]
            median = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
            results[key] = {
                "repo": repo.summary(),
                "service_cold_s": task_seconds(cold),
                "service_noop_s": service_noops,
                "skopeo_cold_s": sk_cold["wall_s"],
                "skopeo_noop_s": sk_noops,
                "noop_ratio_of_medians": median(sk_noops) / max(median(service_noops), 1e-3),
                "noop_ratio_of_minima": min(sk_noops) / max(min(service_noops), 1e-3),
                "service_noop_median_min_max": [median(service_noops), min(service_noops),
                                                max(service_noops)],
                "skopeo_noop_median_min_max": [median(sk_noops), min(sk_noops), max(sk_noops)],
                "loadavg_before_noops": load_before,
                "loadavg_after_skopeo": os.getloadavg(),
            }
            print(json.dumps({key: results[key]}, indent=1), flush=True)

        # -- C: many rules sharing blobs -------------------------------------------------
        if "C" not in wanted:
            code, took = svc.stop()
            results["service_stop"] = {"code": code, "seconds": took}
            with open(args.out, "w") as f:
                json.dump(results, f, indent=1)
            return 0
        for i in range(args.rules - len(repos)):
            svc.ok("POST", "/api/v1/rules", rule_for(src.host, "bench/small", "small-%03d" % i,
                                                     "fleet/r%03d" % i), expect=(201,))
        names = ["small-%03d" % i for i in range(args.rules - len(repos))] + \
            ["bench-" + key.lower() for key in repos]

        def cycle():
            t0 = time.time()
            ids = [svc.ok("POST", "/api/v1/rules/%s/execute" % n)["id"] for n in names]
            tasks = [svc.wait_task(i, timeout=600) for i in ids]
            wall = time.time() - t0
            first = min(ms(t["queued_at"]) for t in tasks)
            last = max(ms(t["ended_at"]) for t in tasks)
            return wall, (last - first) / 1000.0, tasks

        cold_wall, cold_span, _ = cycle()
        noop_wall, noop_span, tasks = cycle()
        bad = [t for t in tasks if t["status"] != "succeeded"]
        results["C"] = {"rules": len(names), "cold_cycle_s": cold_span,
                        "noop_cycle_s": noop_span, "noop_cycle_wall_s": noop_wall,
                        "failed": len(bad)}
        print(json.dumps({"C": results["C"]}, indent=1), flush=True)
        code, took = svc.stop()
        results["service_stop"] = {"code": code, "seconds": took}
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
