"""Checks of a Distribution layout in an S3 bucket, read with the independent s3client.

    problems = s3_layout_problems(swift.s3(), swift.bucket, "/trib/e2e")
    assert not problems, problems

A stock registry serves whatever it finds (it does not re-hash blobs), so "no visible partial
object" is checked here: every blob data object must hash to the digest in its key, every link
must be exactly a digest (the one its key names, for layer/revision/index links), a tag holds
only current/ and index/, and nothing else (temp or upload objects) sits in the layout.
"""

import hashlib
import re

_V2 = "docker/registry/v2/"
_DIGEST = re.compile(rb"sha256:[0-9a-f]{64}")
_BLOB_KEY = re.compile(r"blobs/sha256/([0-9a-f]{2})/([0-9a-f]{64})/data")
_LINK_WITH_DIGEST = re.compile(
    r"repositories/.+/(?:_layers|_manifests/revisions|_manifests/tags/[^/]+/index)"
    r"/sha256/([0-9a-f]{64})/link")
_CURRENT = re.compile(r"repositories/.+/_manifests/tags/[^/]+/current/link")


def key_prefix(rootdirectory):
    """The key prefix Distribution's s3 driver uses for <rootdirectory>/docker/registry/v2/."""
    root = rootdirectory.strip("/")
    return (root + "/" if root else "") + _V2


def layout_objects(s3, bucket, rootdirectory):
    """{path relative to docker/registry/v2/: size}."""
    prefix = key_prefix(rootdirectory)
    return {k[len(prefix):]: size for k, size in s3.list_objects(bucket, prefix)}


def s3_layout_problems(s3, bucket, rootdirectory, hash_blobs=True):
    problems = []
    prefix = key_prefix(rootdirectory)
    for rel, size in sorted(layout_objects(s3, bucket, rootdirectory).items()):
        m = _BLOB_KEY.fullmatch(rel)
        if m:
            if m.group(1) != m.group(2)[:2]:
                problems.append("blob under the wrong fan-out dir: " + rel)
            if hash_blobs:
                data = s3.get_object(bucket, prefix + rel)
                if len(data) != size or hashlib.sha256(data).hexdigest() != m.group(2):
                    problems.append("blob object does not hash to its key: %s (%d bytes)" % (
                        rel, len(data)))
            continue
        if "/_uploads/" in rel:
            problems.append("upload object left in the layout: " + rel)
            continue
        m = _LINK_WITH_DIGEST.fullmatch(rel)
        if m or _CURRENT.fullmatch(rel):
            content = s3.get_object(bucket, prefix + rel)
            if not _DIGEST.fullmatch(content):
                problems.append("bad link %s: %r" % (rel, content[:80]))
            elif m and content != b"sha256:" + m.group(1).encode():
                problems.append("link %s names another digest: %r" % (rel, content))
            continue
        problems.append("unexpected object: " + rel)
    return problems


def tag_link(s3, bucket, rootdirectory, repo, tag):
    """The digest in a tag's current/link, or None when the tag does not exist."""
    key = "%srepositories/%s/_manifests/tags/%s/current/link" % (
        key_prefix(rootdirectory), repo, tag)
    status, _h, body = s3.request("GET", "/%s/%s" % (bucket, key), ok=(200, 404))
    return body.decode() if status == 200 else None


def uploads_under(s3, bucket, rootdirectory):
    """Incomplete multipart uploads under the rootdirectory: [(key, upload id, initiated)]."""
    return s3.list_multipart_uploads(bucket, rootdirectory.strip("/") + "/")
