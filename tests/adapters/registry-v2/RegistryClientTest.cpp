// RegistryClient against fake registries on 127.0.0.1: tags pagination, manifests and their
// digests, blob streaming with resume/redirects, retries, address policy and TLS.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <Poco/File.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/TemporaryFile.h>
#include <Poco/Timespan.h>

#include "FakeServer.h"
#include "MemorySink.h"
#include "StatusPrinting.h"
#include "tributary/registry/RegistryClient.h"

using namespace tributary;
using namespace tributary::registry;
using namespace tributary::registry::testing;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

RegistryClientOptions localOptions(const FakeServer& s) {
  RegistryClientOptions o;
  o.host = s.hostPort();
  o.plainHttp = true;
  o.allowPrivateNetworks = true;
  o.timeout = std::chrono::milliseconds(5000);
  return o;
}

std::string randomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

const std::string kDigest = "sha256:" + std::string(64, 'a');

// Serves `blob` honouring Range unless told otherwise; the first `drops` requests break off
// after `dropAfter` body bytes.
struct BlobServer {
  std::string blob;
  std::mutex mu;
  std::vector<std::string> ranges;  // Range header of each request ("" when none)
  std::vector<std::string> acceptEncodings;
  int drops = 0;
  size_t dropAfter = 0;
  bool honourRange = true;
  FakeServer server{[this](HTTPServerRequest& rq, HTTPServerResponse& rs) { serve(rq, rs); }};

  void serve(HTTPServerRequest& rq, HTTPServerResponse& rs) {
    std::string range = rq.get("Range", "");
    bool drop = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      ranges.push_back(range);
      acceptEncodings.push_back(rq.get("Accept-Encoding", ""));
      if (drops > 0) {
        --drops;
        drop = true;
      }
    }
    size_t start = 0, end = blob.size();
    if (honourRange && range.rfind("bytes=", 0) == 0) {
      start = std::stoull(range.substr(6));
      size_t dash = range.find('-');
      if (dash + 1 < range.size()) end = std::stoull(range.substr(dash + 1)) + 1;
      rs.setStatus(Poco::Net::HTTPResponse::HTTP_PARTIAL_CONTENT);
      rs.set("Content-Range", "bytes " + std::to_string(start) + "-" + std::to_string(end - 1) +
                                  "/" + std::to_string(blob.size()));
    }
    rs.setContentType("application/octet-stream");
    rs.setContentLength64(static_cast<Poco::Int64>(end - start));
    if (drop) rs.setKeepAlive(false);
    std::ostream& os = rs.send();
    size_t n = drop ? std::min(dropAfter, end - start) : end - start;
    os.write(blob.data() + start, static_cast<std::streamsize>(n));
    os.flush();
    // When dropping, returning with fewer bytes than announced and keep-alive off makes the
    // server close the connection mid-body.
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(RegistryClientTest)

BOOST_AUTO_TEST_CASE(tags_follow_relative_links_across_three_pages) {
  std::atomic<int> calls{0};
  FakeServer s([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    ++calls;
    const std::string& uri = rq.getURI();
    if (uri == "/v2/foo/bar/tags/list?n=1000") {
      rs.set("Link", R"(</v2/foo/bar/tags/list?n=2&last=b>; rel="next")");
      return reply(rs, 200, R"({"name":"foo/bar","tags":["a","b"]})");
    }
    if (uri == "/v2/foo/bar/tags/list?n=2&last=b") {
      rs.set("Link", R"(<list?n=2&last=d>; rel="next")");  // relative path form
      return reply(rs, 200, R"({"name":"foo/bar","tags":["c","d"]})");
    }
    if (uri == "/v2/foo/bar/tags/list?n=2&last=d") return reply(rs, 200, R"({"name":"foo/bar","tags":["e"]})");
    reply(rs, 404, R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})");
  });
  RegistryClient c(localOptions(s));
  auto tags = c.listTags("foo/bar");
  BOOST_TEST_REQUIRE(tags.isOk(), tags.status().toString());
  BOOST_TEST(*tags == (std::vector<std::string>{"a", "b", "c", "d", "e"}), boost::test_tools::per_element());
  BOOST_TEST(calls.load() == 3);

  auto missing = c.listTags("no/such");
  BOOST_TEST(missing.status().code() == StatusCode::kNotFound);
  BOOST_TEST(missing.status().message().find("NAME_UNKNOWN") != std::string::npos);
  BOOST_TEST(missing.status().message().find("no/such") != std::string::npos);
  BOOST_TEST(missing.status().message().find(s.hostPort()) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tags_link_to_another_host_is_refused) {
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    rs.set("Link", R"(<http://127.0.0.2:1/v2/foo/bar/tags/list?last=b>; rel="next")");
    reply(rs, 200, R"({"name":"foo/bar","tags":["a"]})");
  });
  RegistryClient c(localOptions(s));
  auto tags = c.listTags("foo/bar");
  BOOST_TEST(tags.status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(tags.status().message().find("127.0.0.2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(null_tags_are_an_empty_list) {
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    reply(rs, 200, R"({"name":"foo/bar","tags":null})");
  });
  RegistryClient c(localOptions(s));
  auto tags = c.listTags("foo/bar");
  BOOST_TEST_REQUIRE(tags.isOk(), tags.status().toString());
  BOOST_TEST(tags->empty());
}

