"""`tributary serve`'s stored-tags view (`GET /api/v1/repositories/{name}/tags`) over both
storage drivers, checked against what a stock docker-registry serves from the same storage.

One source registry holds a Docker manifest list (three platforms), an OCI index with
attestation children (platform unknown/unknown) and a single-arch arm64/v8 image. Two services
sync it with one rule each, executed through the API:
  - one over `storage.s3`: a bucket of a real Swift (s3api) on loopback, served by a stock
    docker-registry with the `s3` driver on the same bucket and rootdirectory;
  - one over `storage.filesystem`, served by a stock docker-registry on the same root.
For every tag, the API's digest must be the registry's Docker-Content-Digest for
GET /v2/<name>/manifests/<tag>, its media_type the registry's Content-Type, and its platforms
those of the served index's children (attestations left out) or of the served image's config
blob; the tag set must be the registry's tags/list. Both services must give the same answer
byte for byte, and the same 404 (an absent repository, a namespace that is no repository) and
400 (a name outside the grammar)."""

import json
import os
import time
import urllib.request

import harness
import images
import regclient
import servicerun
import swiftserver
import syncrun

ROOT = "/tributary/stored-tags"
SRC_REPO = "upstream/app"
DEST_REPO = "mirror/app"


def fixture():
    return {
        "multi": images.make_multiarch("stored-tags/multi", created="2024-01-03T00:00:00Z",
                                       layer_sizes=(1500,)),
        "oci": images.make_multiarch("stored-tags/oci", oci=True, attestations=True,
                                     created="2024-01-02T00:00:00Z", layer_sizes=(1200,)),
        "single": images.make_image("stored-tags/single", created="2024-01-01T00:00:00Z",
                                    layer_sizes=(1000,), architecture="arm64", variant="v8"),
    }


def served(registry, repo):
    """What the registry serves for each tag of `repo`: {tag: (digest, media type, platforms)}."""
    c = regclient.RegistryClient.for_registry(registry)
    out = {}
    for tag in c.tags(repo) or []:
        res = c.get_manifest(repo, tag)
        assert res.status == 200, (tag, res)
        manifest = res.json()
        if "manifests" in manifest:
            platforms = [images.platform_string(m["platform"]) for m in manifest["manifests"]
                         if "platform" in m and "unknown" not in images.platform_string(
                             m["platform"])]
        else:
            blob = c.get_blob(repo, manifest["config"]["digest"])
            if blob.status == 307:  # the s3 driver redirects to a presigned URL of the bucket
                with urllib.request.urlopen(blob.headers["Location"], timeout=30) as resp:
                    config = json.loads(resp.read())
            else:
                assert blob.status == 200, blob
                config = blob.json()
            platforms = [images.platform_string(config)]
        out[tag] = (res.headers.get("Docker-Content-Digest"), res.headers.get("Content-Type"),
                    platforms)
    return out


def check_against_registry(label, svc, registry, arts):
    answer = svc.ok("GET", "/api/v1/repositories/%s/tags" % DEST_REPO)
    assert answer["repository"] == DEST_REPO, answer
    listed = [t["tag"] for t in answer["tags"]]
    assert listed == sorted(arts), (label, listed)
    expected = served(registry, DEST_REPO)
    assert set(expected) == set(arts), (label, sorted(expected))
    for t in answer["tags"]:
        digest, media_type, platforms = expected[t["tag"]]
        got = (t["digest"], t["media_type"], t["platforms"])
        assert got == (digest, media_type, platforms), (label, t["tag"], got, expected[t["tag"]])
        assert t["digest"] == arts[t["tag"]].digest, (label, t)
    # The fixture's own view: three platforms for the list, the index's without attestations.
    by_tag = {t["tag"]: t for t in answer["tags"]}
    assert len(by_tag["multi"]["platforms"]) == len(images.PLATFORMS), by_tag["multi"]
    assert len(by_tag["oci"]["platforms"]) == len(images.PLATFORMS), by_tag["oci"]
    assert by_tag["single"]["platforms"] == ["linux/arm64/v8"], by_tag["single"]
    print("%s: %s" % (label, json.dumps([(t["tag"], t["media_type"], t["platforms"])
                                         for t in answer["tags"]])), flush=True)
    return answer


