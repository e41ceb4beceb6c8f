"""Plans for trib_storage_writer (integration/tools/storage_writer.cpp).

A plan lists blob files to write, then per repository the blobs to link, the manifests to
store in order (children before their index) and the tags to set (the commit points).
"""

import json
import os

import images


def build_plan(workdir, entries):
    """entries: [(repo, artifact, [tags])] (artifact = images.Image or images.Index).

    Writes blob and manifest files under workdir and returns the plan dict."""
    blob_dir = os.path.join(workdir, "blobs")
    manifest_dir = os.path.join(workdir, "manifests")
    os.makedirs(manifest_dir, exist_ok=True)
    blobs, seen_blobs, repos = [], set(), {}
    for repo, artifact, tags in entries:
        paths = images.write_blob_files(blob_dir, artifact.blobs())
        for b in artifact.blobs():
            if b.digest not in seen_blobs:
                seen_blobs.add(b.digest)
                blobs.append({"path": paths[b.digest], "digest": b.digest, "size": b.size})
        r = repos.setdefault(repo, {"name": repo, "links": [], "manifests": [], "tags": []})
        for b in artifact.blobs():
            if b.digest not in r["links"]:
                r["links"].append(b.digest)
        for digest, data, _mt in artifact.manifests():
            path = os.path.join(manifest_dir, digest.replace(":", "-"))
            with open(path, "wb") as f:
                f.write(data)
            if all(m["digest"] != digest for m in r["manifests"]):
                r["manifests"].append({"path": path, "digest": digest})
        for t in tags:
            r["tags"].append({"tag": t, "digest": artifact.digest})
    return {"blobs": blobs, "repositories": list(repos.values())}


def write_plan(workdir, entries, name="plan.json"):
    """build_plan + write it; returns the plan file path."""
    os.makedirs(workdir, exist_ok=True)
    plan = build_plan(workdir, entries)
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        json.dump(plan, f, indent=1)
    return path