BOOST_AUTO_TEST_CASE(manifest_head_and_get_digest_from_exact_bytes) {
  // Odd whitespace and key order: re-serialising would change the digest.
  const std::string body = "{ \"schemaVersion\" : 2,\n  \"mediaType\":\"application/vnd.oci.image.index.v1+json\", \"manifests\":[] }\n";
  const std::string digest = sha256Digest(body);
  std::string lastAccept;
  std::mutex mu;
  FakeServer s([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    {
      std::lock_guard<std::mutex> lock(mu);
      lastAccept = rq.get("Accept", "");
    }
    if (rq.getURI() == "/v2/foo/bar/manifests/v1" || rq.getURI() == "/v2/foo/bar/manifests/" + digest) {
      rs.set("Docker-Content-Digest", digest);
      return reply(rs, 200, body, "application/vnd.oci.image.index.v1+json; charset=utf-8");
    }
    if (rq.getURI() == "/v2/foo/bar/manifests/lying") {
      rs.set("Docker-Content-Digest", "sha256:" + std::string(64, '0'));
      return reply(rs, 200, body, "application/vnd.oci.image.index.v1+json");
    }
    reply(rs, 404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})");
  });
  RegistryClient c(localOptions(s));
  auto head = c.headManifest("foo/bar", "v1");
  BOOST_TEST_REQUIRE(head.isOk(), head.status().toString());
  BOOST_TEST(head->digest == digest);
  BOOST_TEST(head->mediaType == "application/vnd.oci.image.index.v1+json");
  BOOST_TEST(head->size == body.size());
  BOOST_TEST(lastAccept == kManifestAccept);

  auto m = c.getManifest("foo/bar", "v1");
  BOOST_TEST_REQUIRE(m.isOk(), m.status().toString());
  BOOST_TEST(m->bytes == body);
  BOOST_TEST(m->digest == digest);
  BOOST_TEST(m->mediaType == "application/vnd.oci.image.index.v1+json");
  BOOST_TEST(c.getManifest("foo/bar", digest).isOk());

  // Asked by digest, served other bytes: DATA_LOSS.
  auto wrong = c.getManifest("foo/bar", "sha256:" + std::string(64, 'b'));
  BOOST_TEST(wrong.status().code() == StatusCode::kNotFound);  // this server 404s it
  auto lying = c.getManifest("foo/bar", "lying");
  BOOST_TEST(lying.status().code() == StatusCode::kDataLoss);

  auto missing = c.headManifest("foo/bar", "nope");
  BOOST_TEST(missing.status().code() == StatusCode::kNotFound);
  BOOST_TEST(missing.status().message().find("foo/bar:nope") != std::string::npos);
  auto missingGet = c.getManifest("foo/bar", "nope");
  BOOST_TEST(missingGet.status().message().find("MANIFEST_UNKNOWN") != std::string::npos);

  BOOST_TEST(c.getManifest("foo/bar", "../../etc").status().code() == StatusCode::kInvalidArgument);
  BOOST_TEST(c.getManifest("Foo", "v1").status().code() == StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(a_conditional_head_reads_304_as_the_known_digest) {
  // As Distribution's manifest handler: If-None-Match equal to the tag's digest (quoted or
  // not) is answered 304 with no body and no digest header, before the manifest is read.
  const std::string current = "sha256:" + std::string(64, 'a');
  const std::string older = "sha256:" + std::string(64, 'b');
  std::vector<std::string> conditions;
  std::mutex mu;
  bool alwaysNotModified = false;  // a broken server: 304 whatever was asked
  FakeServer s([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    const std::string condition = rq.get("If-None-Match", "");
    {
      std::lock_guard<std::mutex> lock(mu);
      conditions.push_back(condition);
    }
    if (alwaysNotModified || condition == "\"" + current + "\"") {
      rs.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
      rs.setContentLength(0);
      rs.send();
      return;
    }
    rs.set("Docker-Content-Digest", current);
    reply(rs, 200, R"({"schemaVersion":2})", "application/vnd.oci.image.manifest.v1+json");
  });
  RegistryClient c(localOptions(s));

  auto same = c.headManifest("foo/bar", "v1", current);
  BOOST_TEST_REQUIRE(same.isOk(), same.status().toString());
  BOOST_TEST(same->notModified);
  BOOST_TEST(same->digest == current);

  auto moved = c.headManifest("foo/bar", "v1", older);  // the tag moved since: a full answer
  BOOST_TEST_REQUIRE(moved.isOk(), moved.status().toString());
  BOOST_TEST(!moved->notModified);
  BOOST_TEST(moved->digest == current);
  BOOST_TEST(moved->mediaType == "application/vnd.oci.image.manifest.v1+json");

  auto plain = c.headManifest("foo/bar", "v1");
  BOOST_TEST_REQUIRE(plain.isOk());
  BOOST_TEST(!plain->notModified);
  (void)c.headManifest("foo/bar", "v1", "not-a-digest\r\nX-Injected: 1");  // never sent as is
  {
    std::lock_guard<std::mutex> lock(mu);
    BOOST_REQUIRE(conditions.size() == 4u);
    BOOST_TEST(conditions[0] == "\"" + current + "\"");
    BOOST_TEST(conditions[1] == "\"" + older + "\"");
    BOOST_TEST(conditions[2].empty());
    BOOST_TEST(conditions[3].empty());
  }

  // A 304 to a request that asked nothing is not "unchanged": it is an error.
  alwaysNotModified = true;
  auto unasked = c.headManifest("foo/bar", "v1");
  BOOST_TEST(!unasked.isOk());
  // By digest, a 304 for another digest than the reference cannot be right.
  auto byDigest = c.headManifest("foo/bar", current, older);
  BOOST_TEST(byDigest.status().code() == StatusCode::kDataLoss);
}

BOOST_AUTO_TEST_CASE(manifest_by_digest_mismatch_is_data_loss) {
  const std::string wantDigest = "sha256:" + std::string(64, 'c');
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    reply(rs, 200, R"({"schemaVersion":2})", "application/vnd.oci.image.manifest.v1+json");
  });
  RegistryClient c(localOptions(s));
  auto m = c.getManifest("foo/bar", wantDigest);
  BOOST_TEST(m.status().code() == StatusCode::kDataLoss);
  BOOST_TEST(m.status().message().find(wantDigest) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(manifest_over_four_mib_is_refused) {
  const std::string big(4 * 1024 * 1024 + 1, ' ');
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) { reply(rs, 200, big); });
  RegistryClient c(localOptions(s));
  auto m = c.getManifest("foo/bar", "v1");
  BOOST_TEST(!m.isOk());
  BOOST_TEST(m.status().message().find("limit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(blob_streams_into_sink_identity_encoding) {
  BlobServer b;
  b.blob = randomBytes(3 * 1024 * 1024 + 17, 1);
  RegistryClient c(localOptions(b.server));
  MemorySink sink;
  Status s = c.fetchBlob("foo/bar", kDigest, b.blob.size(), sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((sink.bytes == b.blob));
  BOOST_TEST(b.ranges.size() == 1u);
  BOOST_TEST(b.ranges[0].empty());
  BOOST_TEST(b.acceptEncodings[0] == "identity");
}

// A part of a blob whose sibling failed for good is abandoned (BlobSink::abandoned): its
// request, stalled before any answer, is cut by the watchdog at once instead of waiting for
// the 30 s timeout, with no task cancellation involved.
BOOST_AUTO_TEST_CASE(a_request_whose_sink_is_abandoned_is_cut) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));  // never answers
  RegistryClientOptions o;
  o.host = "127.0.0.1:" + std::to_string(listener.address().port());
  o.plainHttp = true;
  o.allowPrivateNetworks = true;
  o.maxAttempts = 1;
  o.timeout = std::chrono::seconds(30);
  o.lowSpeedLimitBytes = 0;  // no head deadline either: only the abandonment may end it
  RegistryClient client(o);
  struct AbandonableSink : MemorySink {
    std::atomic<bool> gone{false};
    bool abandoned() const override { return gone.load(); }
  } sink;
  std::thread abandon([&sink] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sink.gone = true;
  });
  const auto started = std::chrono::steady_clock::now();
  Status s = client.fetchBlobRange("foo/bar", "sha256:" + std::string(64, 'a'), 0, 100, sink);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  abandon.join();
  BOOST_TEST(s.code() == StatusCode::kCancelled, s.toString());
  BOOST_TEST(took.count() < 10000);
}

