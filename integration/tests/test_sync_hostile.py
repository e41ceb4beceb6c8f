"""`tributary sync` from a hostile source (issue #7): lib/hostileregistry.py, a malicious
Docker v2 registry on 127.0.0.1, is the `custom` source; a stock docker-registry then serves
what the sync wrote.

Cases (one source repository each; see integration/RELIABILITY.md "Hostile sources"):
  decode     manifests whose digest is right but that Distribution 2.8 cannot decode (layer
             size 12000.5 / 1.2e4 / 2^64 on the empty blob, "mediaType": 5, schemaVersion 2.5,
             index child size 442.5, platform.os 7): each tag fails naming the field; the good
             tag syncs
  overwrite  with overwrite: true, a broken manifest never replaces a working tag
  urls       a distributable layer that carries `urls` is stored; a foreign layer is left to
             its urls and listed in the report
  redirect   a blob redirected to a closed loopback port fails naming the redirect target;
             a redirect loop fails
  trickle    a 1 byte/s blob is abandoned within low_speed_time_seconds x the retry bound;
             a response head sent 1 byte/s within max(timeout_seconds, low_speed_time_seconds)
             x the retry bound
  deadline   with the low-speed limit off, task_timeout_seconds stops the trickling run
  regress    digest / size mismatch, path-traversal, uppercase-hex and unknown-algorithm
             digests, a 5 MiB manifest: each fails its tag only
  linkloop   a tag list whose Link points to itself: the run fails, nothing is written
  endless    tag pages that never end (1,000 tags of 128 chars each): the run fails at
             max_tags; peak RSS of `tributary` stays under PEAK_RSS_BOUND_MIB
  symlink    <root>/docker/registry/v2/repositories/mirror is a symlink out of the root: the
             tag fails naming it, nothing exists outside the root

After the syncs a stock docker-registry serves the destination root: no tag answers 500, no
blob a tag needs answers 404 (foreign layers excepted: the report lists them), failed tags
are absent.

No test here opens a connection outside 127.0.0.0/8 (cloud-metadata refusal is unit-tested
at the address-policy level: tests/adapters/registry-v2/AddressPolicyTest.cpp).
"""

import json
import os
import socket
import subprocess
import time

import harness
import hostileregistry
import images
import regclient
import syncrun

LOW_SPEED_TIME = 2          # seconds (low_speed_time_seconds in the provider config)
TIMEOUT = 4                 # seconds (timeout_seconds): a response head must arrive within
                            # max(TIMEOUT, LOW_SPEED_TIME)
LOW_SPEED_LIMIT = 1024      # bytes/s (low_speed_limit_bytes)
RETRY_BOUND = 4             # RegistryClientOptions::maxAttempts: tries of one request
TASK_TIMEOUT = 3            # seconds (task_timeout_seconds, the whole-run deadline case)
PEAK_RSS_BOUND_MIB = 100    # endless tag pages: documented in RELIABILITY.md
# Under AddressSanitizer (scripts/test.sh's second pass) every process carries shadow memory
# and a freed-memory quarantine of up to 256 MiB, so the bound there is the plain one plus that.
ASAN_EXTRA_MIB = 300


MT = images.MT_DOCKER_MANIFEST
EMPTY_SHA256 = "sha256:" + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def manifest_text(config, layers_json, schema='"schemaVersion":2', media='"mediaType":"%s"' % MT):
    """A Docker schema2 manifest built as text, so number tokens stay exactly as written."""
    return ('{%s,%s,"config":{"mediaType":"%s","size":%d,"digest":"%s"},"layers":[%s]}' % (
        schema, media, images.MT_DOCKER_CONFIG, config.size, config.digest, layers_json)).encode()


def layer_json(digest, size, media=images.MT_DOCKER_LAYER, extra=""):
    return '{"mediaType":"%s","size":%s,"digest":"%s"%s}' % (media, size, digest, extra)


def closed_loopback_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def add_broken(repo, tag, image, layers_json, **kw):
    """A tag whose manifest references `image`'s config (blobs present) with `layers_json`."""
    repo.put_image(image)
    repo.tag(tag, repo.put_manifest(manifest_text(image.config, layers_json, **kw), MT))


