#!/usr/bin/env python3
"""Tributary vs `skopeo sync`: same images, same loopback source, same run.

Not a test: run by hand (see README.md). For each scenario it measures, with /usr/bin/time -v
(wall clock from the script's monotonic clock, peak RSS from time -v):

  1. tributary sync, cold, into a fresh Distribution root
  2. tributary sync again (no-op)
  3. skopeo sync --all into a fresh docker-registry (its own root), cold
  4. skopeo sync again (no-op: skopeo 1.9 has no skip-existing for sync, so this is its real
     re-sync cost: manifests are re-read and every blob is HEAD-checked)

then checks both destinations against the source (tags, manifest bytes, every blob re-hashed),
so a fast wrong answer cannot count. Prints a table, writes --out JSON and, with --markdown,
a Markdown table of the figures and the target ratios.

Scenarios (sizes times --scale):
  A   "large layers": 3 tags, each [shared 60 MiB base, own 80 MiB layer] = ~300 MiB
  A2  the same shape with every blob twice as large (~600 MiB): memory must stay flat
  B   "multi-arch": 15 tags, each a 3-platform manifest list; per-platform 10 MiB base layer
      shared by all tags + a 2 MiB app layer per tag and platform (~120 MiB, 60 manifests)
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import harness  # noqa: E402
import images  # noqa: E402
from regclient import RegistryClient  # noqa: E402

MiB = 1024 * 1024
# "tributary": the provider config from the task brief (no cache_dir); "tributary_cached":
# the same plus cache_dir, so a re-run can answer `created` from the digest-keyed cache;
# "tributary_api": `replication.publish: registry_api` (blobs into storage, manifests and tags
# PUT through a docker-registry already serving the destination root, docs/harbor.md).
TRIBUTARY_VARIANTS = ("tributary", "tributary_cached", "tributary_api")
TOOLS = TRIBUTARY_VARIANTS + ("skopeo",)
TIME_BIN = "/usr/bin/time"
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))


# ------------------------------------------------------------------------------------------
# Source content
# ------------------------------------------------------------------------------------------

class SourceRepo:
    """What was pushed: repo name, {tag: artifact}, unique bytes (blobs + manifests)."""

    def __init__(self, name, repo, description):
        self.name = name
        self.repo = repo
        self.description = description
        self.tags = {}
        self.blob_sizes = {}
        self.manifest_sizes = {}
        self.largest_blob = 0

    def record(self, tag, artifact):
        self.tags[tag] = artifact.digest
        for b in artifact.blobs():
            self.blob_sizes[b.digest] = b.size
            self.largest_blob = max(self.largest_blob, b.size)
        for digest, data, _mt in artifact.manifests():
            self.manifest_sizes[digest] = len(data)

    @property
    def total_bytes(self):
        return sum(self.blob_sizes.values()) + sum(self.manifest_sizes.values())

    def summary(self):
        return {"repository": self.repo, "description": self.description,
                "tags": len(self.tags), "blobs": len(self.blob_sizes),
                "manifests": len(self.manifest_sizes), "bytes": self.total_bytes,
                "largest_blob": self.largest_blob}


def _push(client, src, tag, artifact):
    images.push_artifact(client, src.repo, artifact, [tag])
    src.record(tag, artifact)


def seed_large(client, name, repo, scale, factor, seed):
    """3 tags x [shared base, own layer]; blob sizes x factor."""
    base_size = int(60 * MiB * scale * factor)
    own_size = int(80 * MiB * scale * factor)
    src = SourceRepo(name, repo, "3 tags x [%.1f MiB shared base + %.1f MiB own layer]" % (
        base_size / MiB, own_size / MiB))
    base = images.make_layer("%s/base" % seed, base_size, files=2)
    for i in range(3):
        tag = "v%d" % (i + 1)
        own = images.make_layer("%s/%s" % (seed, tag), own_size, files=2)
        img = images.make_image("%s/%s" % (seed, tag), layers=[base, own],
                                created="2024-0%d-01T00:00:00Z" % (i + 1))
        _push(client, src, tag, img)
        del own, img  # one own layer in memory at a time
    return src


def seed_multiarch(client, name, repo, scale, seed):
    """15 tags, each a Docker manifest list over 3 platforms with per-platform shared bases."""
    base_size = int(10 * MiB * scale)
    app_size = int(2 * MiB * scale)
    src = SourceRepo(name, repo, "15 tags x 3-platform list; %.1f MiB per-platform base shared "
                     "by all tags + %.1f MiB app layer per tag/platform" % (base_size / MiB,
                                                                            app_size / MiB))
    bases = {images.platform_string(p): images.make_layer("%s/base/%s" % (
        seed, images.platform_string(p)), base_size, files=4) for p in images.PLATFORMS}
    for i in range(15):
        tag = "1.%d.0" % i
        created = "2024-01-%02dT00:00:00Z" % (i + 1)
        children = []
        for p in images.PLATFORMS:
            ps = images.platform_string(p)
            app = images.make_layer("%s/%s/%s" % (seed, tag, ps), app_size, files=3)
            children.append(images.make_image("%s/%s/%s" % (seed, tag, ps),
                                              layers=[bases[ps], app], created=created,
                                              os_name=p["os"], architecture=p["architecture"],
                                              variant=p.get("variant")))
        idx = images.make_index(children, oci=False, seed="%s/%s" % (seed, tag),
                                created=created)
        _push(client, src, tag, idx)
    return src


# ------------------------------------------------------------------------------------------
# Measuring one command
# ------------------------------------------------------------------------------------------

def _parse_time_v(text):
    out = {}
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    out["max_rss_kib"] = int(m.group(1)) if m else None
    m = re.search(r"User time \(seconds\): ([\d.]+)", text)
    out["user_s"] = float(m.group(1)) if m else None
    m = re.search(r"System time \(seconds\): ([\d.]+)", text)
    out["sys_s"] = float(m.group(1)) if m else None
    m = re.search(r"Percent of CPU this job got: (\d+)%", text)
    out["cpu_percent"] = int(m.group(1)) if m else None
    m = re.search(r"Exit status: (\d+)", text)
    out["exit_status"] = int(m.group(1)) if m else None
    return out


def _request_kinds(entries):
    """{"HEAD manifests": n, "GET blobs": n, ...} from access-log entries."""
    out = {}
    for method, path, _status in entries:
        m = re.match(r"/v2/(?:.+/)?(manifests|blobs|tags)/", path)
        kind = "%s %s" % (method, m.group(1) if m else path.split("?")[0])
        out[kind] = out.get(kind, 0) + 1
    return out


def measure(argv, workdir, label, env=None, timeout=1800, source=None):
    """Run argv under /usr/bin/time -v; wall time from our own monotonic clock. With
    `source` (the source Registry), also count the requests it answered during the run."""
    before = len(source.access_log()) if source is not None else 0
    tfile = os.path.join(workdir, label + ".time")
    out_path = os.path.join(workdir, label + ".stdout")
    err_path = os.path.join(workdir, label + ".stderr")
    full = [TIME_BIN, "-v", "-o", tfile] + list(argv)
    load = os.getloadavg()[0]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.run(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                              env=env, timeout=timeout)
        wall = time.monotonic() - t0
    with open(tfile) as f:
        stats = _parse_time_v(f.read())
    stats.update({"wall_s": wall, "returncode": proc.returncode, "loadavg_1m_before": load,
                  "stdout": out_path, "stderr": err_path})
    if source is not None:
        time.sleep(0.2)  # let the registry flush its access log
        entries = source.access_log()[before:]
        stats["source_requests"] = len(entries)
        stats["source_request_kinds"] = _request_kinds(entries)
    if proc.returncode != 0:
        with open(err_path, "rb") as f:
            tail = f.read()[-3000:].decode(errors="replace")
        raise RuntimeError("%s failed (%d): %s\n%s" % (label, proc.returncode, " ".join(argv),
                                                      tail))
    return stats


def vm_hwm_kib(pid):
    """Peak RSS of a running process we started (docker-registry), from /proc."""
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
            return int(m.group(1)) if m else None
    except OSError:
        return None


# ------------------------------------------------------------------------------------------
# Tributary and skopeo runs
# ------------------------------------------------------------------------------------------

def write_tributary_config(path, root, source_host, cache_dir=None, registry_api_url=None):
    # The destination registry's own config.yml (JSON is YAML) plus the replication block.
    cfg = harness.registry_config(root, harness.free_port())
    provider = {"concurrency": 4, "insecure_registries": [source_host],
                "allow_private_networks": True}
    if cache_dir:
        # The provider's on-disk created-time / platform-choice caches (keyed by digest).
        provider["cache_dir"] = cache_dir
    cfg["replication"] = {"provider": {"config": provider}}
    if registry_api_url:
        cfg["replication"]["publish"] = "registry_api"
        cfg["replication"]["registry_api"] = {"url": registry_api_url}
    harness.write_config(path, cfg)
    return path


def write_rule(path, source_host, repo):
    rule = {"name": "bench",
            "source": {"type": "custom", "domain": source_host, "repository": repo},
            "policy": {"tag_regex": ".*", "latest_n": 30},
            "destination": {"repository": repo, "overwrite": False},
            "acceleration": False, "update_period": "manual"}
    with open(path, "w") as f:
        json.dump(rule, f, indent=2)
    return path


def tributary_argv(tools, config, rule):
    return [tools["tributary"], "sync", "--config", config, "--rule", rule, "--json",
            "--library", tools["plugin"]]


def read_report(stats):
    with open(stats["stdout"], "rb") as f:
        data = f.read()
    try:
        return json.loads(data)
    except ValueError:
        # Tolerate log lines before the JSON document.
        start = data.find(b"{")
        return json.loads(data[start:]) if start >= 0 else None


def run_tributary(tools, src, source, workdir, tag, cached=False, registry_api=False):
    """Cold + no-op tributary runs into a fresh root. With registry_api, a docker-registry
    serves that root during the runs (the manifests are PUT through it) and is returned
    running; else None."""
    source_host = source.host
    root = harness.make_temp_dir("trib-bench-dst-")
    cache_dir = None
    if cached:
        cache_dir = os.path.join(workdir, "%s-cache" % tag)
        os.makedirs(cache_dir, exist_ok=True)
    dest = None
    if registry_api:
        dest = harness.Registry(root, workdir=harness.make_temp_dir("trib-bench-apireg-")).start()
    config = write_tributary_config(os.path.join(workdir, "trib-%s.yml" % tag), root,
                                    source_host, cache_dir,
                                    registry_api_url=dest.url if dest else None)
    rule = write_rule(os.path.join(workdir, "rule-%s.json" % tag), source_host, src.repo)
    argv = tributary_argv(tools, config, rule)
    cold = measure(argv, workdir, "%s-cold" % tag, source=source)
    cold["report"] = read_report(cold)
    if dest:
        cold["dest_registry_vmhwm_kib"] = vm_hwm_kib(dest.proc.pid)
    noop = measure(argv, workdir, "%s-noop" % tag, source=source)
    noop["report"] = read_report(noop)
    if dest:
        noop["dest_registry_vmhwm_kib"] = vm_hwm_kib(dest.proc.pid)
        uploads = [e for e in dest.access_log() if e[0] in ("POST", "PATCH", "PUT")
                   and "/blobs/uploads/" in e[1]]
        cold["dest_blob_uploads"] = len(uploads)
        cold["dest_manifest_puts"] = sum(1 for e in dest.access_log()
                                         if e[0] == "PUT" and "/manifests/" in e[1])
    return root, argv, cold, noop, dest


def skopeo_argv(sk, source_host, dest_host, repo):
    # Without --scoped, <src>/<ns>/<name> lands at <dest>/<name>; aim the destination
    # namespace so the repository name matches the source's.
    ns = repo.rsplit("/", 1)[0] if "/" in repo else ""
    dest = dest_host + ("/" + ns if ns else "")
    return [sk.bin, "--policy", sk.policy, "sync", "--authfile", sk.authfile,
            "--src", "docker", "--dest", "docker",
            "--src-tls-verify=false", "--dest-tls-verify=false",
            "--src-no-creds", "--dest-no-creds", "--all", "--preserve-digests",
            "%s/%s" % (source_host, repo), dest]


def run_skopeo(sk, src, source, workdir, tag):
    source_host = source.host
    root = harness.make_temp_dir("trib-bench-skdst-")
    reg = harness.Registry(root, workdir=harness.make_temp_dir("trib-bench-skreg-")).start()
    env = dict(os.environ)
    env["TMPDIR"] = sk.tmpdir
    argv = skopeo_argv(sk, source_host, reg.host, src.repo)
    cold = measure(argv, workdir, "%s-skopeo-cold" % tag, env=env, source=source)
    cold["dest_registry_vmhwm_kib"] = vm_hwm_kib(reg.proc.pid)
    noop = measure(argv, workdir, "%s-skopeo-noop" % tag, env=env, source=source)
    noop["dest_registry_vmhwm_kib"] = vm_hwm_kib(reg.proc.pid)
    return reg, argv, cold, noop


# ------------------------------------------------------------------------------------------
# Verification: destination == source (tags, manifest bytes, blob bytes)
# ------------------------------------------------------------------------------------------

def _hash_blob(client, repo, digest):
    """Stream a blob and return (sha256 digest, size) without holding it in memory."""
    url = "%s/v2/%s/blobs/%s" % (client.base_url, repo, digest)
    h = hashlib.sha256()
    n = 0
    with urllib.request.urlopen(url, timeout=120) as resp:
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
    return "sha256:" + h.hexdigest(), n


def verify(src_client, dst_client, src, deep=True):
    """Problems (list of strings) where the destination differs from the source."""
    problems = []
    src_tags = sorted(src_client.tags(src.repo) or [])
    dst_tags = sorted(dst_client.tags(src.repo) or [])
    if src_tags != dst_tags:
        problems.append("tags differ: source %s, destination %s" % (src_tags, dst_tags))
    seen_manifests, seen_blobs = set(), set()

    def check_manifest(ref):
        s = src_client.get_manifest(src.repo, ref)
        d = dst_client.get_manifest(src.repo, ref)
        if d.status != 200:
            problems.append("manifest %s: destination status %d" % (ref, d.status))
            return
        if s.body != d.body:
            problems.append("manifest %s: bytes differ" % ref)
            return
        digest = images.sha256_digest(d.body)
        if digest in seen_manifests:
            return
        seen_manifests.add(digest)
        doc = json.loads(d.body)
        for child in doc.get("manifests", []):
            check_manifest(child["digest"])
        for desc in ([doc["config"]] if "config" in doc else []) + doc.get("layers", []):
            if desc["digest"] in seen_blobs:
                continue
            seen_blobs.add(desc["digest"])
            if deep:
                got, size = _hash_blob(dst_client, src.repo, desc["digest"])
                if got != desc["digest"] or size != desc["size"]:
                    problems.append("blob %s: destination has %s (%d bytes)" % (
                        desc["digest"], got, size))
            elif not dst_client.blob_exists(src.repo, desc["digest"]):
                problems.append("blob %s missing" % desc["digest"])

    for tag in src_tags:
        if src.tags.get(tag) and images.sha256_digest(
                src_client.get_manifest(src.repo, tag).body) != src.tags[tag]:
            problems.append("source tag %s is not what was pushed" % tag)
        check_manifest(tag)
    if set(src.blob_sizes) - seen_blobs:
        problems.append("%d source blobs never reached" % len(set(src.blob_sizes) - seen_blobs))
    return problems


# ------------------------------------------------------------------------------------------
# Reporting
# ------------------------------------------------------------------------------------------

def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass

    def cmd(argv):
        try:
            return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=30, cwd=REPO_ROOT).stdout.decode().strip()
        except (OSError, subprocess.TimeoutExpired):
            return None

    mem_kib = None
    with open("/proc/meminfo") as f:
        m = re.search(r"MemTotal:\s+(\d+)", f.read())
        mem_kib = int(m.group(1)) if m else None
    return {"nproc": os.cpu_count(), "cpu_model": cpu, "mem_total_kib": mem_kib,
            "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "commit": cmd(["git", "rev-parse", "HEAD"]),
            "tree_dirty": bool(cmd(["git", "status", "--porcelain", "--untracked-files=no"])),
            "skopeo": cmd([harness.SKOPEO_BIN, "--version"]),
            "docker_registry": cmd([harness.REGISTRY_BIN, "--version"]),
            "loadavg_at_start": os.getloadavg()}


def _mib_s(nbytes, secs):
    return nbytes / MiB / secs if secs > 0 else float("inf")


def _ratio(a, b):
    return a / b if a and b else None


def evaluate(results, best=False):
    """Targets from DESIGN.md section 6, as {name, ratio, target, met}. With best=True the
    fastest repetition of each command is compared instead of the median (less sensitive to
    load from other work on the machine; both tools get the same treatment)."""
    sc = results["scenarios"]
    wall = "wall_s_min" if best else "wall_s"
    out = []

    def have(name, tool):
        return name in sc and tool in sc[name]

    def w(name, tool, phase):
        return sc[name][tool][phase][wall]

    for name in ("A", "A2", "B"):
        # registry_api mode: what publishing manifests over HTTP costs (for reference).
        if have(name, "tributary_api") and have(name, "skopeo"):
            r = _ratio(w(name, "skopeo", "cold"), w(name, "tributary_api", "cold"))
            out.append(("%s cold speed-up (skopeo / tributary_api)" % name, r, "-", None))
        if have(name, "tributary_api") and have(name, "tributary"):
            r = _ratio(w(name, "tributary_api", "cold"), w(name, "tributary", "cold"))
            out.append(("%s cold wall tributary_api/tributary (storage)" % name, r, "-", None))
    if have("A", "tributary") and have("A", "skopeo"):
        # Same bytes on both sides, so the throughput ratio is the inverse wall-time ratio.
        r = _ratio(w("A", "skopeo", "cold"), w("A", "tributary", "cold"))
        out.append(("A cold throughput tributary/skopeo", r, ">= 3.0", r is not None and r >= 3.0))
    if have("B", "tributary") and have("B", "skopeo"):
        r = _ratio(w("B", "skopeo", "cold"), w("B", "tributary", "cold"))
        out.append(("B cold speed-up (skopeo wall / tributary wall)", r, ">= 3.0",
                    r is not None and r >= 3.0))
    for name in ("A", "A2", "B"):
        for tool in TRIBUTARY_VARIANTS:
            if have(name, tool) and have(name, "skopeo"):
                r = _ratio(w(name, "skopeo", "noop"), w(name, tool, "noop"))
                out.append(("%s no-op speed-up (skopeo / %s)" % (name, tool), r, ">= 10.0",
                            r is not None and r >= 10.0))
    for name in ("A", "A2", "B"):
        if have(name, "tributary") and have(name, "skopeo"):
            t = max(sc[name]["tributary"]["cold"]["max_rss_kib"],
                    sc[name]["tributary"]["noop"]["max_rss_kib"])
            s = max(sc[name]["skopeo"]["cold"]["max_rss_kib"],
                    sc[name]["skopeo"]["noop"]["max_rss_kib"])
            r = _ratio(t, s)
            out.append(("%s peak RSS tributary/skopeo" % name, r, "<= 1.0",
                        r is not None and r <= 1.0))
    if have("A", "tributary") and have("A2", "tributary"):
        r = _ratio(sc["A2"]["tributary"]["cold"]["max_rss_kib"],
                   sc["A"]["tributary"]["cold"]["max_rss_kib"])
        # "Flat": doubling every blob may not grow peak RSS by more than 20 %.
        out.append(("tributary peak RSS A2/A (blobs x2)", r, "<= 1.2 (flat)",
                    r is not None and r <= 1.2))
    if have("A", "skopeo") and have("A2", "skopeo"):
        r = _ratio(sc["A2"]["skopeo"]["cold"]["max_rss_kib"],
                   sc["A"]["skopeo"]["cold"]["max_rss_kib"])
        out.append(("skopeo peak RSS A2/A (for reference)", r, "-", None))
    return [{"name": n, "ratio": r, "target": t, "met": m} for n, r, t, m in out]


def _fmt(x):
    return "%.2f" % x if x is not None else "n/a"


def table_rows(results):
    rows = []
    for name, sres in results["scenarios"].items():
        for tool in TOOLS:
            if tool not in sres:
                continue
            for phase in ("cold", "noop"):
                m = sres[tool][phase]
                rows.append((name, tool, phase, m["wall_s"], m["mib_per_s"],
                             m["max_rss_kib"] / 1024.0, m.get("user_s") or 0.0,
                             m.get("sys_s") or 0.0, m.get("dest_registry_vmhwm_kib"),
                             m.get("note", ""), m.get("source_requests"),
                             m.get("wall_s_all") or [m["wall_s"]]))
    return rows


def print_table(results):
    hdr = "%-3s %-16s %-5s %9s %9s %9s %7s %7s %10s %6s  %s" % (
        "sc", "tool", "phase", "wall s", "MiB/s", "RSS MiB", "user s", "sys s", "dst-reg MiB",
        "src-rq", "note")
    print(hdr)
    print("-" * len(hdr))
    for r in table_rows(results):
        print("%-3s %-16s %-5s %9.2f %9.1f %9.1f %7.2f %7.2f %10s %6s  %s" % (
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
            "%.1f" % (r[8] / 1024.0) if r[8] else "-", r[10], r[9]))
    print()
    print("%-52s %8s %8s  %-14s %s" % ("target (median | best of N)", "median", "best",
                                         "target", "median / best"))
    for e, b in zip(results["targets"], results["targets_best_of_n"]):
        print("%-52s %8s %8s  %-14s %s / %s" % (
            e["name"], _fmt(e["ratio"]), _fmt(b["ratio"]), e["target"],
            {True: "MET", False: "MISSED", None: "-"}[e["met"]],
            {True: "MET", False: "MISSED", None: "-"}[b["met"]]))


def markdown(results):
    lines = []
    mi = results["machine"]
    lines.append("Machine: %d CPUs (%s), %.1f GiB RAM, kernel %s; %s; %s; date %s" % (
        mi["nproc"], mi["cpu_model"], (mi["mem_total_kib"] or 0) / 1048576.0, mi["kernel"],
        mi["skopeo"], mi["docker_registry"], mi["date"]))
    lines.append("Commit: `%s`%s; scale %s; load average at start %.2f" % (
        mi["commit"], " (dirty tree)" if mi["tree_dirty"] else "", results["scale"],
        mi["loadavg_at_start"][0]))
    lines.append("")
    lines.append("| scenario | source | tags | blobs | manifests | bytes |")
    lines.append("|---|---|---|---|---|---|")
    for name, s in results["scenarios"].items():
        src = s["source"]
        lines.append("| %s | %s | %d | %d | %d | %.1f MiB |" % (
            name, src["description"], src["tags"], src["blobs"], src["manifests"],
            src["bytes"] / MiB))
    lines.append("")
    lines.append("| sc | tool | run | wall s (median) | all runs s | MiB/s | peak RSS MiB | "
                 "user s | sys s | dest registry VmHWM MiB | source requests | note |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in table_rows(results):
        lines.append("| %s | %s | %s | %.2f | %s | %.1f | %.1f | %.2f | %.2f | %s | %s | %s |" % (
            r[0], r[1], r[2], r[3], " ".join("%.2f" % x for x in r[11]), r[4], r[5], r[6],
            r[7], "%.1f" % (r[8] / 1024.0) if r[8] else "-", r[10], r[9]))
    lines.append("")
    lines.append("Source requests by kind:")
    lines.append("")
    for name, sres in results["scenarios"].items():
        for tool in TOOLS:
            for phase in ("cold", "noop"):
                m = sres.get(tool, {}).get(phase)
                if m and m.get("source_request_kinds"):
                    lines.append("- %s %s %s: %s" % (name, tool, phase, ", ".join(
                        "%s %d" % kv for kv in sorted(m["source_request_kinds"].items()))))
    lines.append("")
    lines.append("| target | median | best of N | target | result (median / best) |")
    lines.append("|---|---|---|---|---|")
    word = {True: "met", False: "**missed**", None: "-"}
    for e, b in zip(results["targets"], results["targets_best_of_n"]):
        lines.append("| %s | %s | %s | %s | %s / %s |" % (
            e["name"], _fmt(e["ratio"]), _fmt(b["ratio"]), e["target"], word[e["met"]],
            word[b["met"]]))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------

def find_tools(build_dir, skip_tributary):
    tools = {}
    if not os.path.exists(TIME_BIN):
        sys.exit("needs %s (GNU time)" % TIME_BIN)
    if not skip_tributary:
        cli = os.path.join(build_dir, "host-sdk", "sidecar", "tributary")
        plugin = None
        for cand in (os.path.join(build_dir, "plugin", "libtributary.so"),
                     os.path.join(build_dir, "libtributary.so")):
            if os.path.exists(cand):
                plugin = cand
                break
        if plugin is None:
            for dirpath, _dirs, files in os.walk(build_dir):
                if "libtributary.so" in files:
                    plugin = os.path.join(dirpath, "libtributary.so")
                    break
        if not os.path.exists(cli) or plugin is None:
            sys.exit("tributary CLI or libtributary.so not found under %s: build the targets "
                     "tributary_cli and tributary_plugin (Release), or pass --skip-tributary"
                     % build_dir)
        tools["tributary"] = cli
        tools["plugin"] = plugin
    return tools


def _summarise(m, src_bytes):
    m["mib_per_s"] = _mib_s(src_bytes, m["wall_s"])
    return m


def tributary_once(tools, src, source, client, workdir, label, tool, args, results, failures):
    root, argv, cold, noop, api_dest = run_tributary(tools, src, source, workdir, label,
                                                     cached=(tool == "tributary_cached"),
                                                     registry_api=(tool == "tributary_api"))
    results["commands"][tool] = " ".join(argv)
    if api_dest is not None:
        if cold.get("dest_blob_uploads"):
            failures.append("%s: %d blob uploads reached the registry" % (
                label, cold["dest_blob_uploads"]))
        try:
            problems = verify(client, RegistryClient.for_registry(api_dest), src,
                              deep=not args.shallow_verify)
        finally:
            api_dest.stop()
        shutil.rmtree(root, ignore_errors=True)
        for m, phase in ((cold, "cold"), (noop, "noop")):
            rep = m.get("report") or {}
            m["note"] = "status=%s fetched=%s" % (rep.get("status"),
                                                  rep.get("totals", {}).get("bytes"))
            if rep.get("status") != "succeeded":
                failures.append("%s %s: report status %r" % (label, phase, rep.get("status")))
        m_puts = cold.get("dest_manifest_puts")
        cold["note"] += " manifest_puts=%s blob_uploads=%s" % (m_puts,
                                                               cold.get("dest_blob_uploads"))
        return cold, noop, problems
    for m, phase in ((cold, "cold"), (noop, "noop")):
        rep = m.get("report") or {}
        totals = rep.get("totals", {})
        m["note"] = "status=%s fetched=%s" % (rep.get("status"), totals.get("bytes"))
        if rep.get("status") != "succeeded":
            failures.append("%s %s: report status %r" % (label, phase, rep.get("status")))
    if (noop.get("report") or {}).get("totals", {}).get("bytes"):
        failures.append("%s: no-op fetched bytes" % label)
    with harness.Registry(root, workdir=os.path.join(workdir, label + "-reg")) as dst:
        problems = verify(client, RegistryClient.for_registry(dst), src,
                          deep=not args.shallow_verify)
    shutil.rmtree(root, ignore_errors=True)
    return cold, noop, problems


def skopeo_once(sk, src, source, client, workdir, label, args, results):
    reg, argv, cold, noop = run_skopeo(sk, src, source, workdir, label)
    results["commands"]["skopeo"] = " ".join(argv)
    try:
        problems = verify(client, RegistryClient.for_registry(reg), src,
                          deep=not args.shallow_verify)
    finally:
        reg.stop()
    shutil.rmtree(reg.root, ignore_errors=True)
    return cold, noop, problems


def _median_run(runs, src_bytes):
    """The repetition with the median wall time; peak RSS is the worst of all of them."""
    ordered = sorted(runs, key=lambda m: m["wall_s"])
    m = dict(ordered[(len(ordered) - 1) // 2])
    m["wall_s_all"] = [r["wall_s"] for r in runs]
    m["wall_s_min"] = min(m["wall_s_all"])
    m["max_rss_kib"] = max(r["max_rss_kib"] for r in runs)
    if any(r.get("dest_registry_vmhwm_kib") for r in runs):
        m["dest_registry_vmhwm_kib"] = max(r.get("dest_registry_vmhwm_kib") or 0 for r in runs)
    m["repetitions"] = len(runs)
    return _summarise(m, src_bytes)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(REPO_ROOT, "build-bench"))
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every blob size")
    ap.add_argument("--out", default="bench-results.json")
    ap.add_argument("--markdown", help="also write the figures as Markdown to this file")
    ap.add_argument("--scenarios", default="A,A2,B", help="comma list of A, A2, B")
    ap.add_argument("--skip-tributary", action="store_true",
                    help="measure skopeo only (when the plugin/CLI are not built)")
    ap.add_argument("--tools", default=",".join(TOOLS),
                    help="comma list of %s" % ", ".join(TOOLS))
    ap.add_argument("--repeat", type=int, default=1,
                    help="repetitions per tool (fresh destinations each); the median wall "
                         "time is reported, the worst peak RSS")
    ap.add_argument("--shallow-verify", action="store_true",
                    help="HEAD blobs instead of re-hashing them in the destinations")
    args = ap.parse_args()

    build_dir = os.path.abspath(args.build_dir)
    tools = find_tools(build_dir, args.skip_tributary)
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for s in wanted:
        if s not in ("A", "A2", "B"):
            sys.exit("unknown scenario " + s)

    workdir = harness.make_temp_dir("trib-bench-")
    sk = harness.Skopeo(os.path.join(workdir, "skopeo"))
    results = {"machine": machine_info(), "scale": args.scale, "build_dir": build_dir,
               "tools": tools, "scenarios": {}, "commands": {}}
    print("workdir %s" % workdir, flush=True)

    src_root = harness.make_temp_dir("trib-bench-src-")
    with harness.Registry(src_root, workdir=os.path.join(workdir, "source")) as source:
        client = RegistryClient.for_registry(source)
        sources = {}
        t0 = time.monotonic()
        if "A" in wanted:
            sources["A"] = seed_large(client, "A", "bench/big", args.scale, 1, "bench-a")
        if "A2" in wanted:
            sources["A2"] = seed_large(client, "A2", "bench/big2x", args.scale, 2, "bench-a2")
        if "B" in wanted:
            sources["B"] = seed_multiarch(client, "B", "bench/multi", args.scale, "bench-b")
        print("seeded source %s in %.1fs: %s" % (source.host, time.monotonic() - t0, ", ".join(
            "%s=%.1f MiB" % (k, v.total_bytes / MiB) for k, v in sources.items())), flush=True)

        failures = []
        for name in wanted:
            src = sources[name]
            sres = {"source": src.summary()}
            results["scenarios"][name] = sres
            runs = {}  # tool -> [(cold, noop)], one per repetition
            chosen = [t.strip() for t in args.tools.split(",") if t.strip()]
            tools_here = [t for t in TOOLS if t in chosen and not (
                args.skip_tributary and t in TRIBUTARY_VARIANTS)]
            for rep in range(args.repeat):
                # Tools interleave within a repetition so load changes hit all of them.
                for tool in tools_here:
                    label = "%s-%s-r%d" % (name, tool, rep)
                    print("[%s] %s cold + no-op (repetition %d/%d) ..." % (
                        name, tool, rep + 1, args.repeat), flush=True)
                    if tool == "skopeo":
                        cold, noop, problems = skopeo_once(sk, src, source, client, workdir,
                                                           label, args, results)
                    else:
                        cold, noop, problems = tributary_once(tools, src, source, client,
                                                              workdir, label, tool, args,
                                                              results, failures)
                    failures += ["%s %s: %s" % (name, tool, p) for p in problems]
                    runs.setdefault(tool, []).append((cold, noop))
            for tool, reps in runs.items():
                sres[tool] = {"cold": _median_run([c for c, _ in reps], src.total_bytes),
                              "noop": _median_run([n for _, n in reps], src.total_bytes)}

    results["targets"] = evaluate(results)
    results["targets_best_of_n"] = evaluate(results, best=True)
    results["failures"] = failures
    print()
    print_table(results)
    return write_outputs(results, args.out, args.markdown, markdown(results), failures)


def write_outputs(results, out_path, markdown_path, markdown_text, failures):
    """Writes the JSON results (and the markdown table when asked for); lists verification
    failures. Returns the exit code: 1 when any failed (its figures do not count)."""
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2, default=str)
    print("\nwrote %s" % out_path)
    if markdown_path:
        with open(markdown_path, "w") as f:
            f.write(markdown_text)
        print("wrote %s" % markdown_path)
    if failures:
        print("\nVERIFICATION FAILURES (figures above do not count):")
        for f_ in failures:
            print("  " + f_)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