BOOST_AUTO_TEST_CASE(blob_resumes_with_range_after_a_dropped_connection) {
  BlobServer b;
  b.blob = randomBytes(3 * 1024 * 1024, 2);
  b.drops = 1;
  b.dropAfter = 1234567;
  RegistryClient c(localOptions(b.server));
  MemorySink sink;
  Status s = c.fetchBlob("foo/bar", kDigest, b.blob.size(), sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((sink.bytes == b.blob));
  BOOST_TEST(sink.resets == 0);
  BOOST_TEST_REQUIRE(b.ranges.size() == 2u);
  BOOST_TEST(b.ranges[1] == "bytes=1234567-");
}

BOOST_AUTO_TEST_CASE(blob_restarts_when_server_ignores_range) {
  BlobServer b;
  b.blob = randomBytes(2 * 1024 * 1024, 3);
  b.drops = 1;
  b.dropAfter = 700000;
  b.honourRange = false;
  RegistryClient c(localOptions(b.server));
  MemorySink sink;
  Status s = c.fetchBlob("foo/bar", kDigest, b.blob.size(), sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((sink.bytes == b.blob));
  BOOST_TEST(sink.resets == 1);
  BOOST_TEST_REQUIRE(b.ranges.size() == 2u);
  BOOST_TEST(b.ranges[1] == "bytes=700000-");
}

BOOST_AUTO_TEST_CASE(blob_larger_than_expected_is_data_loss) {
  BlobServer b;
  b.blob = randomBytes(1000, 4);
  RegistryClient c(localOptions(b.server));
  MemorySink sink;
  Status s = c.fetchBlob("foo/bar", kDigest, 999, sink);
  BOOST_TEST(s.code() == StatusCode::kDataLoss);
  BOOST_TEST(s.message().find(kDigest) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(blob_range_fetch) {
  BlobServer b;
  b.blob = randomBytes(100000, 5);
  RegistryClient c(localOptions(b.server));
  MemorySink sink;
  Status s = c.fetchBlobRange("foo/bar", kDigest, 1000, 5000, sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((sink.bytes == b.blob.substr(1000, 5000)));
  BOOST_TEST(b.ranges[0] == "bytes=1000-5999");

  BlobServer ignoring;
  ignoring.blob = b.blob;
  ignoring.honourRange = false;
  RegistryClient c2(localOptions(ignoring.server));
  MemorySink sink2;
  // A whole-blob answer to a part request is "no ranges here" (the caller fetches the blob
  // whole), not a download of everything up to the part.
  Status s2 = c2.fetchBlobRange("foo/bar", kDigest, 1000, 5000, sink2);
  BOOST_TEST(s2.code() == StatusCode::kUnimplemented);
  BOOST_TEST(s2.message().find("ignores Range") != std::string::npos, s2.message());
  BOOST_TEST(sink2.bytes.empty());
  BOOST_TEST(ignoring.ranges.size() == 1u);  // not retried
}

BOOST_AUTO_TEST_CASE(blob_range_206_without_content_range_is_unimplemented) {
  const std::string blob = randomBytes(10000, 9);
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    rs.setStatus(Poco::Net::HTTPResponse::HTTP_PARTIAL_CONTENT);
    rs.setContentLength64(100);
    rs.send().write(blob.data(), 100);
  });
  RegistryClient c(localOptions(s));
  MemorySink sink;
  Status st = c.fetchBlobRange("foo/bar", kDigest, 0, 100, sink);
  BOOST_TEST(st.code() == StatusCode::kUnimplemented);
  BOOST_TEST(st.message().find("without Content-Range") != std::string::npos, st.message());
}

BOOST_AUTO_TEST_CASE(blob_range_resumes_a_broken_part_within_the_range) {
  BlobServer b;
  b.blob = randomBytes(300000, 10);
  b.drops = 1;
  b.dropAfter = 50000;
  RegistryClient c(localOptions(b.server));
  MemorySink sink;
  Status s = c.fetchBlobRange("foo/bar", kDigest, 100000, 150000, sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((sink.bytes == b.blob.substr(100000, 150000)));
  BOOST_TEST_REQUIRE(b.ranges.size() == 2u);
  BOOST_TEST(b.ranges[0] == "bytes=100000-249999");
  BOOST_TEST(b.ranges[1] == "bytes=150000-249999");
}

BOOST_AUTO_TEST_CASE(https_to_a_plain_http_server_hints_at_insecure_registries) {
  // A plain-HTTP server answering the TLS ClientHello with an HTTP 400, as Go's net/http (and
  // so docker-registry) does. Written by hand: Poco's HTTPServer sometimes just closes on the
  // garbage, which the client sees as an EOF rather than "wrong version number".
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::thread server([&listener] {
    Poco::Net::StreamSocket peer = listener.acceptConnection();
    char hello[512];
    peer.receiveBytes(hello, sizeof hello);  // the ClientHello
    const std::string answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n";
    peer.sendBytes(answer.data(), static_cast<int>(answer.size()));
    peer.close();
  });
  const std::string hostPort = "127.0.0.1:" + std::to_string(listener.address().port());
  RegistryClientOptions o;
  o.host = hostPort;
  o.allowPrivateNetworks = true;
  o.timeout = std::chrono::milliseconds(5000);
  o.plainHttp = false;  // speak TLS to a plain-HTTP server
  o.maxAttempts = 1;
  RegistryClient c(o);
  auto r = c.headManifest("foo/bar", "latest");
  server.join();
  BOOST_TEST_REQUIRE(!r.isOk());
  BOOST_TEST(r.status().code() == StatusCode::kUnavailable);  // the code stays a network error
  BOOST_TEST(r.status().message().find(
                 "the server may speak plain HTTP; if so, list `" + hostPort +
                 "` in insecure_registries") != std::string::npos,
             r.status().message());
}

BOOST_AUTO_TEST_CASE(a_refused_https_connection_has_no_plain_http_hint) {
  uint16_t port;
  {
    FakeServer gone([](HTTPServerRequest&, HTTPServerResponse& rs) { reply(rs, 200, "{}"); });
    port = gone.port();
  }
  RegistryClientOptions o;
  o.host = "127.0.0.1:" + std::to_string(port);
  o.allowPrivateNetworks = true;
  o.maxAttempts = 1;
  RegistryClient c(o);
  auto r = c.headManifest("foo/bar", "latest");
  BOOST_TEST_REQUIRE(!r.isOk());
  BOOST_TEST(r.status().message().find("insecure_registries") == std::string::npos,
             r.status().message());
}

BOOST_AUTO_TEST_CASE(redirect_to_other_host_drops_authorization) {
  const std::string blob = randomBytes(300000, 6);
  std::mutex mu;
  std::vector<std::string> cdnAuth, cdnUris, registryAuth;
  FakeServer cdn([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    {
      std::lock_guard<std::mutex> lock(mu);
      cdnAuth.push_back(rq.has("Authorization") ? rq.get("Authorization") : "<absent>");
      cdnUris.push_back(rq.getURI());
    }
    reply(rs, 200, blob, "application/octet-stream");
  });
  FakeServer registry([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    {
      std::lock_guard<std::mutex> lock(mu);
      registryAuth.push_back(rq.get("Authorization", ""));
    }
    if (rq.get("Authorization", "") != "Bearer ready") {
      rs.set("WWW-Authenticate", R"(Basic realm="x")");
      return reply(rs, 401, "");
    }
    rs.set("Location", cdn.url() + "/blobs/data?X-Amz-Signature=ab%2Fcd%3D&Expires=1");
    reply(rs, 307, "");
  });
  auto o = localOptions(registry);
  o.credentials.token = "ready";
  RegistryClient c(o);
  MemorySink sink;
  Status s = c.fetchBlob("foo/bar", kDigest, blob.size(), sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((sink.bytes == blob));
  BOOST_TEST_REQUIRE(cdnAuth.size() == 1u);
  BOOST_TEST(cdnAuth[0] == "<absent>");
  BOOST_TEST(cdnUris[0] == "/blobs/data?X-Amz-Signature=ab%2Fcd%3D&Expires=1");  // byte-exact
  BOOST_TEST(registryAuth[0] == "Bearer ready");
}

// A blob redirect to another host goes through the same check-then-connect: the CDN's name
// answers 127.0.0.1 (where it listens) on the first lookup and 127.0.0.2 (nothing) after.
BOOST_AUTO_TEST_CASE(redirect_target_is_connected_at_its_checked_address) {
  const std::string blob = randomBytes(5000, 8);
  std::atomic<int> cdnLookups{0};
  std::string cdnHost;
  FakeServer cdn([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    cdnHost = rq.getHost();
    reply(rs, 200, blob, "application/octet-stream");
  });
  FakeServer registry([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    rs.set("Location", "http://cdn.rebind.test:" + std::to_string(cdn.port()) + "/blob");
    reply(rs, 307, "");
  });
  auto o = localOptions(registry);
  o.resolveHost = [&](const std::string& host) {
    BOOST_TEST(host == "cdn.rebind.test");
    return std::vector<std::string>{++cdnLookups == 1 ? "127.0.0.1" : "127.0.0.2"};
  };
  RegistryClient c(o);
  MemorySink sink;
  Status s = c.fetchBlob("foo/bar", kDigest, blob.size(), sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((sink.bytes == blob));
  BOOST_TEST(cdnLookups.load() == 1);
  BOOST_TEST(cdnHost == "cdn.rebind.test:" + std::to_string(cdn.port()));
}

BOOST_AUTO_TEST_CASE(too_many_redirects_fail) {
  FakeServer s([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    rs.set("Location", rq.getURI() + "x");
    reply(rs, 302, "");
  });
  RegistryClient c(localOptions(s));
  MemorySink sink;
  Status st = c.fetchBlob("foo/bar", kDigest, 10, sink);
  BOOST_TEST(st.code() == StatusCode::kFailedPrecondition);
  BOOST_TEST(st.message().find("redirects") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(server_error_then_success_is_retried) {
  std::atomic<int> calls{0};
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    if (++calls == 1) return reply(rs, 503, R"({"errors":[{"code":"UNAVAILABLE","message":"try later"}]})");
    reply(rs, 200, R"({"schemaVersion":2})", "application/vnd.oci.image.manifest.v1+json");
  });
  RegistryClient c(localOptions(s));
  auto m = c.getManifest("foo/bar", "v1");
  BOOST_TEST_REQUIRE(m.isOk(), m.status().toString());
  BOOST_TEST(calls.load() == 2);
}

BOOST_AUTO_TEST_CASE(persistent_server_error_is_unavailable_after_max_attempts) {
  std::atomic<int> calls{0};
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    ++calls;
    reply(rs, 500, "");
  });
  auto o = localOptions(s);
  o.maxAttempts = 2;
  RegistryClient c(o);
  auto m = c.getManifest("foo/bar", "v1");
  BOOST_TEST(m.status().code() == StatusCode::kUnavailable);
  BOOST_TEST(calls.load() == 2);
}

BOOST_AUTO_TEST_CASE(rate_limited_429_honours_retry_after) {
  std::atomic<int> calls{0};
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    if (++calls == 1) {
      rs.set("Retry-After", "1");
      return reply(rs, 429, R"({"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]})");
    }
    reply(rs, 200, R"({"schemaVersion":2})", "application/vnd.oci.image.manifest.v1+json");
  });
  RegistryClient c(localOptions(s));
  auto start = std::chrono::steady_clock::now();
  auto m = c.getManifest("foo/bar", "v1");
  auto waited = std::chrono::steady_clock::now() - start;
  BOOST_TEST_REQUIRE(m.isOk(), m.status().toString());
  BOOST_TEST(calls.load() == 2);
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() >= 950);

  // Still limited after every attempt: RESOURCE_EXHAUSTED.
  FakeServer limited([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    rs.set("Retry-After", "0");
    reply(rs, 429, "");
  });
  auto o = localOptions(limited);
  o.maxAttempts = 2;
  RegistryClient c2(o);
  BOOST_TEST(c2.getManifest("foo/bar", "v1").status().code() == StatusCode::kResourceExhausted);
}

