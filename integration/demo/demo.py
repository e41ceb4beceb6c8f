#!/usr/bin/env python3
"""Tributary in one minute, on loopback only.

1. starts a source docker-registry with generated sample images (a multi-arch image and a few
   versioned single-arch tags);
2. writes a registry config.yml for a fresh, empty destination storage root, with a
   `replication:` section, and a subscription rule;
3. starts `tributary serve` and a stock docker-registry, both from the SAME config.yml (the
   service writes into the storage root, the registry serves it);
4. creates the rule with the CLI (`tributary rules create`), shows the plan, executes it and
   waits (`tributary execute --wait`);
5. pulls every synced tag back with skopeo and compares digests with the source's;
6. executes again (a no-op), shows the tasks and the service's metrics and how to open the API;
and stops every process it started (the service by SIGTERM: it must exit 0), by PID, even when
something fails.
Exit status 0 when every digest matched, 1 otherwise.

    python3 integration/demo/demo.py --build-dir build [--keep]
"""

import argparse
import json
import shutil
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "integration", "lib"))

import harness  # noqa: E402  (after the path set-up above)
import images  # noqa: E402
import regclient  # noqa: E402

SRC_REPO = "demo/hello"
DEST_REPO = "mirror/hello"
OK, BAD = "\u2713", "\u2717"


def say(text=""):
    print(text, flush=True)


def step(n, total, title):
    say()
    say("[%d/%d] %s" % (n, total, title))


def indent(text, prefix="      "):
    return "\n".join(prefix + line if line else line for line in text.rstrip("\n").split("\n"))


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def short(digest):
    return digest[:19] if digest else "-"


def sample_images():
    """The source repository: {tag: artifact}, plus what the rule should select (newest first)."""
    base = images.make_layer("demo/base", 64 * 1024)

    def app(version, created):
        return images.make_image("demo/hello/" + version, created=created,
                                 layers=[base, images.make_layer("demo/hello/%s" % version,
                                                                 32 * 1024)])

    tags = {
        "1.0": app("1.0", "2024-01-10T09:00:00Z"),
        "1.1": app("1.1", "2024-02-10T09:00:00Z"),
        "1.2": app("1.2", "2024-03-10T09:00:00Z"),
        "2.0": images.make_multiarch("demo/hello/2.0", oci=True, attestations=True,
                                     created="2024-04-10T09:00:00Z", shared_layers=[base],
                                     layer_sizes=(48 * 1024,)),
        "dev": app("dev", "2024-05-01T09:00:00Z"),
    }
    tags["latest"] = tags["2.0"]
    # Rule: versions and latest (not dev), the 4 newest by image creation time.
    expected = ["latest", "2.0", "1.2", "1.1"]
    return tags, expected


RULE = {
    "name": "hello-mirror",
    "source": {"type": "custom", "domain": None, "repository": SRC_REPO},
    "policy": {"tag_regex": "[0-9]+\\.[0-9]+|latest", "latest_n": 4},
    "destination": {"repository": DEST_REPO, "overwrite": False},
    "acceleration": False,
    "update_period": "manual",
}

CONFIG_TEMPLATE = """\
# A stock docker-registry config.yml; Distribution ignores the replication: section,
# `tributary serve` reads it (and the storage root) from this same file.
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
replication:
  state_dir: {state}
  edition: basic                       # 10 rules
  workers: 2
  admin:
    addr: 127.0.0.1:{admin_port}
    token_file: {token}
  provider:
    library: {plugin}
    config:
      concurrency: 4
      insecure_registries: ["{source}"]   # the demo source speaks plain HTTP
      allow_private_networks: true           # ... and lives on 127.0.0.1
"""


def cli(tributary, config, *args):
    argv = [tributary] + list(args) + ["--config", config]
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    return res.returncode, res.stdout.decode(errors="replace"), res.stderr.decode(errors="replace")


def serve_destination(config_path, port, log_path, write_config):
    """docker-registry serve <the same config.yml>; a few ports are tried if one is taken."""
    for _attempt in range(5):
        write_config(port)
        proc = harness.start_process([harness.REGISTRY_BIN, "serve", config_path], log_path)
        url = "http://127.0.0.1:%d/v2/" % port
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return proc, port
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        harness.stop_process(proc)
        port = harness.free_port()
    with open(log_path, errors="replace") as f:
        raise RuntimeError("destination docker-registry did not start:\n" + f.read()[-3000:])


def start_service(tributary, config_path, admin_port, log_path):
    proc = harness.start_process([tributary, "serve", "--config", config_path], log_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/healthz" % admin_port, timeout=2).close()
            return proc
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.05)
    with open(log_path, errors="replace") as f:
        raise RuntimeError("tributary serve did not start:\n" + f.read()[-3000:])


