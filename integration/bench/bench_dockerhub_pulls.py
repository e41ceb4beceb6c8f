#!/usr/bin/env python3
"""Docker Hub pulls spent per synced tag: `tributary sync` vs `skopeo sync`, same rule, same run.

Not a test: run by hand (see README.md, RESULTS.md "Docker Hub pull budget"). Everything is on
127.0.0.1: a real docker-registry holds the images, vendoremu.DockerHub serves Docker Hub's
registry, token service, Hub tags API and blob CDN in front of it over HTTPS with a test CA.
The emulator counts pulls the way Docker Hub does for its rate limit (Docker's pull usage
documentation): one pull per manifest GET (a multi-arch tag costs the index plus one per
platform child fetched); HEAD is not counted. The rate-limit headers are sent on every answer.

Source: library/app, 7 tags with Hub push times unlike both name and config-`created` order;
the 5 newest by push time are 3 multi-arch tags (3 platforms each) and 2 single-arch ones.
Rules (tributary `type: dockerhub`, `latest_n: 5`), each also as the equivalent `skopeo sync`
of exactly the 5 tags tributary chose (a YAML source listing them):

  all      all platforms        skopeo sync --all
  amd64    platforms [linux/amd64]   skopeo sync (no --all, --override-os linux --override-arch amd64)

Each tool: cold into a fresh destination, then the same command again (no-op); repeated
--repeat times with fresh destinations. Then, once, a tight budget (fewer pulls per window than
the cold rule needs): tributary defers what does not fit and draws no 429; skopeo has no
budget awareness and runs into the 429.

    python3 integration/bench/bench_dockerhub_pulls.py --build-dir build --repeat 5 \
        --out bench-dockerhub.json --markdown bench-dockerhub.md
"""

import argparse
import json
import os
import shutil
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import images  # noqa: E402
import regclient  # noqa: E402
import run_bench  # noqa: E402
import vendoremu  # noqa: E402

REPO = "library/app"
MULTI = ["2.0", "2.1", "2.2", "2.3"]      # 3-platform manifest lists
SINGLE = ["1.0", "1.1", "1.2"]            # single-arch (linux/amd64) manifests
# Hub push order, newest first: 3 multi-arch and 2 single-arch tags are the newest 5.
PUSH_ORDER = ["2.2", "1.1", "2.0", "1.2", "2.3", "2.1", "1.0"]
PUSHED = {t: "2025-06-%02dT12:00:00Z" % (28 - i) for i, t in enumerate(PUSH_ORDER)}
# config `created`: the reverse of the push order, so only the Hub's times pick the right 5.
CREATED = {t: "2024-01-%02dT00:00:00Z" % (10 + i) for i, t in enumerate(PUSH_ORDER)}
NEWEST5 = PUSH_ORDER[:5]
RULES = {
    "all": {"platforms": None, "skopeo": ["--all"]},
    "amd64": {"platforms": ["linux/amd64"],
              "skopeo": ["--override-os", "linux", "--override-arch", "amd64"]},
}


def seed(client):
    hub_platforms = {}
    for t in MULTI:
        art = images.make_multiarch("hubbench/" + t, created=CREATED[t],
                                    layer_sizes=(64 * 1024,))
        images.push_artifact(client, REPO, art, [t])
        hub_platforms["%s:%s" % (REPO, t)] = [dict(p) for p in images.PLATFORMS]
    for t in SINGLE:
        art = images.make_image("hubbench/" + t, layer_sizes=(64 * 1024,), created=CREATED[t])
        images.push_artifact(client, REPO, art, [t])
        hub_platforms["%s:%s" % (REPO, t)] = [{"os": "linux", "architecture": "amd64"}]
    return hub_platforms