// Docker Hub: a 429 means the quota is spent for hours; it is never repeated, and the
// response observer sees it (and the rate-limit headers of every answer).
BOOST_AUTO_TEST_CASE(a_429_is_not_repeated_when_max_attempts_on_429_is_one) {
  std::atomic<int> calls{0};
  FakeServer s([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    ++calls;
    rs.set("ratelimit-remaining", "0;w=60");
    if (rq.getMethod() == "HEAD") return reply(rs, 200, "", "application/vnd.oci.image.manifest.v1+json");
    rs.set("Retry-After", "1");
    reply(rs, 429, "");
  });
  auto o = localOptions(s);
  o.maxAttemptsOn429 = 1;
  std::vector<std::pair<int, std::string>> seen;
  std::mutex mu;
  o.onRegistryResponse = [&](const std::string& method, int status,
                             const std::map<std::string, std::string>& headers) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = headers.find("ratelimit-remaining");
    seen.emplace_back(status, method + " " + (it == headers.end() ? "" : it->second));
  };
  RegistryClient c(o);
  (void)c.headManifest("foo/bar", "v1");
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(c.getManifest("foo/bar", "v1").status().code() == StatusCode::kResourceExhausted);
  const bool quick = std::chrono::steady_clock::now() - start < std::chrono::milliseconds(900);
  BOOST_TEST(quick);  // Retry-After: 1 was not waited for: nothing is retried
  BOOST_TEST(calls.load() == 2);
  BOOST_REQUIRE(seen.size() == 2u);
  BOOST_TEST(seen[0].second == "HEAD 0;w=60");
  BOOST_TEST(seen[1].first == 429);
}

