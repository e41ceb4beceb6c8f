#!/usr/bin/env python3
"""Tributary vs `skopeo sync` into S3 storage: same images, same Swift, same run.

Not a test: run by hand (see README.md). One Swift all-in-one with s3api (lib/swiftserver.py)
holds one bucket; every measurement gets a fresh `rootdirectory` prefix in it:

  - tributary: `tributary sync` with `storage.s3` (multipart uploads straight into the
    bucket), cold then no-op; a stock docker-registry over the same prefix then serves it
    for verification;
  - skopeo: `skopeo sync --all --preserve-digests` pushing into a stock docker-registry whose
    `s3` driver writes that prefix (the registry's own upload path: chunks, then a server-side
    copy into place), cold then no-op.

Both destinations are checked against the source (tags, manifest bytes, every blob
re-hashed), so a fast wrong answer cannot count. Scenarios are run_bench.py's: A (3 tags,
60 MiB shared + 80 MiB own layers, ~300 MiB), A2 (the same, blobs twice as large: is memory
flat in blob size?), B (15 three-platform manifest lists, ~120 MiB). Wall time is the median
of --repeat runs (tools interleaved within a repetition), peak RSS the worst.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import run_bench  # noqa: E402
import swiftserver  # noqa: E402
from regclient import RegistryClient  # noqa: E402

MiB = 1 << 20
TOOLS = ("tributary", "skopeo")
# The verifying HEADs (--shallow-verify) do not follow the s3 driver's 307 to a presigned URL.
NO_REDIRECT = {"storage": {"redirect": {"disable": True}}}


def tributary_config(path, s3cfg, source_host, concurrency):
    cfg = harness.registry_config(None, harness.free_port(), s3=s3cfg)
    cfg["replication"] = {"provider": {"config": {
        "concurrency": concurrency, "insecure_registries": [source_host],
        "allow_private_networks": True}},
        "state_dir": os.path.join(os.path.dirname(path), "state-" + os.path.basename(path))}
    harness.write_config(path, cfg)
    return path


def tributary_once(tools, swift, src, source, client, workdir, label, args, results):
    prefix = "/bench/%s" % label
    s3cfg = swift.registry_s3_config(prefix, chunksize=args.chunksize)
    config = tributary_config(os.path.join(workdir, "trib-%s.yml" % label), s3cfg, source.host,
                              args.concurrency)
    rule = run_bench.write_rule(os.path.join(workdir, "rule-%s.json" % label), source.host,
                                src.repo)
    argv = run_bench.tributary_argv(tools, config, rule)
    results["commands"]["tributary"] = " ".join(argv)
    env = harness.registry_env()  # storage.s3 carries the credentials; no AWS_* involved
    cold = run_bench.measure(argv, workdir, label + "-cold", env=env, source=source)
    noop = run_bench.measure(argv, workdir, label + "-noop", env=env, source=source)
    failures = []
    for m, phase in ((cold, "cold"), (noop, "noop")):
        rep = run_bench.read_report(m) or {}
        m["note"] = "status=%s" % rep.get("status")
        if rep.get("status") != "succeeded":
            failures.append("%s %s: report status %r" % (label, phase, rep.get("status")))
    with harness.Registry(None, workdir=os.path.join(workdir, label + "-reg"), s3=s3cfg,
                          extra=NO_REDIRECT) as dst:
        problems = run_bench.verify(client, RegistryClient.for_registry(dst), src,
                                    deep=not args.shallow_verify)
    return cold, noop, failures + problems


def skopeo_once(sk, swift, src, source, client, workdir, label, args, results):
    prefix = "/bench/%s" % label
    s3cfg = swift.registry_s3_config(prefix, chunksize=args.chunksize)
    env = dict(os.environ)
    env["TMPDIR"] = sk.tmpdir
    with harness.Registry(None, workdir=os.path.join(workdir, label + "-reg"), s3=s3cfg,
                          extra=NO_REDIRECT) as reg:
        argv = run_bench.skopeo_argv(sk, source.host, reg.host, src.repo)
        results["commands"]["skopeo"] = " ".join(argv)
        cold = run_bench.measure(argv, workdir, label + "-cold", env=env, source=source)
        cold["dest_registry_vmhwm_kib"] = run_bench.vm_hwm_kib(reg.proc.pid)
        noop = run_bench.measure(argv, workdir, label + "-noop", env=env, source=source)
        noop["dest_registry_vmhwm_kib"] = run_bench.vm_hwm_kib(reg.proc.pid)
        problems = run_bench.verify(client, RegistryClient.for_registry(reg), src,
                                    deep=not args.shallow_verify)
    return cold, noop, problems


def table(results):
    lines = ["| scenario | tool | cold s (median) | cold runs | no-op s | peak RSS cold MiB | "
             "registry peak RSS MiB | MiB/s |",
             "|---|---|---|---|---|---|---|---|"]
    for name, sres in results["scenarios"].items():
        for tool in TOOLS:
            if tool not in sres:
                continue
            c, n = sres[tool]["cold"], sres[tool]["noop"]
            reg = c.get("dest_registry_vmhwm_kib")
            lines.append("| %s | %s | %.2f | %s | %.2f | %.0f | %s | %.0f |" % (
                name, tool, c["wall_s"], ", ".join("%.2f" % w for w in c["wall_s_all"]),
                n["wall_s"], c["max_rss_kib"] / 1024.0,
                "%.0f" % (reg / 1024.0) if reg else "-", c["mib_per_s"]))
        if "tributary" in sres and "skopeo" in sres:
            ratio = sres["skopeo"]["cold"]["wall_s"] / sres["tributary"]["cold"]["wall_s"]
            sres["cold_speedup"] = ratio
            lines.append("| %s | **skopeo / tributary, cold** | **%.1f×** | | | | | |" % (
                name, ratio))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(run_bench.REPO_ROOT, "build-bench"))
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every blob size")
    ap.add_argument("--scenarios", default="A,A2,B")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chunksize", type=int, default=10 * MiB,
                    help="storage.s3.chunksize for both (Distribution's default is 10 MiB)")
    ap.add_argument("--concurrency", type=int, default=4, help="the provider's concurrency")
    ap.add_argument("--proxy-workers", type=int, default=0,
                    help="Swift proxy workers (0 = one process)")
    ap.add_argument("--shallow-verify", action="store_true")
    ap.add_argument("--out", default="bench-s3-results.json")
    ap.add_argument("--markdown")
    args = ap.parse_args()

    chosen = [t.strip() for t in args.tools.split(",") if t.strip()]
    tools = run_bench.find_tools(os.path.abspath(args.build_dir), "tributary" not in chosen)
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    workdir = harness.make_temp_dir("trib-bench-s3-")
    sk = harness.Skopeo(os.path.join(workdir, "skopeo"))
    results = {"machine": run_bench.machine_info(), "scale": args.scale,
               "chunksize": args.chunksize, "concurrency": args.concurrency,
               "swift_proxy_workers": args.proxy_workers, "scenarios": {}, "commands": {}}
    failures = []
    with swiftserver.SwiftServer(os.path.join(workdir, "swift"),
                                 proxy_workers=args.proxy_workers) as swift, \
            harness.Registry(harness.make_temp_dir("trib-bench-src-"),
                             workdir=os.path.join(workdir, "source")) as source:
        client = RegistryClient.for_registry(source)
        sources = {}
        t0 = time.monotonic()
        if "A" in wanted:
            sources["A"] = run_bench.seed_large(client, "A", "bench/big", args.scale, 1, "bench-a")
        if "A2" in wanted:
            sources["A2"] = run_bench.seed_large(client, "A2", "bench/big2x", args.scale, 2,
                                                 "bench-a2")
        if "B" in wanted:
            sources["B"] = run_bench.seed_multiarch(client, "B", "bench/multi", args.scale,
                                                    "bench-b")
        print("seeded in %.1fs; swift at %s" % (time.monotonic() - t0, swift.endpoint),
              flush=True)
        for name in wanted:
            src = sources[name]
            sres = {"source": src.summary()}
            results["scenarios"][name] = sres
            runs = {}
            for rep in range(args.repeat):
                for tool in [t for t in TOOLS if t in chosen]:
                    label = "%s-%s-r%d" % (name, tool, rep)
                    print("[%s] %s (repetition %d/%d) ..." % (name, tool, rep + 1, args.repeat),
                          flush=True)
                    if tool == "tributary":
                        cold, noop, problems = tributary_once(tools, swift, src, source, client,
                                                              workdir, label, args, results)
                    else:
                        cold, noop, problems = skopeo_once(sk, swift, src, source, client,
                                                           workdir, label, args, results)
                    print("    cold %.2fs (rss %d MiB), no-op %.2fs" % (
                        cold["wall_s"], cold["max_rss_kib"] // 1024, noop["wall_s"]), flush=True)
                    failures += ["%s %s: %s" % (name, tool, p) for p in problems]
                    runs.setdefault(tool, []).append((cold, noop))
            for tool, reps in runs.items():
                sres[tool] = {
                    "cold": run_bench._median_run([c for c, _ in reps], src.total_bytes),
                    "noop": run_bench._median_run([n for _, n in reps], src.total_bytes)}
        results["swift_rss_kib_at_end"] = swift.rss_kib()
    md = table(results)
    print()
    print(md)
    results["failures"] = failures
    return run_bench.write_outputs(results, args.out, args.markdown, md, failures)


if __name__ == "__main__":
    sys.exit(main())
