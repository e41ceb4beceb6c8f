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


_INDEX_TYPES = ("application/vnd.docker.distribution.manifest.list.v2+json",
                "application/vnd.oci.image.index.v1+json")
_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
_NONDISTRIBUTABLE = "application/vnd.oci.image.layer.nondistributable."


class _BlobHashes:
    """sha256 of blob data files, cached by (path, size, mtime) so a check after every crash
    trial hashes only what changed."""

    def __init__(self):
        self._seen = {}

    def digest(self, path):
        import hashlib  # pylint: disable=import-outside-toplevel
        st = os.stat(path)
        key = (path, st.st_size, st.st_mtime_ns)
        if key not in self._seen:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            self._seen[key] = "sha256:" + h.hexdigest()
        return self._seen[key]


_HASHES = _BlobHashes()


def _read_link(path):
    try:
        with open(path, "rb") as f:
            content = f.read()
    except FileNotFoundError:
        return None, "missing"
    if not _LINK_RE.fullmatch(content):
        return None, "bad content %r" % content[:80]
    return content.decode(), None


def tag_consistency(root, require_all_children=True):
    """Every tag of every repository under <root>/docker/registry/v2, followed the way
    Distribution 2.8 serves it: tags/<tag>/current/link -> a digest whose tags/<tag>/index
    entry and _manifests/revisions link exist -> blob data hashing to that digest -> the parsed
    manifest -> for an index, every child the same way (children of a sparse index may be
    absent when require_all_children is False) -> for an image, its config and every layer
    (foreign / non-distributable ones excepted) linked in the repository's _layers with data
    of the descriptor's size and digest.

    Returns (problems, {repository: {tag: digest}}): problems is empty when every tag a
    registry lists can be pulled whole."""
    v2 = os.path.join(root, "docker", "registry", "v2")
    repos_dir = os.path.join(v2, "repositories")
    problems, served = [], {}

    def blob_path(digest):
        alg, hexpart = digest.split(":", 1)
        return os.path.join(v2, "blobs", alg, hexpart[:2], hexpart, "data")

    def check_blob(where, digest, size=None):
        path = blob_path(digest)
        if not os.path.isfile(path):
            problems.append("%s: blob data of %s missing" % (where, digest))
            return None
        if size is not None and os.path.getsize(path) != size:
            problems.append("%s: blob %s has %d bytes, descriptor says %d" % (
                where, digest, os.path.getsize(path), size))
            return None
        if digest.startswith("sha256:") and _HASHES.digest(path) != digest:
            problems.append("%s: blob data of %s hashes to %s" % (where, digest,
                                                                 _HASHES.digest(path)))
            return None
        return path

    def check_manifest(repo_dir, where, digest, depth=0):
        alg, hexpart = digest.split(":", 1)
        rev, err = _read_link(os.path.join(repo_dir, "_manifests", "revisions", alg, hexpart,
                                           "link"))
        if rev != digest:
            problems.append("%s: revision link of %s %s" % (where, digest, err or
                                                            "names " + str(rev)))
            return
        path = check_blob(where, digest)
        if path is None:
            return
        with open(path, "rb") as f:
            try:
                doc = json.loads(f.read())
            except ValueError as e:
                problems.append("%s: manifest %s is not JSON: %s" % (where, digest, e))
                return
        if doc.get("mediaType") in _INDEX_TYPES or ("manifests" in doc and "layers" not in doc):
            if depth > 0:
                problems.append("%s: nested index %s" % (where, digest))
                return
            for child in doc.get("manifests") or []:
                child_rev = os.path.join(repo_dir, "_manifests", "revisions",
                                         *child["digest"].split(":", 1), "link")
                if not require_all_children and not os.path.exists(child_rev):
                    continue
                check_manifest(repo_dir, "%s > %s" % (where, child["digest"][7:19]),
                               child["digest"], depth + 1)
            return
        descriptors = [doc.get("config") or {}] + list(doc.get("layers") or [])
        for d in descriptors:
            mt = d.get("mediaType", "")
            if mt == _FOREIGN_LAYER or mt.startswith(_NONDISTRIBUTABLE):
                continue
            if "digest" not in d:
                problems.append("%s: descriptor without digest in %s" % (where, digest))
                continue
            la, lh = d["digest"].split(":", 1)
            link, err = _read_link(os.path.join(repo_dir, "_layers", la, lh, "link"))
            if link != d["digest"]:
                problems.append("%s: _layers link of %s %s" % (where, d["digest"], err or
                                                              "names " + str(link)))
                continue
            check_blob(where, d["digest"], d.get("size"))

    for dirpath, dirnames, _files in os.walk(repos_dir):
        if "_manifests" not in dirnames:
            continue
        repo = os.path.relpath(dirpath, repos_dir)
        dirnames[:] = [d for d in dirnames if not d.startswith("_")]
        tags_dir = os.path.join(dirpath, "_manifests", "tags")
        if not os.path.isdir(tags_dir):
            continue
        for tag in sorted(os.listdir(tags_dir)):
            where = "%s:%s" % (repo, tag)
            tag_dir = os.path.join(tags_dir, tag)
            if not os.path.isdir(tag_dir):
                problems.append("%s: not a directory in tags/" % where)
                continue
            digest, err = _read_link(os.path.join(tag_dir, "current", "link"))
            if digest is None:
                # the registry lists every directory in tags/: this one would answer 404/500
                problems.append("%s: current/link %s" % (where, err))
                continue
            alg, hexpart = digest.split(":", 1)
            idx, err = _read_link(os.path.join(tag_dir, "index", alg, hexpart, "link"))
            if idx != digest:
                problems.append("%s: tag index entry for %s %s" % (where, digest, err or
                                                                   "names " + str(idx)))
            served.setdefault(repo, {})[tag] = digest
            check_manifest(dirpath, where, digest)
    return problems, served


def temp_files(*roots):
    """Everything under <root>/docker/registry/v2 (for each root) that a finished write does
    not leave: names starting with `.tmp-` (Tributary's temp files and tag staging
    directories) and files named neither `data` nor `link`. `_uploads` is the registry's."""
    out = []
    for root in roots:
        v2 = os.path.join(root, "docker", "registry", "v2")
        for dirpath, dirnames, filenames in os.walk(v2):
            rel = os.path.relpath(dirpath, v2)
            if "_uploads" in rel.split(os.sep):
                continue
            for name in dirnames + filenames:
                if name.startswith(".tmp-") or (name in filenames and
                                                name not in ("data", "link")):
                    out.append(os.path.join(rel, name))
    return out