// Vendor API calls carry their own headers (tokens) and never follow a redirect with them.
BOOST_AUTO_TEST_CASE(vendor_api_calls_do_not_follow_redirects) {
  std::atomic<int> calls{0};
  FakeServer s([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    ++calls;
    BOOST_TEST(rq.get("Authorization", "") == "Bearer api-token");
    rs.set("Location", "https://elsewhere.example/steal");
    reply(rs, 302, "");
  });
  RegistryClient c(localOptions(s));
  auto r = c.call("GET", "/api/v1/repository/a/b/tag/", {{"Authorization", "Bearer api-token"}});
  BOOST_TEST_REQUIRE(r.isOk(), r.status().toString());
  BOOST_TEST(r->status == 302);
  BOOST_TEST(calls.load() == 1);
}

BOOST_AUTO_TEST_CASE(connection_refused_is_unavailable) {
  uint16_t port;
  { FakeServer gone([](HTTPServerRequest&, HTTPServerResponse& rs) { reply(rs, 200, ""); }); port = gone.port(); }
  RegistryClientOptions o;
  o.host = "127.0.0.1:" + std::to_string(port);
  o.plainHttp = true;
  o.allowPrivateNetworks = true;
  o.maxAttempts = 1;
  RegistryClient c(o);
  auto r = c.listTags("foo/bar");
  BOOST_TEST(r.status().code() == StatusCode::kUnavailable);
  BOOST_TEST(r.status().message().find(o.host) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cancellation_stops_with_cancelled) {
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) { reply(rs, 503, ""); });
  auto o = localOptions(s);
  o.maxAttempts = 10;
  std::atomic<int> polls{0};
  o.isCancelled = [&] { return ++polls > 2; };
  RegistryClient c(o);
  BOOST_TEST(c.getManifest("foo/bar", "v1").status().code() == StatusCode::kCancelled);
}

