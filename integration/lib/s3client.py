"""A small S3 client for test-side checks: SigV4 (header auth) over http.client, stdlib only.

It is deliberately independent of Tributary's C++ signer, so a test that reads a bucket with it
checks the bytes Tributary wrote, not Tributary's own view of them. Path-style addressing
(`http://host:port/<bucket>/<key>`), as Distribution's `regionendpoint` uses.
"""

import datetime
import hashlib
import hmac
import http.client
import urllib.parse
import xml.etree.ElementTree as ET

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class S3Error(Exception):
    def __init__(self, method, path, status, body):
        super().__init__("S3 %s %s -> %d: %s" % (method, path, status,
                                                 body[:500].decode(errors="replace")))
        self.status = status
        self.body = body


def _quote(value, safe="-_.~"):
    return urllib.parse.quote(value, safe=safe)


def _strip_ns(root):
    """Element tree without the S3 XML namespace, so find() takes plain names."""
    for el in root.iter():
        if "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


class S3Client:
    """Signed S3 requests against one endpoint. Not thread-safe (one connection per request)."""

    def __init__(self, host, port, access_key, secret_key, region="us-east-1", timeout=60):
        self.host = host
        self.port = port
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.timeout = timeout

    # -- signing -----------------------------------------------------------------------------

    def _sign(self, method, path, query, headers, payload_hash):
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = now.strftime("%Y%m%d")
        headers = dict(headers)
        headers["host"] = "%s:%d" % (self.host, self.port)
        headers["x-amz-date"] = amz_date
        headers["x-amz-content-sha256"] = payload_hash
        lower = {k.lower(): " ".join(str(v).strip().split()) for k, v in headers.items()}
        signed = sorted(lower)
        canonical_query = "&".join(
            "%s=%s" % (_quote(k), _quote(v)) for k, v in sorted(query.items()))
        canonical = "\n".join([
            method,
            _quote(path, safe="-_.~/"),
            canonical_query,
            "".join("%s:%s\n" % (k, lower[k]) for k in signed),
            ";".join(signed),
            payload_hash,
        ])
        scope = "%s/%s/s3/aws4_request" % (day, self.region)
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + self.secret_key).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
            % (self.access_key, scope, ";".join(signed), signature))
        return headers

    def request(self, method, path, query=None, body=b"", headers=None, ok=(200, 204, 206)):
        """(status, headers dict lower-cased, body bytes); raises S3Error unless status in ok."""
        query = dict(query or {})
        payload_hash = hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256
        hdrs = self._sign(method, path, query, headers or {}, payload_hash)
        url = _quote(path, safe="-_.~/")
        if query:
            url += "?" + "&".join("%s=%s" % (_quote(k), _quote(v))
                                  for k, v in sorted(query.items()))
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, url, body=body or None, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            status = resp.status
            rheaders = {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()
        if ok is not None and status not in ok:
            raise S3Error(method, path, status, data)
        return status, rheaders, data

    # -- buckets and objects -----------------------------------------------------------------

    def create_bucket(self, bucket):
        self.request("PUT", "/" + bucket)

    def head_bucket(self, bucket):
        return self.request("HEAD", "/" + bucket, ok=None)[0]

    def put_object(self, bucket, key, data):
        self.request("PUT", "/%s/%s" % (bucket, key), body=data)

    def get_object(self, bucket, key):
        return self.request("GET", "/%s/%s" % (bucket, key))[2]

    def delete_object(self, bucket, key):
        self.request("DELETE", "/%s/%s" % (bucket, key))

    def list_objects(self, bucket, prefix=""):
        """[(key, size)] of every object under prefix (ListObjectsV2, all pages)."""
        out = []
        token = None
        while True:
            query = {"list-type": "2", "prefix": prefix, "max-keys": "1000"}
            if token:
                query["continuation-token"] = token
            root = _strip_ns(ET.fromstring(self.request("GET", "/" + bucket, query)[2]))
            for c in root.findall("Contents"):
                out.append((c.findtext("Key"), int(c.findtext("Size"))))
            if root.findtext("IsTruncated") != "true":
                return out
            token = root.findtext("NextContinuationToken")

    def list_multipart_uploads(self, bucket, prefix=""):
        """[(key, upload id, initiated)] of incomplete multipart uploads under prefix."""
        out = []
        key_marker, id_marker = None, None
        while True:
            query = {"uploads": "", "prefix": prefix}
            if key_marker:
                query["key-marker"] = key_marker
                query["upload-id-marker"] = id_marker or ""
            root = _strip_ns(ET.fromstring(self.request("GET", "/" + bucket, query)[2]))
            for u in root.findall("Upload"):
                out.append((u.findtext("Key"), u.findtext("UploadId"), u.findtext("Initiated")))
            if root.findtext("IsTruncated") != "true":
                return out
            key_marker = root.findtext("NextKeyMarker")
            id_marker = root.findtext("NextUploadIdMarker")

    def list_parts(self, bucket, key, upload_id):
        """[(part number, size)] uploaded so far."""
        root = _strip_ns(ET.fromstring(self.request(
            "GET", "/%s/%s" % (bucket, key), {"uploadId": upload_id})[2]))
        return [(int(p.findtext("PartNumber")), int(p.findtext("Size")))
                for p in root.findall("Part")]

    def abort_multipart_upload(self, bucket, key, upload_id):
        self.request("DELETE", "/%s/%s" % (bucket, key), {"uploadId": upload_id})

    def create_multipart_upload(self, bucket, key):
        root = _strip_ns(ET.fromstring(self.request(
            "POST", "/%s/%s" % (bucket, key), {"uploads": ""})[2]))
        return root.findtext("UploadId")

    def upload_part(self, bucket, key, upload_id, number, data):
        return self.request("PUT", "/%s/%s" % (bucket, key),
                            {"uploadId": upload_id, "partNumber": str(number)}, body=data)[1]
