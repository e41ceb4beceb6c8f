"""The S3 harness against itself: Swift (s3api) on loopback, a stock docker-registry with the
`s3` driver on its bucket, skopeo copies images into that registry and pulls them back
byte-exact; the objects sit at the keys Distribution's layout names; GC keeps them all."""

import os
import re
import time

import checks
import harness
import images
import regclient
import swiftserver

PREFIX = "/harness/prefix"


def main():
    swiftserver.require_swift()
    work = harness.make_temp_dir("trib-s3-harness-")
    sk = harness.Skopeo(os.path.join(work, "skopeo"))
    multi = images.make_multiarch("s3-harness-multi", layer_sizes=(3000,))
    # 12 MiB of random data: more than two 5 MiB parts, so the s3 driver uploads it multipart.
    big = images.make_image("s3-harness-big", layer_sizes=(12 << 20, 700))
    t0 = time.monotonic()
    with swiftserver.SwiftServer(os.path.join(work, "swift")) as swift:
        print("swift up in %.1fs, %d MiB resident" % (time.monotonic() - t0,
                                                       swift.rss_kib() // 1024), flush=True)
        s3cfg = swift.registry_s3_config(PREFIX, chunksize=5 << 20)
        with harness.Registry(os.path.join(work, "src-root"),
                              workdir=os.path.join(work, "src")) as src, \
                harness.Registry(None, workdir=os.path.join(work, "dst"), s3=s3cfg) as dst:
            c = regclient.RegistryClient.for_registry(src)
            images.push_artifact(c, "lib/multi", multi, ["v1"])
            images.push_artifact(c, "lib/big", big, ["v1", "latest"])
            for repo, tag in (("lib/multi", "v1"), ("lib/big", "v1"), ("lib/big", "latest")):
                sk.copy("docker://%s/%s:%s" % (src.host, repo, tag),
                        "docker://%s/%s:%s" % (dst.host, repo, tag),
                        src_registry=src, dest_registry=dst)
            for repo, tag, art in (("lib/multi", "v1", multi), ("lib/big", "v1", big),
                                   ("lib/big", "latest", big)):
                checks.assert_pull_matches(sk, dst, repo, tag, art,
                                           os.path.join(work, "pull", repo, tag))
            raw = sk.inspect_raw("docker://%s/lib/multi:v1" % dst.host, registry=dst)
            assert raw == multi.manifest
            assert not dst.server_errors(), dst.server_errors()

            # The objects are where Distribution's layout says, under the rootdirectory.
            s3 = swift.s3()
            keys = dict(s3.list_objects(swift.bucket, PREFIX.lstrip("/") + "/"))
            root = PREFIX.lstrip("/") + "/docker/registry/v2/"
            for b in big.blobs():
                hexd = b.digest.split(":", 1)[1]
                key = "%sblobs/sha256/%s/%s/data" % (root, hexd[:2], hexd)
                assert keys.get(key) == b.size, (key, keys.get(key))
            link = root + "repositories/lib/big/_manifests/tags/latest/current/link"
            assert s3.get_object(swift.bucket, link) == big.digest.encode()
            # No upload left behind (skopeo's uploads were committed and moved).
            leftovers = [k for k in keys if re.search(r"/_uploads/", k)]
            assert not leftovers, leftovers
            assert s3.list_multipart_uploads(swift.bucket, PREFIX.lstrip("/")) == []

            eligible, out = harness.garbage_collect(dst.config_path, dry_run=True)
            assert not eligible, out
            assert "blobs marked" in out, out
    print("S3 harness OK")


if __name__ == "__main__":
    main()