class HubCounter:
    """Requests the emulator's registry answered between two snapshots, by kind."""

    def __init__(self, hub):
        self.hub = hub
        self.start_requests = len(hub.requests)
        self.start_gets = hub.manifest_gets
        self.start_429 = hub.too_many

    def result(self):
        reqs = self.hub.requests[self.start_requests:]
        kinds = {}
        for r in reqs:
            if r["role"] == "registry":
                path = r["path"].split("?")[0]
                kind = "manifests" if "/manifests/" in path else "blobs" if "/blobs/" in path \
                    else "tags" if path.endswith("/tags/list") else path
                key = "%s %s" % (r["method"], kind)
            else:
                key = "%s %s" % (r["role"], r["method"])
            kinds[key] = kinds.get(key, 0) + 1
        return {"pulls": self.hub.manifest_gets - self.start_gets,
                "too_many": self.hub.too_many - self.start_429,
                "manifest_heads": kinds.get("HEAD manifests", 0),
                "requests": len(reqs), "kinds": kinds}


def tributary_config(path, root, hub, certs, cache_dir, plugin):
    cfg = harness.registry_config(root, harness.free_port())
    cfg["replication"] = {"provider": {
        "library": plugin,
        "config": vendoremu.provider_config(certs, hub.hosts(), cache_dir=cache_dir,
                                            endpoints=hub.endpoints())}}
    harness.write_config(path, cfg)


def run_tributary(tools, hub, certs, work, label, rule_name):
    root = harness.make_temp_dir("trib-bench-hub-dst-")
    cfg = os.path.join(work, label + ".yml")
    tributary_config(cfg, root, hub, certs, os.path.join(work, label + "-cache"),
                     tools["plugin"])
    rule = vendoremu.vendor_rule("dockerhub", "app", "mirror/app", name="hub-bench",
                                 latest_n=5, platforms=RULES[rule_name]["platforms"])
    rule_path = os.path.join(work, label + "-rule.json")
    with open(rule_path, "w") as f:
        json.dump(rule, f)
    argv = [tools["tributary"], "sync", "--config", cfg, "--rule", rule_path, "--json",
            "--library", tools["plugin"]]
    out = {"argv": argv}
    for phase in ("cold", "noop"):
        c = HubCounter(hub)
        m = run_bench.measure(argv, work, "%s-%s" % (label, phase))
        m.update(c.result())
        rep = run_bench.read_report(m) or {}
        acts = {t["tag"]: t["action"] for t in rep.get("tags", [])}
        m["actions"] = acts
        m["status"] = rep.get("status")
        m["synced"] = sorted(t for t, a in acts.items() if a == "synced")
        m["checked"] = sorted(t for t, a in acts.items() if a in ("synced", "unchanged"))
        m["budget"] = rep.get("budget")
        out[phase] = m
    with harness.Registry(root, workdir=os.path.join(work, label + "-dreg")) as dreg:
        out["dest_tags"] = sorted(regclient.RegistryClient.for_registry(dreg).tags(
            "mirror/app") or [])
    shutil.rmtree(root, ignore_errors=True)
    return out


def skopeo_yaml(path, hub, certs, tags):
    # skopeo's sync YAML source: the registry host with its CA dir, the repository and the
    # exact tag list (JSON is YAML).
    doc = {hub.servers["registry"].host: {"tls-verify": True, "cert-dir": certs.certs_dir,
                                          "images": {REPO: list(tags)}}}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def run_skopeo(sk, hub, certs, work, label, rule_name, tags, env):
    root = harness.make_temp_dir("trib-bench-hub-skdst-")
    reg = harness.Registry(root, workdir=harness.make_temp_dir("trib-bench-hub-skreg-")).start()
    src = os.path.join(work, label + "-src.yaml")
    skopeo_yaml(src, hub, certs, tags)
    argv = [sk.bin, "--policy", sk.policy, "sync", "--authfile", sk.authfile,
            "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", "--dest-no-creds",
            "--preserve-digests"] + RULES[rule_name]["skopeo"] + [src, reg.host + "/mirror"]
    out = {"argv": argv}
    try:
        for phase in ("cold", "noop"):
            c = HubCounter(hub)
            try:
                m = run_bench.measure(argv, work, "%s-%s" % (label, phase), env=env)
            except RuntimeError as e:
                m = {"failed": str(e)[-600:]}
            m.update(c.result())
            out[phase] = m
        client = regclient.RegistryClient.for_registry(reg)
        # skopeo places a YAML source's image under <dest>/<last path component>.
        out["dest_tags"] = sorted(client.tags("mirror/app") or [])
    finally:
        reg.stop()
        shutil.rmtree(root, ignore_errors=True)
    return out