BOOST_AUTO_TEST_CASE(loopback_refused_without_allow_private_networks) {
  std::atomic<int> calls{0};
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    ++calls;
    reply(rs, 200, R"({"tags":[]})");
  });
  auto o = localOptions(s);
  o.allowPrivateNetworks = false;
  RegistryClient c(o);
  auto r = c.listTags("foo/bar");
  BOOST_TEST(r.status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(r.status().message().find("loopback") != std::string::npos);
  BOOST_TEST(r.status().message().find("allow private networks") != std::string::npos);
  BOOST_TEST(calls.load() == 0);
}

BOOST_AUTO_TEST_CASE(redirect_to_private_address_refused) {
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    rs.set("Location", "http://169.254.169.254/latest/meta-data/");
    reply(rs, 307, "");
  });
  // The registry itself is reached through "localhost" only because this test must stay on
  // loopback; the redirect target is what is refused.
  auto o = localOptions(s);
  o.allowPrivateNetworks = false;
  RegistryClient c(o);
  MemorySink sink;
  Status st = c.fetchBlob("foo/bar", kDigest, 10, sink);
  BOOST_TEST(st.code() == StatusCode::kPermissionDenied);
}

BOOST_AUTO_TEST_CASE(get_returns_plain_reply) {
  FakeServer s([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    rs.set("X-Thing", "1");
    reply(rs, 200, "{\"uri\":\"" + rq.getURI() + "\"}");
  });
  RegistryClient c(localOptions(s));
  auto r = c.get("/v2/foo/bar/tags/list?n=10000", "foo/bar");
  BOOST_TEST_REQUIRE(r.isOk(), r.status().toString());
  BOOST_TEST(r->status == 200);
  BOOST_TEST(r->headers["x-thing"] == "1");
  BOOST_TEST(r->body == R"({"uri":"/v2/foo/bar/tags/list?n=10000"})");
  BOOST_TEST(c.get("//evil/x", "foo/bar").status().code() == StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(keep_alive_connection_is_reused) {
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    reply(rs, 200, R"({"schemaVersion":2})", "application/vnd.oci.image.manifest.v1+json");
  });
  RegistryClient c(localOptions(s));
  for (int i = 0; i < 5; ++i) BOOST_TEST_REQUIRE(c.getManifest("foo/bar", "v1").isOk());
  BOOST_TEST(s.totalConnections() == 1);
}

BOOST_AUTO_TEST_CASE(errors_of_a_redirected_fetch_name_the_redirect_target) {
  // Both ends on loopback: the target answers 404 / is refused by the policy.
  FakeServer target([&](HTTPServerRequest&, HTTPServerResponse& rs) { reply(rs, 404, "gone"); });
  FakeServer origin([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    rs.set("Location", target.url() + "/cdn/blob?sig=secret");
    reply(rs, 307, "");
  });
  RegistryClient c(localOptions(origin));
  MemorySink sink;
  Status st = c.fetchBlob("foo/bar", kDigest, 10, sink);
  BOOST_TEST(!st.isOk());
  BOOST_TEST(st.message().find("redirected to " + target.url()) != std::string::npos, st.message());
  BOOST_TEST(st.message().find("sig=secret") == std::string::npos, st.message());

}