def build_decode(reg):
    repo = reg.repo("hostile/decode")
    good = images.make_image("hostile/good", created="2024-03-01T00:00:00Z")
    repo.tag("good", repo.put_image(good))
    layer = good.layers[0]
    repo.put_blob(b"")
    for tag, size in (("size-fraction", "12000.5"), ("size-exponent", "1.2e4")):
        add_broken(repo, tag, good, layer_json(layer.digest, size))
    add_broken(repo, "size-2p64-empty", good, layer_json(EMPTY_SHA256, "18446744073709551616"))
    add_broken(repo, "mediatype-number", good, layer_json(layer.digest, layer.size),
               media='"mediaType":5')
    add_broken(repo, "schema-fraction", good, layer_json(layer.digest, layer.size),
               schema='"schemaVersion":2.5')
    child = good.descriptor()
    for tag, child_json in (
            ("index-child-size", '{"mediaType":"%s","size":%d.5,"digest":"%s","platform":'
                                 '{"os":"linux","architecture":"amd64"}}' % (MT, child["size"], child["digest"])),
            ("index-platform-os", '{"mediaType":"%s","size":%d,"digest":"%s","platform":'
                                  '{"os":7,"architecture":"amd64"}}' % (MT, child["size"], child["digest"]))):
        index = ('{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' % (
            images.MT_DOCKER_LIST, child_json)).encode()
        repo.tag(tag, repo.put_manifest(index, images.MT_DOCKER_LIST))
    return {"good": None, "size-fraction": "layers[0].size", "size-exponent": "layers[0].size",
            "size-2p64-empty": "layers[0].size", "mediatype-number": "mediaType",
            "schema-fraction": "schemaVersion", "index-child-size": "manifests[0].size",
            "index-platform-os": "manifests[0].platform.os"}


