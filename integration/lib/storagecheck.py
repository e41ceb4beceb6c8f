"""Running trib_storage_writer and checking the storage tree it leaves."""

import json
import os
import re
import subprocess

import harness

_LINK_RE = re.compile(rb"(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})")


def writer_path():
    return harness.require_env_file("TRIB_STORAGE_WRITER")


def run_writer(root, plan_path, *options, timeout=120):
    """Run the driver; returns CompletedProcess (returncode -9 after --kill-at-step)."""
    argv = [writer_path(), "--root", root, "--plan", plan_path] + [str(o) for o in options]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def write_ok(root, plan_path):
    res = run_writer(root, plan_path)
    if res.returncode != 0:
        raise AssertionError("trib_storage_writer failed (%d):\n%s%s" % (
            res.returncode, res.stdout.decode(errors="replace"),
            res.stderr.decode(errors="replace")))
    return res


def count_steps(root, plan_path):
    """(number of fault-hook steps, their names) for a clean run on `root` (which it writes)."""
    res = run_writer(root, plan_path, "--count-steps")
    if res.returncode != 0:
        raise AssertionError("count-steps run failed: %s" % res.stderr.decode(errors="replace"))
    doc = json.loads(res.stdout.decode().strip().splitlines()[-1])
    return doc["steps"], doc["names"]


def storage_tree_problems(root, allow_temp=False):
    """Things in <root>/docker/registry/v2 a stock registry would trip on.

    Always: every `link` must be exactly a digest (no newline); tag dirs may hold only
    current/ and index/. Unless allow_temp: every file must be named `data` or `link` (a
    finished write leaves no temp files)."""
    problems = []
    v2 = os.path.join(root, "docker", "registry", "v2")
    for dirpath, dirnames, filenames in os.walk(v2):
        rel = os.path.relpath(dirpath, v2)
        parts = rel.split(os.sep)
        if "_uploads" in parts:
            continue
        if len(parts) >= 2 and parts[-1] == "tags" and parts[-2] == "_manifests":
            for f in filenames:
                problems.append("file directly in tags dir (listed as a tag): %s/%s" % (rel, f))
        if len(parts) >= 3 and parts[-2] == "tags" and parts[-3] == "_manifests":
            for name in dirnames + filenames:
                if name not in ("current", "index"):
                    problems.append("unexpected entry in tag dir: %s/%s" % (rel, name))
        for f in filenames:
            path = os.path.join(dirpath, f)
            if f == "link":
                with open(path, "rb") as fh:
                    content = fh.read()
                if not _LINK_RE.fullmatch(content):
                    problems.append("bad link %s: %r" % (os.path.join(rel, f), content[:80]))
            elif f != "data" and not allow_temp:
                problems.append("stray file %s" % os.path.join(rel, f))
    return problems