def errors(svc):
    """The error answers a client can see, as (status, code)."""
    out = []
    for name in ("no/such", "mirror", "Bad..Name"):
        status, body = svc.api("GET", "/api/v1/repositories/%s/tags" % name)
        out.append((name, status, body.get("code") if isinstance(body, dict) else body))
    return out


def sync_through_api(svc, src, name):
    created = svc.ok("POST", "/api/v1/rules",
                     syncrun.make_rule(src.host, SRC_REPO, DEST_REPO, name=name, latest_n=10),
                     expect=(201,))
    task = svc.wait_task(svc.ok("POST", "/api/v1/rules/%d/execute" % created["id"])["id"])
    assert task["status"] == "succeeded", task


def main():
    swiftserver.require_swift()
    syncrun.tributary_binary()
    work = harness.make_temp_dir("trib-stored-tags-")
    arts = fixture()
    t0 = time.monotonic()
    with swiftserver.SwiftServer(os.path.join(work, "swift")) as swift, \
            harness.Registry(os.path.join(work, "src-root"),
                             workdir=os.path.join(work, "src")) as src:
        print("swift and source up in %.1fs" % (time.monotonic() - t0), flush=True)
        c = regclient.RegistryClient.for_registry(src)
        for tag, art in arts.items():
            images.push_artifact(c, SRC_REPO, art, [tag])
        s3cfg = swift.registry_s3_config(ROOT)
        fs_root = os.path.join(work, "fs-root")
        s3_svc = servicerun.Service(os.path.join(work, "svc-s3"), None,
                                    provider_config=syncrun.provider_config_for([src]),
                                    storage={"s3": s3cfg})
        fs_svc = servicerun.Service(os.path.join(work, "svc-fs"), fs_root,
                                    provider_config=syncrun.provider_config_for([src]))
        try:
            s3_svc.start()
            fs_svc.start()
            # Before any sync: the repository is absent from both, and both say so alike.
            before = errors(s3_svc)
            assert before == errors(fs_svc), (before, errors(fs_svc))
            assert [(s, code) for _n, s, code in before] == [
                (404, "not_found"), (404, "not_found"), (400, "invalid_argument")], before

            t1 = time.monotonic()
            sync_through_api(s3_svc, src, "to-s3")
            sync_through_api(fs_svc, src, "to-fs")
            print("both syncs in %.1fs" % (time.monotonic() - t1), flush=True)

            with harness.Registry(None, workdir=os.path.join(work, "dest-s3"),
                                  s3=s3cfg) as s3_reg, \
                    harness.Registry(fs_root, workdir=os.path.join(work, "dest-fs")) as fs_reg:
                s3_answer = check_against_registry("s3", s3_svc, s3_reg, arts)
                fs_answer = check_against_registry("filesystem", fs_svc, fs_reg, arts)
                assert not s3_reg.server_errors(), s3_reg.server_errors()
                assert not fs_reg.server_errors(), fs_reg.server_errors()
            assert s3_answer == fs_answer, (s3_answer, fs_answer)
            after = errors(s3_svc)
            assert after == errors(fs_svc) == before, (after, errors(fs_svc))
        finally:
            for svc in (s3_svc, fs_svc):
                if svc.proc is not None:
                    code, _took = svc.stop()
                    assert code == 0, (code, svc.log())
    print("took %.1fs" % (time.monotonic() - t0))
    print(json.dumps({"result": "stored tags agree with docker-registry on S3 and filesystem"}))


if __name__ == "__main__":
    main()