def api_get(admin_port, token, path):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (admin_port, path))
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read().decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--tributary", help="tributary binary (default: <build>/host-sdk/sidecar/)")
    ap.add_argument("--plugin", help="libtributary.so (default: <build>/plugin/)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir for a look around")
    args = ap.parse_args()
    if args.keep:
        os.environ["TRIB_KEEP_TMP"] = "1"
    build = os.path.abspath(args.build_dir)
    tributary = os.path.abspath(args.tributary or os.path.join(build, "host-sdk", "sidecar",
                                                               "tributary"))
    plugin = os.path.abspath(args.plugin or os.path.join(build, "plugin", "libtributary.so"))
    for what, path in (("tributary", tributary), ("libtributary.so", plugin)):
        if not os.path.exists(path):
            say("demo: %s not found at %s - build first (scripts/setup.sh)" % (what, path))
            return 2
    for tool in (harness.REGISTRY_BIN, harness.SKOPEO_BIN):
        if not shutil.which(tool):
            say("demo: %s is not installed - run scripts/setup.sh" % tool)
            return 2

    work = harness.make_temp_dir("tributary-demo-")
    total = 6
    problems = []
    say("Tributary demo: a registry subscribed to an upstream repository through the")
    say("`tributary serve` service. Everything runs on 127.0.0.1; work dir " + work)

    # -- 1. source ---------------------------------------------------------------------------
    step(1, total, "Source: a docker-registry with sample images")
    tags, expected = sample_images()
    src = harness.Registry(os.path.join(work, "source-root"), workdir=os.path.join(work, "source"))
    dest_proc = service = None
    try:
        src.start()
        sc = regclient.RegistryClient.for_registry(src)
        for tag, art in tags.items():
            images.push_artifact(sc, SRC_REPO, art, [tag])
        say("      %s/%s" % (src.host, SRC_REPO))
        for tag in sorted(tags, key=lambda t: tags[t].created):
            art = tags[tag]
            if art.kind == "index":
                kind = "multi-arch: " + ", ".join(images.platform_string(c.platform)
                                                  for c in art.platform_children())
            else:
                kind = "single-arch " + images.platform_string(art.platform)
            say("      %-7s created %s  %s  (%s)" % (tag, art.created, short(art.digest), kind))

        # -- 2. destination config + rule ----------------------------------------------------
        step(2, total, "Destination: an empty storage root, its config.yml and a rule")
        dest_root = os.path.join(work, "destination-root")
        state = os.path.join(work, "tributary-state")
        config_path = os.path.join(work, "config.yml")
        token_path = os.path.join(work, "admin.token")
        token = "demo-" + os.urandom(16).hex()
        with open(token_path, "w") as f:
            f.write(token + "\n")
        os.chmod(token_path, 0o600)
        admin_port = harness.free_port()

        def write_config(port):
            with open(config_path, "w") as f:
                f.write(CONFIG_TEMPLATE.format(root=dest_root, port=port, plugin=plugin,
                                               source=src.host, state=state,
                                               admin_port=admin_port, token=token_path))

        dest_port = harness.free_port()
        write_config(dest_port)
        rule = json.loads(json.dumps(RULE))
        rule["source"]["domain"] = src.host
        rule_path = os.path.join(work, "rule.json")
        with open(rule_path, "w") as f:
            json.dump(rule, f, indent=2)
        say("      %s:" % config_path)
        with open(config_path) as f:
            say(indent("".join(line for line in f if not line.startswith("#")), "        "))
        say("      %s:" % rule_path)
        say(indent("{" + ",\n ".join("%s: %s" % (json.dumps(k), json.dumps(v))
                                      for k, v in rule.items()) + "}", "        "))
        say("      = the 4 newest tags matching %s, newest by image creation time" %
            rule["policy"]["tag_regex"])

        # -- 3. the service and the registry, one config -------------------------------------
        step(3, total, "Start `tributary serve` and a stock docker-registry (same config.yml)")
        os.makedirs(dest_root, exist_ok=True)
        dest_proc, dest_port = serve_destination(config_path, dest_port,
                                                 os.path.join(work, "destination.log"),
                                                 write_config)
        service = start_service(tributary, config_path, admin_port,
                                os.path.join(work, "tributary-serve.log"))
        say("      $ tributary serve --config config.yml        (pid %d)" % service.pid)
        say("      $ docker-registry serve config.yml           (pid %d)" % dest_proc.pid)
        say("      admin API on http://127.0.0.1:%d, registry on http://127.0.0.1:%d" % (
            admin_port, dest_port))

        # -- 4. create, plan, execute ----------------------------------------------------------
        step(4, total, "Create the rule, look at the plan, execute it and wait (CLI over the API)")
        for argv in (("rules", "create", "-f", rule_path), ("rules", "list"),
                     ("plan", "hello-mirror"), ("execute", "hello-mirror", "--wait")):
            say("      $ tributary %s --config config.yml" % " ".join(
                os.path.basename(a) if a == rule_path else a for a in argv))
            code, out, err = cli(tributary, config_path, *argv)
            say(indent(out if code == 0 else out + err, "        "))
            if code != 0:
                problems.append("tributary %s exited %d" % (argv[0], code))
                raise RuntimeError("CLI failed")

        # -- 5. pull back ---------------------------------------------------------------------
        step(5, total, "Pull every synced tag back from the stock docker-registry with skopeo")
        dest_host = "127.0.0.1:%d" % dest_port
        dc = regclient.RegistryClient("http://" + dest_host)
        listed = sorted(dc.tags(DEST_REPO) or [])
        say("      %s/%s tags: %s" % (dest_host, DEST_REPO, " ".join(listed)))
        if listed != sorted(expected):
            problems.append("destination tags %s, expected %s" % (listed, sorted(expected)))
        sk = harness.Skopeo(os.path.join(work, "skopeo"))
        say("        %-7s %-20s %-20s %s" % ("TAG", "SOURCE", "DESTINATION", "PULLED BACK"))
        for tag in expected:
            src_digest = sc.get_manifest(SRC_REPO, tag, method="HEAD").headers.get(
                "Docker-Content-Digest")
            try:
                pulled = sk.pull("docker://%s/%s:%s" % (dest_host, DEST_REPO, tag),
                                 os.path.join(work, "pulled", tag), cert_dir=None)
                dst_digest = pulled.top_digest
                detail = "%s, %s" % (plural(len(pulled.manifests), "manifest"),
                                     plural(len(pulled.blobs), "blob"))
                want = len(tags[tag].manifests()), len(tags[tag].blobs())
                if (len(pulled.manifests), len(pulled.blobs)) != want:
                    detail += " (expected %d and %d)" % want
                    dst_digest = None
            except Exception as e:  # pylint: disable=broad-except
                dst_digest, detail = None, "pull failed: %s" % str(e).splitlines()[0]
            good = dst_digest is not None and dst_digest == src_digest == tags[tag].digest
            if not good:
                problems.append("%s: source %s, destination %s (%s)" % (
                    tag, src_digest, dst_digest, detail))
            say("      %s %-7s %-20s %-20s %s" % (OK if good else BAD, tag, short(src_digest),
                                                short(dst_digest), detail))

        # -- 6. again, tasks, metrics --------------------------------------------------------
        step(6, total, "Execute again (nothing to do), the task history and the metrics")
        say("      $ tributary execute hello-mirror --wait --json --config config.yml")
        code, out, err = cli(tributary, config_path, "execute", "hello-mirror", "--wait", "--json")
        task = json.loads(out) if code == 0 else None
        if task is None:
            problems.append("second execute exited %d:\n%s" % (code, err))
        else:
            actions = ", ".join("%s %s" % (t["tag"], t["action"]) for t in task["report"]["tags"])
            say("      task %d: %s; %s" % (task["id"], task["status"], actions))
            if any(t["action"] not in ("unchanged", "beyond_latest_n")
                   for t in task["report"]["tags"]):
                problems.append("the second run was not a no-op: " + actions)
        say("      $ tributary tasks --config config.yml")
        code, out, err = cli(tributary, config_path, "tasks")
        say(indent(out if code == 0 else out + err, "        "))
        metrics = api_get(admin_port, token, "/metrics")
        say("      $ curl -H 'Authorization: Bearer ...' http://127.0.0.1:%d/metrics  (excerpt)" %
            admin_port)
        for line in metrics.splitlines():
            if line.startswith(("tributary_tasks_total", "tributary_tags_total",
                                "tributary_bytes_fetched_total", "tributary_queue_depth")):
                say("        " + line)
        if 'tributary_tasks_total{rule="hello-mirror",status="succeeded"} 2' not in metrics:
            problems.append("metrics do not count the two succeeded tasks")
        say()
        say("      To open the API yourself while a service runs (here: --keep and start it again):")
        say("        curl -H \"Authorization: Bearer $(cat %s)\" \\" % token_path)
        say("             http://127.0.0.1:%d/api/v1/rules" % admin_port)
        say("      The admin page: http://127.0.0.1:%d/ (paste the token).  Reference: docs/serve.md"
            % admin_port)
    except Exception as e:  # pylint: disable=broad-except
        if not problems:
            problems.append("demo error: %s" % e)
    finally:
        if service is not None:
            service.send_signal(signal.SIGTERM)
            try:
                code = service.wait(timeout=15)
                if code != 0:
                    problems.append("tributary serve exited %d on SIGTERM" % code)
                else:
                    say("      tributary serve stopped on SIGTERM (exit 0)")
            except subprocess.TimeoutExpired:
                problems.append("tributary serve did not stop within 15 s of SIGTERM")
            harness.stop_process(service)
        if dest_proc is not None:
            harness.stop_process(dest_proc)
        src.stop()

    say()
    if problems:
        say("%s demo FAILED:" % BAD)
        for p in problems:
            say("  - " + p)
        return 1
    say("%s every synced tag came back from the destination with the source's digest;" % OK)
    say("  the second run fetched nothing. All processes stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