BOOST_AUTO_TEST_CASE(a_trickling_body_is_abandoned_by_the_low_speed_limit_within_its_retries) {
  // 1 byte every 50 ms (20 B/s) against a limit of 1000 B/s over 300 ms: each try is abandoned
  // after ~300 ms, resumed with Range, and the fetch gives up after maxAttempts slow tries.
  std::atomic<int> requests{0};
  std::atomic<bool> stop{false};
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    ++requests;
    rs.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    rs.setContentLength(100000);
    std::ostream& out = rs.send();
    for (int i = 0; i < 200 && !stop && out.good(); ++i) {
      out.put('x');
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto o = localOptions(s);
  o.lowSpeedLimitBytes = 1000;
  o.lowSpeedTime = std::chrono::milliseconds(300);
  o.maxAttempts = 3;
  RegistryClient c(o);
  MemorySink sink;
  const auto started = std::chrono::steady_clock::now();
  Status st = c.fetchBlob("foo/bar", kDigest, 100000, sink);
  const auto took = std::chrono::steady_clock::now() - started;
  stop = true;
  BOOST_TEST(st.code() == StatusCode::kDeadlineExceeded);
  BOOST_TEST(st.message().find("low_speed_limit_bytes") != std::string::npos, st.message());
  BOOST_TEST(requests.load() == 3);
  // 3 tries x 300 ms plus two short retry delays; far below the 10 s the trickle would take.
  BOOST_TEST((took < std::chrono::seconds(4)));
}

BOOST_AUTO_TEST_CASE(a_slow_but_steady_body_within_the_limit_completes) {
  const std::string body(3000, 'y');
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    rs.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    rs.setContentLength(static_cast<std::streamsize>(body.size()));
    std::ostream& out = rs.send();
    for (size_t i = 0; i < body.size() && out.good(); i += 300) {
      out.write(body.data() + i, 300);
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // ~6000 B/s
    }
  });
  auto o = localOptions(s);
  o.lowSpeedLimitBytes = 1000;
  o.lowSpeedTime = std::chrono::milliseconds(200);
  RegistryClient c(o);
  MemorySink sink;
  Status st = c.fetchBlob("foo/bar", sha256Digest(body), body.size(), sink);
  BOOST_TEST(st.isOk(), st.toString());
}

BOOST_AUTO_TEST_CASE(endless_tag_pages_stop_at_max_tags_and_keep_only_wanted_tags) {
  // Every page links to a new URL with 1000 tags of 128 characters: without bounds this grows
  // to gigabytes before the page cap.
  std::atomic<int> pages{0};
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    const int n = pages++;
    std::string body = "{\"name\":\"foo/bar\",\"tags\":[";
    for (int i = 0; i < 1000; ++i) {
      std::string tag = "p" + std::to_string(n) + "-" + std::to_string(i) + "-";
      tag += std::string(128 - tag.size(), 'x');
      body += (i ? ",\"" : "\"") + tag + "\"";
    }
    body += "]}";
    rs.set("Link", "</v2/foo/bar/tags/list?n=1000&last=p" + std::to_string(n) + ">; rel=\"next\"");
    reply(rs, 200, body);
  });
  auto o = localOptions(s);
  o.maxTags = 5000;
  RegistryClient c(o);
  size_t offered = 0;
  auto r = c.listTags("foo/bar", [&](const std::string& t) {
    ++offered;
    return t.rfind("p1-7-", 0) == 0;
  });
  BOOST_TEST(r.status().code() == StatusCode::kResourceExhausted);
  BOOST_TEST(r.status().message().find("more than 5000 tags (max_tags)") != std::string::npos,
             r.status().message());
  BOOST_TEST(pages.load() == 6);
  BOOST_TEST(offered == 5000u);

  // The byte cap: 64 KiB is passed on the first page.
  auto small = localOptions(s);
  small.maxTagListBytes = 64 << 10;
  RegistryClient c2(small);
  auto r2 = c2.listTags("foo/bar");
  BOOST_TEST(r2.status().code() == StatusCode::kResourceExhausted);
  BOOST_TEST(r2.status().message().find("max_tag_list_bytes") != std::string::npos,
             r2.status().message());
}

BOOST_AUTO_TEST_CASE(a_filtered_listing_returns_only_the_wanted_tags) {
  FakeServer s([&](HTTPServerRequest& rq, HTTPServerResponse& rs) {
    if (rq.getURI().find("last=") == std::string::npos) {
      rs.set("Link", "</v2/foo/bar/tags/list?n=2&last=b>; rel=\"next\"");
      return reply(rs, 200, R"({"tags":["a","b"]})");
    }
    reply(rs, 200, R"({"tags":["c","keep-me"]})");
  });
  RegistryClient c(localOptions(s));
  auto r = c.listTags("foo/bar", [](const std::string& t) { return t != "b" && t != "c"; });
  BOOST_TEST_REQUIRE(r.isOk(), r.status().toString());
  BOOST_TEST((*r == std::vector<std::string>{"a", "keep-me"}));
  FakeServer bad([&](HTTPServerRequest&, HTTPServerResponse& rs) {
    reply(rs, 200, R"({"tags":["a",5]})");
  });
  RegistryClient c3(localOptions(bad));
  BOOST_TEST(c3.listTags("foo/bar").status().code() == StatusCode::kDataLoss);
}

