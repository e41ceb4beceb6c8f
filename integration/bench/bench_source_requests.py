#!/usr/bin/env python3
"""What one request costs the source docker-registry (not a test: run by hand, figures in
RESULTS.md, "Service"): wall time per request and the registry's CPU per request (from
/proc/<pid>/stat), for a manifest HEAD on a new connection each and on one keep-alive
connection, a tag list and a `/v2/` ping. The no-op figures of `tributary serve` are bounded
by this: a no-op of scenario A is a tag list and three HEADs.

    python3 integration/bench/bench_source_requests.py --requests 300
"""

import argparse
import http.client
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import run_bench  # noqa: E402
from regclient import RegistryClient  # noqa: E402
from bench_serve_tls_noop import cpu_seconds  # noqa: E402

ACCEPT = ("application/vnd.oci.image.index.v1+json,"
          "application/vnd.docker.distribution.manifest.list.v2+json,"
          "application/vnd.oci.image.manifest.v1+json,"
          "application/vnd.docker.distribution.manifest.v2+json")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    work = harness.make_temp_dir("trib-bench-source-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        repo = run_bench.seed_large(RegistryClient.for_registry(src), "A", "bench/large", 0.02,
                                    1, "sourceA")
        host, port = src.host.split(":")
        manifest = "/v2/%s/manifests/%s" % (repo.repo, sorted(repo.tags)[0])
        cases = (("manifest HEAD, a new connection each", "HEAD", manifest, False),
                 ("manifest HEAD, one keep-alive connection", "HEAD", manifest, True),
                 ("tag list, keep-alive", "GET", "/v2/%s/tags/list?n=1000" % repo.repo, True),
                 ("GET /v2/ (ping), keep-alive", "GET", "/v2/", True))
        print("| request | wall per request | registry CPU per request |")
        print("|---|---|---|")
        for label, method, path, keep in cases:
            conn = http.client.HTTPConnection(host, int(port))
            cpu0, wall0 = cpu_seconds(src.proc.pid), time.perf_counter()
            for _ in range(args.requests):
                if not keep:
                    conn = http.client.HTTPConnection(host, int(port))
                conn.request(method, path, headers={"Accept": ACCEPT})
                resp = conn.getresponse()
                resp.read()
                assert resp.status == 200, (label, resp.status)
                if not keep:
                    conn.close()
            wall = (time.perf_counter() - wall0) * 1000.0 / args.requests
            cpu = (cpu_seconds(src.proc.pid) - cpu0) * 1000.0 / args.requests
            print("| %s | %.2f ms | %.2f ms |" % (label, wall, cpu))
    return 0


if __name__ == "__main__":
    sys.exit(main())