def build_urls(reg):
    repo = reg.repo("hostile/urls")
    img = images.make_image("hostile/urls", created="2024-03-02T00:00:00Z", layer_sizes=(3000,))
    repo.put_image(img)
    with_urls = layer_json(img.layers[0].digest, img.layers[0].size,
                           extra=',"urls":["http://127.0.0.1:9/never-fetched"]')
    repo.tag("distributable", repo.put_manifest(manifest_text(img.config, with_urls), MT))
    foreign_digest = hostileregistry.sha256_digest(b"windows base layer, never served")
    foreign = layer_json(foreign_digest, 31,
                         media="application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                         extra=',"urls":["http://127.0.0.1:9/windows-base"]')
    both = layer_json(img.layers[0].digest, img.layers[0].size) + "," + foreign
    repo.tag("foreign", repo.put_manifest(manifest_text(img.config, both), MT))
    return img.layers[0].digest, foreign_digest


def build_redirect(reg):
    repo = reg.repo("hostile/redirect")
    good = images.make_image("hostile/redirect-good", created="2024-03-03T00:00:00Z")
    repo.tag("good", repo.put_image(good))
    port = closed_loopback_port()
    to_closed = images.make_image("hostile/redirect-closed", created="2024-03-04T00:00:00Z")
    repo.tag("to-closed-port", repo.put_image(to_closed))
    repo.blob_behaviour[to_closed.layers[0].digest] = {
        "redirect": "http://127.0.0.1:%d/cdn/blob?signature=secret" % port}
    looping = images.make_image("hostile/redirect-loop", created="2024-03-05T00:00:00Z")
    repo.tag("loop", repo.put_image(looping))
    d = looping.layers[0].digest
    repo.blob_behaviour[d] = {"redirect": "/v2/hostile/redirect/blobs/" + d}
    return port


def build_trickle(reg):
    repo = reg.repo("hostile/trickle")
    fast = images.make_image("hostile/trickle-fast", created="2024-03-06T00:00:00Z")
    repo.tag("fast", repo.put_image(fast))
    slow = images.make_image("hostile/trickle-slow", created="2024-03-07T00:00:00Z",
                             layer_sizes=(4096,))
    repo.tag("slow", repo.put_image(slow))
    repo.blob_behaviour[slow.layers[0].digest] = {"trickle_bytes_per_second": 1}


def build_trickle_head(reg):
    repo = reg.repo("hostile/trickle-head")
    fast = images.make_image("hostile/trickle-head-fast", created="2024-03-06T00:00:00Z")
    repo.tag("fast", repo.put_image(fast))
    slow = images.make_image("hostile/trickle-head-slow", created="2024-03-07T00:00:00Z")
    repo.tag("slow-head", repo.put_image(slow))
    repo.blob_behaviour[slow.layers[0].digest] = {"trickle_head_bytes_per_second": 1}


def build_regress(reg):
    repo = reg.repo("hostile/regress")
    good = images.make_image("hostile/regress-good", created="2024-03-08T00:00:00Z")
    repo.tag("good", repo.put_image(good))
    flipped = images.make_image("hostile/regress-digest", created="2024-03-09T00:00:00Z")
    repo.tag("digest-mismatch", repo.put_image(flipped))
    data = bytearray(flipped.layers[0].data)
    data[len(data) // 2] ^= 0xff
    repo.blob_behaviour[flipped.layers[0].digest] = {"serve": bytes(data)}
    longer = images.make_image("hostile/regress-size", created="2024-03-10T00:00:00Z")
    repo.tag("size-mismatch", repo.put_image(longer))
    repo.blob_behaviour[longer.layers[0].digest] = {"serve": longer.layers[0].data + b"extra"}
    hexpart = good.layers[0].digest.split(":", 1)[1]
    for tag, digest in (("traversal", "sha256:../../../../../../etc/passwd"),
                        ("uppercase-hex", "sha256:" + hexpart.upper()),
                        ("unknown-algorithm", "md5:" + hexpart[:32])):
        add_broken(repo, tag, good, layer_json(digest, good.layers[0].size))
    huge = manifest_text(good.config, layer_json(good.layers[0].digest, good.layers[0].size))
    huge = huge[:-1] + (',"annotations":{"padding":"%s"}}' % ("x" * (5 << 20))).encode()
    repo.tag("huge", repo.put_manifest(huge, MT))
    return {"good": None, "digest-mismatch": "digest", "size-mismatch": "bytes",
            "traversal": "digest", "uppercase-hex": "digest", "unknown-algorithm": "algorithm",
            "huge": "limit"}


def run_measured(dest, rule, timeout=120):
    """`tributary sync --json` with the peak RSS of that one process (os.wait4)."""
    argv = [syncrun.tributary_binary(), "sync", "--config", dest.config_path,
            "--rule", dest.write_rule(rule), "--json"]
    out_path = os.path.join(dest.workdir, "measured.out")
    err_path = os.path.join(dest.workdir, "measured.err")
    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("tributary sync did not finish in %d s" % timeout)
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as f:
        stdout = f.read().decode(errors="replace")
    with open(err_path, "rb") as f:
        stderr = f.read().decode(errors="replace")
    res = syncrun.SyncResult(argv, proc.returncode, stdout, stderr, True)
    return res, usage.ru_maxrss / 1024.0, time.monotonic() - started


def serving_checks(dest, expectations, foreign):
    """A stock docker-registry on the root: no tag 500s, no needed blob 404s."""
    accept = regclient.MANIFEST_ACCEPT
    with dest.serve() as reg:
        client = regclient.RegistryClient.for_registry(reg)
        for repo, tags in expectations.items():
            res = client.request("GET", "/v2/%s/tags/list" % repo, auth=False)
            listed = set(res.json().get("tags") or []) if res.status == 200 else set()
            for tag, present in tags.items():
                assert (tag in listed) == present, (repo, tag, listed)
            for tag in sorted(listed):
                res = client.request("GET", "/v2/%s/manifests/%s" % (repo, tag), auth=False,
                                     headers={"Accept": accept})
                assert res.status == 200, ("manifest", repo, tag, res)
                manifest = res.json()
                images_to_check = [manifest]
                for child in manifest.get("manifests") or []:
                    r = client.request("GET", "/v2/%s/manifests/%s" % (repo, child["digest"]),
                                       auth=False, headers={"Accept": accept})
                    assert r.status == 200, ("child", repo, tag, child["digest"], r)
                    images_to_check.append(r.json())
                for m in images_to_check:
                    for d in [m.get("config")] + (m.get("layers") or []):
                        if not d:
                            continue
                        r = client.request("GET", "/v2/%s/blobs/%s" % (repo, d["digest"]),
                                           auth=False)
                        if d["digest"] in foreign:
                            assert r.status == 404, ("foreign blob is not stored", d, r)
                        else:
                            assert r.status == 200, ("blob", repo, tag, d["digest"], r)
        assert not reg.server_errors(), reg.server_errors()
    print("served: %s" % ", ".join("%s %s" % (r, sorted(t for t, p in tags.items() if p))
                                   for r, tags in expectations.items()))


def assert_failed_naming(res, tag, word):
    entry = res.entry(tag)
    assert entry["action"] == "failed", (tag, entry, res.describe())
    assert word in entry["reason"], (tag, word, entry["reason"])


def main():
    harness.require_tool("docker-registry")
    work = harness.make_temp_dir("trib-hostile-")
    outside = os.path.join(work, "outside-the-root")
    os.makedirs(outside)
    test_started = time.monotonic()
    with hostileregistry.HostileRegistry() as reg:
        reg.tls = None
        decode = build_decode(reg)
        build_urls(reg)
        closed_port = build_redirect(reg)
        build_trickle(reg)
        build_trickle_head(reg)
        regress = build_regress(reg)
        reg.repo("hostile/linkloop").listing = {"loop": True}
        reg.repo("hostile/linkloop").tag("x", reg.repo("hostile/linkloop").put_image(
            images.make_image("hostile/linkloop")))
        reg.repo("hostile/endless").listing = {"endless": (1000, 128)}

        cfg = syncrun.provider_config_for([reg])
        cfg.update({"low_speed_limit_bytes": LOW_SPEED_LIMIT,
                    "low_speed_time_seconds": LOW_SPEED_TIME, "timeout_seconds": TIMEOUT})
        dest = syncrun.SyncTarget(os.path.join(work, "dest"), cfg)

        def sync(src, dst, **kw):
            kw.setdefault("latest_n", 30)
            return dest.sync(syncrun.make_rule(reg.host, src, dst, **kw))

        # decode
        res = sync("hostile/decode", "mirror/decode").expect(1)
        assert res.entry("good")["action"] == "synced", res.describe()
        for tag, field in decode.items():
            if field:
                assert_failed_naming(res, tag, field)
        print("decode: %d undecodable manifests refused by field" % (len(decode) - 1))

        # overwrite: a working tag is never replaced by a broken one
        victim = reg.repo("hostile/victim")
        good = images.make_image("hostile/victim", created="2024-04-01T00:00:00Z")
        victim.tag("v", victim.put_image(good))
        # A second tag: a listing whose every tag fails is an error of the whole run.
        victim.tag("keep", victim.put_image(images.make_image("hostile/victim-keep")))
        sync("hostile/victim", "mirror/victim", overwrite=True).expect(0)
        add_broken(victim, "v", good, layer_json(good.layers[0].digest, "%d.5" % good.layers[0].size))
        res = sync("hostile/victim", "mirror/victim", overwrite=True).expect(1)
        assert_failed_naming(res, "v", "layers[0].size")
        victim_digest = good.digest

        # urls
        distributable, foreign = build_urls(reg)
        res = sync("hostile/urls", "mirror/urls").expect(0)
        assert res.entry("distributable")["action"] == "synced"
        assert res.entry("foreign")["foreign_layers"] == [
            foreign + " (application/vnd.docker.image.rootfs.foreign.diff.tar.gzip)"], res.describe()
        assert "foreign_layers" not in res.entry("distributable"), res.describe()

        # redirect
        res = sync("hostile/redirect", "mirror/redirect").expect(1)
        assert res.entry("good")["action"] == "synced"
        assert_failed_naming(res, "to-closed-port", "redirected to http://127.0.0.1:%d" % closed_port)
        assert "signature=secret" not in res.entry("to-closed-port")["reason"]
        assert_failed_naming(res, "loop", "redirects")

        # trickle
        started = time.monotonic()
        res = sync("hostile/trickle", "mirror/trickle").expect(1)
        took = time.monotonic() - started
        assert res.entry("fast")["action"] == "synced"
        assert_failed_naming(res, "slow", "low_speed_limit_bytes")
        bound = LOW_SPEED_TIME * RETRY_BOUND + 6  # + retry back-off and start-up
        assert took < bound, "trickle took %.1f s, bound %d s" % (took, bound)
        print("trickle: abandoned after %.1f s (bound %d s)" % (took, bound))

        # trickled response head (status line, then one header byte per second)
        started = time.monotonic()
        res = sync("hostile/trickle-head", "mirror/trickle-head").expect(1)
        took = time.monotonic() - started
        assert res.entry("fast")["action"] == "synced"
        assert_failed_naming(res, "slow-head", "response head did not arrive")
        bound = max(TIMEOUT, LOW_SPEED_TIME) * RETRY_BOUND + 8  # + back-off, start-up
        assert took < bound, "head trickle took %.1f s, bound %d s" % (took, bound)
        print("trickled head: abandoned after %.1f s (bound %d s)" % (took, bound))

        # task_timeout_seconds: with the low-speed limit off, the trickle is stopped by the
        # whole-run deadline instead
        bounded_cfg = dict(cfg, low_speed_limit_bytes=0, task_timeout_seconds=TASK_TIMEOUT)
        bounded = syncrun.SyncTarget(os.path.join(work, "bounded"), bounded_cfg)
        started = time.monotonic()
        res = bounded.sync(syncrun.make_rule(reg.host, "hostile/trickle", "mirror/trickle"))
        took = time.monotonic() - started
        assert res.code == 1 and "task_timeout_seconds (%d s)" % TASK_TIMEOUT in res.stderr, \
            res.describe()
        bound = TASK_TIMEOUT + TIMEOUT + 4
        assert took < bound, "task deadline took %.1f s, bound %d s" % (took, bound)
        print("task_timeout_seconds: run stopped after %.1f s (bound %d s)" % (took, bound))

        # regressions
        res = sync("hostile/regress", "mirror/regress").expect(1)
        for tag, word in regress.items():
            if word:
                assert_failed_naming(res, tag, word)
            else:
                assert res.entry(tag)["action"] == "synced", res.describe()

        # Link loop: the listing itself fails; nothing is written for it
        before = syncrun.tree_snapshot(dest.root)
        res = sync("hostile/linkloop", "mirror/linkloop")
        assert res.code == 1 and "repeats a page" in res.stdout + res.stderr, res.describe()
        assert syncrun.tree_snapshot(dest.root) == before

        # endless pages
        rule = syncrun.make_rule(reg.host, "hostile/endless", "mirror/endless",
                                 tag_regex="keep-.*", latest_n=30)
        res, peak_mib, took = run_measured(dest, rule)
        assert res.code == 1, res.describe()
        assert "more than 100000 tags (max_tags)" in res.stdout + res.stderr, res.describe()
        bound = PEAK_RSS_BOUND_MIB + (
            ASAN_EXTRA_MIB if syncrun.tributary_built_with_asan() else 0)
        assert peak_mib < bound, "peak RSS %.0f MiB (bound %d MiB)" % (peak_mib, bound)
        print("endless pages: failed at max_tags after %.1f s, peak RSS %.0f MiB (bound %d)" % (
            took, peak_mib, bound))

        # symlink out of the root
        linked = syncrun.SyncTarget(os.path.join(work, "linked"), cfg)
        os.makedirs(os.path.join(linked.root, "docker/registry/v2/repositories"))
        os.symlink(outside, os.path.join(linked.root, "docker/registry/v2/repositories/mirror"))
        res = linked.sync(syncrun.make_rule(reg.host, "hostile/decode", "mirror/app",
                                            tag_regex="good")).expect(1)
        assert_failed_naming(res, "good", "repositories/mirror")
        assert os.listdir(outside) == [], os.listdir(outside)
        print("symlink: refused, nothing outside the root")

    serving_checks(dest, {
        "mirror/decode": dict({t: f is None for t, f in decode.items()}),
        "mirror/victim": {"v": True, "keep": True},
        "mirror/urls": {"distributable": True, "foreign": True},
        "mirror/redirect": {"good": True, "to-closed-port": False, "loop": False},
        "mirror/trickle": {"fast": True, "slow": False},
        "mirror/trickle-head": {"fast": True, "slow-head": False},
        "mirror/regress": {t: w is None for t, w in regress.items()},
    }, foreign={foreign})
    # The victim still serves the good image.
    with dest.serve() as served:
        client = regclient.RegistryClient.for_registry(served)
        res = client.request("HEAD", "/v2/mirror/victim/manifests/v", auth=False,
                             headers={"Accept": regclient.MANIFEST_ACCEPT})
        assert res.headers.get("Docker-Content-Digest") == victim_digest, res.headers
    assert os.listdir(outside) == []
    print("hostile sources: all cases passed in %.1f s" % (time.monotonic() - test_started))


if __name__ == "__main__":
    main()