BOOST_AUTO_TEST_CASE(a_response_head_trickled_byte_by_byte_is_cut_at_its_deadline) {
  // Per-operation timeouts never fire on one header byte every 50 ms; the head deadline does.
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::atomic<bool> stop{false};
  std::atomic<int> connections{0};
  std::thread server([&] {
    std::vector<std::thread> peers;
    while (!stop) {
      if (!listener.poll(Poco::Timespan(0, 50000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket peer = listener.acceptConnection();
      ++connections;
      peers.emplace_back([peer, &stop]() mutable {
        try {
          char request[4096];
          peer.receiveBytes(request, sizeof request);
          const std::string head = "HTTP/1.1 200 OK\r\nX-Slow: ";
          peer.sendBytes(head.data(), static_cast<int>(head.size()));
          for (int i = 0; i < 200 && !stop; ++i) {
            peer.sendBytes("a", 1);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
        } catch (const Poco::Exception&) {
          // the client shut the connection: the point of the test
        }
      });
    }
    for (auto& t : peers) t.join();
  });
  RegistryClientOptions o;
  o.host = "127.0.0.1:" + std::to_string(listener.address().port());
  o.plainHttp = true;
  o.allowPrivateNetworks = true;
  o.timeout = std::chrono::milliseconds(400);
  o.lowSpeedLimitBytes = 1000;
  o.lowSpeedTime = std::chrono::milliseconds(300);
  o.maxAttempts = 2;
  const auto started = std::chrono::steady_clock::now();
  Status st;
  {
    RegistryClient c(o);
    st = c.headManifest("foo/bar", "latest").status();
  }
  const auto took = std::chrono::steady_clock::now() - started;
  stop = true;
  server.join();
  BOOST_TEST(st.code() == StatusCode::kDeadlineExceeded);
  BOOST_TEST(st.message().find("response head did not arrive") != std::string::npos, st.message());
  BOOST_TEST(connections.load() == 2);
  BOOST_TEST((took < std::chrono::seconds(3)));
}

// A source that stops sending: `where` says when (before the head, inside a fixed-length body,
// inside a chunked body). The handler holds until `release` (or 30 s).
struct StalledSource {
  enum class Where { kBeforeHead, kInBody, kInChunkedBody };
  explicit StalledSource(Where where)
      : server([this, where](HTTPServerRequest&, HTTPServerResponse& rs) {
          if (where != Where::kBeforeHead) {
            rs.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
            if (where == Where::kInChunkedBody) {
              rs.setChunkedTransferEncoding(true);
            } else {
              rs.setContentLength(100000);
            }
            std::ostream& out = rs.send();
            out << std::string(1000, 'x');
            out.flush();
          }
          stalled = true;
          for (int i = 0; i < 1500 && !release; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }) {}
  ~StalledSource() { release = true; }
  std::atomic<bool> stalled{false};
  std::atomic<bool> release{false};
  FakeServer server;  // last: stopped (its handler threads joined) before the flags go
};

// Cancels once the source is stalled, then measures how long the blocked call takes to end.
void expectPromptCancel(StalledSource::Where where, bool blob) {
  StalledSource source(where);
  auto o = localOptions(source.server);
  o.timeout = std::chrono::milliseconds(30000);  // the socket timeout a stall would wait for
  o.lowSpeedTime = std::chrono::milliseconds(30000);
  std::atomic<bool> cancelled{false};
  o.isCancelled = [&] { return cancelled.load(); };
  std::chrono::steady_clock::time_point cancelledAt;
  std::thread canceller([&] {
    while (!source.stalled) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // blocked in the read now
    cancelledAt = std::chrono::steady_clock::now();
    cancelled = true;
  });
  Status st;
  {
    RegistryClient c(o);
    if (blob) {
      MemorySink sink;
      st = c.fetchBlob("foo/bar", kDigest, 100000, sink);
    } else {
      st = c.getManifest("foo/bar", "v1").status();
    }
  }
  const auto ended = std::chrono::steady_clock::now();
  canceller.join();
  source.release = true;
  BOOST_TEST(st.code() == StatusCode::kCancelled, st.toString());
  // The ABI's promise is a second; the watchdog polls every 200 ms.
  BOOST_TEST((ended - cancelledAt < std::chrono::milliseconds(1000)));
}

BOOST_AUTO_TEST_CASE(a_cancelled_task_ends_a_read_stalled_before_the_response_head) {
  expectPromptCancel(StalledSource::Where::kBeforeHead, false);
}

BOOST_AUTO_TEST_CASE(a_cancelled_task_ends_a_read_stalled_inside_a_blob_body) {
  expectPromptCancel(StalledSource::Where::kInBody, true);
}

BOOST_AUTO_TEST_CASE(a_cancelled_task_ends_a_read_stalled_inside_a_chunked_body) {
  // Chunked bodies are read through Poco's stream: the shut-down socket's EOF must not pass
  // for the end of the body.
  expectPromptCancel(StalledSource::Where::kInChunkedBody, false);
}

BOOST_AUTO_TEST_CASE(an_uncancelled_watch_leaves_requests_alone_and_reuses_connections) {
  // The watchdog polls the probe while requests are in flight; a probe that says no must not
  // cost a connection.
  FakeServer s([&](HTTPServerRequest&, HTTPServerResponse& rs) { reply(rs, 200, R"({"tags":["a"]})"); });
  auto o = localOptions(s);
  std::atomic<int> polls{0};
  o.isCancelled = [&] { ++polls; return false; };
  RegistryClient c(o);
  for (int i = 0; i < 5; ++i) BOOST_TEST(c.listTags("foo/bar").isOk());
  BOOST_TEST(s.totalConnections() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