def summary(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fmt_range(s, unit="", digits=0):
    if s is None:
        return "-"
    f = "%%.%df%s" % (digits, unit)
    if s["min"] == s["max"]:
        return f % s["median"]
    return (f + " (" + f + "–" + f + ")") % (s["median"], s["min"], s["max"])


def markdown(results):
    mi = results["machine"]
    lines = ["Machine: %d CPUs (%s), kernel %s; %s; date %s; commit `%s`%s; load average "
             "(1/5/15 min) at start %s, at end %s" % (
                 mi["nproc"], mi["cpu_model"], mi["kernel"], mi["skopeo"], mi["date"],
                 mi["commit"][:7], " (dirty tree)" if mi["tree_dirty"] else "",
                 " ".join("%.1f" % x for x in mi["loadavg_at_start"]),
                 " ".join("%.1f" % x for x in results["loadavg_at_end"])), ""]
    lines.append("| rule | tool | run | tags synced | counted pulls (manifest GETs) | pulls per "
                 "synced tag | manifest HEADs | all requests to the Hub | 429s | wall s "
                 "median (min–max) |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for rule_name, per_tool in results["rules"].items():
        for tool in ("tributary", "skopeo"):
            for phase in ("cold", "noop"):
                s = per_tool[tool][phase]
                lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    rule_name, tool, "no-op" if phase == "noop" else phase, s["synced"],
                    fmt_range(s["pulls"]), fmt_range(s["pulls_per_tag"], digits=2),
                    fmt_range(s["manifest_heads"]), fmt_range(s["requests"]),
                    fmt_range(s["too_many"]), fmt_range(s["wall_s"], digits=3)))
    t = results.get("tight")
    if t:
        lines.append("")
        lines.append("Tight budget (%d pulls per window, rule `all` needs %d cold):" % (
            t["limit"], t["needed"]))
        lines.append("")
        lines.append("| tool | exit | tags synced | deferred | counted pulls | 429s drawn |")
        lines.append("|---|---|---|---|---|---|")
        for tool in ("tributary", "skopeo"):
            r = t[tool]
            lines.append("| %s | %s | %d | %s | %d | %d |" % (
                tool, r["exit"], r["synced"], r.get("deferred", "-"), r["pulls"],
                r["too_many"]))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(run_bench.REPO_ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rules", default="all,amd64")
    ap.add_argument("--out", default="bench-dockerhub.json")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    tools = run_bench.find_tools(os.path.abspath(args.build_dir), False)
    work = harness.make_temp_dir("trib-bench-hub-")
    print("workdir %s" % work, flush=True)
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    # Never docker.io: every reference is a 127.0.0.1:port one; an empty registries.conf
    # rules out any unqualified-search or mirror entry of the machine's own configuration.
    regconf = os.path.join(work, "registries.conf")
    with open(regconf, "w") as f:
        f.write("unqualified-search-registries = []\n")
    env = dict(os.environ, TMPDIR=sk.tmpdir, CONTAINERS_REGISTRIES_CONF=regconf)
    certs = harness.make_ca_and_server_cert(os.path.join(work, "tls"))
    results = {"machine": run_bench.machine_info(), "rules": {}, "runs": {}}
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as upstream:
        hub_platforms = seed(regclient.RegistryClient.for_registry(upstream))
        pushed = {"%s:%s" % (REPO, t): v for t, v in PUSHED.items()}
        with vendoremu.DockerHub(upstream, certs, pushed=pushed, platforms=hub_platforms,
                                 limit=100000, window=21600, page_size=3) as hub:
            for rule_name in [r.strip() for r in args.rules.split(",") if r.strip()]:
                runs = {"tributary": [], "skopeo": []}
                for rep in range(args.repeat):
                    label = "%s-r%d" % (rule_name, rep)
                    t = run_tributary(tools, hub, certs, work, "trib-" + label, rule_name)
                    assert t["cold"]["synced"] == sorted(NEWEST5), t["cold"]["actions"]
                    assert t["noop"]["synced"] == [] and t["noop"]["status"] == "succeeded", \
                        t["noop"]["actions"]
                    assert t["dest_tags"] == sorted(NEWEST5), t["dest_tags"]
                    s = run_skopeo(sk, hub, certs, work, "sk-" + label, rule_name, NEWEST5, env)
                    assert s["dest_tags"] == sorted(NEWEST5), s
                    assert "failed" not in s["cold"] and "failed" not in s["noop"], s
                    runs["tributary"].append(t)
                    runs["skopeo"].append(s)
                    print("[%s %d/%d] pulls cold/no-op: tributary %d/%d, skopeo %d/%d" % (
                        rule_name, rep + 1, args.repeat, t["cold"]["pulls"],
                        t["noop"]["pulls"], s["cold"]["pulls"], s["noop"]["pulls"]),
                        flush=True)
                per_tool = {}
                for tool, reps in runs.items():
                    per_tool[tool] = {}
                    for phase in ("cold", "noop"):
                        ms = [r[phase] for r in reps]
                        per_tool[tool][phase] = {
                            "synced": len(NEWEST5) if phase == "cold" else 0,
                            "pulls": summary([m["pulls"] for m in ms]),
                            # per tag of the rule: the no-op checks the same 5 tags
                            "pulls_per_tag": summary([m["pulls"] / len(NEWEST5) for m in ms]),
                            "manifest_heads": summary([m["manifest_heads"] for m in ms]),
                            "requests": summary([m["requests"] for m in ms]),
                            "too_many": summary([m["too_many"] for m in ms]),
                            "wall_s": summary([m["wall_s"] for m in ms]),
                            "kinds": ms[0]["kinds"],
                        }
                    per_tool[tool]["command"] = " ".join(reps[0]["argv"])
                results["rules"][rule_name] = per_tool
                results["runs"][rule_name] = runs
        # -- a budget smaller than the cold rule needs ------------------------------------
        needed = results["rules"].get("all", {}).get("tributary", {}).get("cold", {}).get(
            "pulls", {}).get("median")
        if needed:
            limit = int(needed) // 2
            tight = {"limit": limit, "needed": int(needed)}
            with vendoremu.DockerHub(upstream, certs, pushed=pushed, platforms=hub_platforms,
                                     limit=limit, window=3600, page_size=3) as hub:
                t = run_tributary(tools, hub, certs, work, "trib-tight", "all")
                tight["tributary"] = {
                    "exit": t["cold"]["returncode"], "synced": len(t["cold"]["synced"]),
                    "deferred": sum(1 for a in t["cold"]["actions"].values()
                                    if a == "deferred"),
                    "pulls": t["cold"]["pulls"], "too_many": t["cold"]["too_many"],
                    "status": t["cold"]["status"]}
            with vendoremu.DockerHub(upstream, certs, pushed=pushed, platforms=hub_platforms,
                                     limit=limit, window=3600, page_size=3) as hub:
                s = run_skopeo(sk, hub, certs, work, "sk-tight", "all", NEWEST5, env)
                tight["skopeo"] = {"exit": 1 if "failed" in s["cold"] else 0,
                                   "synced": len(s["dest_tags"]), "pulls": s["cold"]["pulls"],
                                   "too_many": s["cold"]["too_many"],
                                   "error": s["cold"].get("failed", "")[-300:]}
            results["tight"] = tight
            print("tight budget:", json.dumps(tight), flush=True)
    results["loadavg_at_end"] = os.getloadavg()
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1, default=str)
    md = markdown(results)
    print(md)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
