// TLS: a CA and a server certificate (SAN IP:127.0.0.1) made at test time with the openssl
// CLI; the client trusts the server only through caFile, and never follows https->http.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <Poco/File.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/TemporaryFile.h>

#include "FakeServer.h"
#include "StatusPrinting.h"
#include "tributary/registry/RegistryClient.h"

using namespace tributary;
using namespace tributary::registry;
using namespace tributary::registry::testing;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

struct TestPki {
  std::string dir;
  bool ok = false;
  TestPki() {
    char tmpl[] = "/tmp/trib-registry-tls-XXXXXX";
    if (!mkdtemp(tmpl)) return;
    dir = tmpl;
    const std::string d = dir;
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    std::string script =
        "cd " + d + " && "
        "openssl req -x509" + ec + "-keyout ca.key -out ca.pem -days 1 -subj /CN=TributaryTestCA "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign && "
        "openssl req" + ec + "-keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
        "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > ext.cnf && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 1 -extfile ext.cnf";
    ok = std::system(("(" + script + ") >/dev/null 2>&1").c_str()) == 0;
  }
  ~TestPki() {
    if (!dir.empty()) Poco::File(dir).remove(true);
  }
  Poco::Net::Context::Ptr serverContext() const {
    return new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, dir + "/server.key",
                                  dir + "/server.pem", "", Poco::Net::Context::VERIFY_NONE);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(HttpsTest)

BOOST_AUTO_TEST_CASE(custom_ca_is_required_and_sufficient) {
  TestPki pki;
  BOOST_TEST_REQUIRE(pki.ok, "openssl CLI could not make the test certificates");
  FakeServer s(
      [](HTTPServerRequest&, HTTPServerResponse& rs) {
        rs.set("Docker-Content-Digest", sha256Digest("{}"));
        reply(rs, 200, "{}", "application/vnd.oci.image.manifest.v1+json");
      },
      pki.serverContext());
  RegistryClientOptions o;
  o.host = s.hostPort();
  o.allowPrivateNetworks = true;
  o.maxAttempts = 1;
  o.caFile = pki.dir + "/ca.pem";
  RegistryClient trusted(o);
  auto head = trusted.headManifest("foo/bar", "v1");
  BOOST_TEST_REQUIRE(head.isOk(), head.status().toString());
  BOOST_TEST(head->digest == sha256Digest("{}"));
  for (int i = 0; i < 2; ++i) BOOST_TEST(trusted.headManifest("foo/bar", "v1").isOk());
  BOOST_TEST(s.totalConnections() == 1);  // one connection, kept alive

  // The certificate is checked against the name asked for, not the address connected to:
  // the same server under a name its certificate does not carry is refused.
  RegistryClientOptions misnamedOptions = o;
  misnamedOptions.host = "registry.example.test:" + std::to_string(s.port());
  misnamedOptions.resolveHost = [](const std::string&) {
    return std::vector<std::string>{"127.0.0.1"};
  };
  RegistryClient misnamed(misnamedOptions);
  auto wrongName = misnamed.headManifest("foo/bar", "v1");
  BOOST_TEST(wrongName.status().code() == StatusCode::kFailedPrecondition,
             wrongName.status().toString());
  BOOST_TEST(wrongName.status().message().find("certificate") != std::string::npos,
             wrongName.status().message());

  o.caFile.clear();
  RegistryClient untrusted(o);
  auto refused = untrusted.headManifest("foo/bar", "v1");
  BOOST_TEST(refused.status().code() == StatusCode::kFailedPrecondition);
  BOOST_TEST(refused.status().message().find("certificate") != std::string::npos);
  BOOST_TEST(refused.status().message().find(s.hostPort()) != std::string::npos);
}

// A server that takes the TCP connection (the kernel's backlog does) and never answers the
// TLS handshake: cancellation ends the handshake at once, not after the 30 s timeout.
BOOST_AUTO_TEST_CASE(a_stalled_tls_handshake_ends_on_cancellation) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));  // never accepts
  std::atomic<bool> cancel{false};
  RegistryClientOptions o;
  o.host = "127.0.0.1:" + std::to_string(listener.address().port());
  o.allowPrivateNetworks = true;
  o.maxAttempts = 1;
  o.timeout = std::chrono::seconds(30);
  o.isCancelled = [&cancel] { return cancel.load(); };
  RegistryClient client(o);
  std::thread canceller([&cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  const auto started = std::chrono::steady_clock::now();
  auto head = client.headManifest("foo/bar", "v1");
  const auto took = std::chrono::steady_clock::now() - started;
  canceller.join();
  BOOST_TEST(head.status().code() == StatusCode::kCancelled, head.status().toString());
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 10000);
}

BOOST_AUTO_TEST_CASE(https_to_http_redirect_is_refused) {
  TestPki pki;
  BOOST_TEST_REQUIRE(pki.ok);
  FakeServer plain([](HTTPServerRequest&, HTTPServerResponse& rs) { reply(rs, 200, "x"); });
  FakeServer s(
      [&](HTTPServerRequest&, HTTPServerResponse& rs) {
        rs.set("Location", plain.url() + "/blob");
        reply(rs, 307, "");
      },
      pki.serverContext());
  RegistryClientOptions o;
  o.host = s.hostPort();
  o.allowPrivateNetworks = true;
  o.caFile = pki.dir + "/ca.pem";
  RegistryClient c(o);
  struct Sink : BlobSink {
    Status write(const char*, size_t) override { return Status(); }
    Status reset() override { return Status(); }
    uint64_t offset() const override { return 0; }
  } sink;
  Status st = c.fetchBlob("foo/bar", "sha256:" + std::string(64, 'a'), 1, sink);
  BOOST_TEST(st.code() == StatusCode::kPermissionDenied);
  BOOST_TEST(st.message().find("https to plain http") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_ca_file_is_reported) {
  RegistryClientOptions o;
  o.host = "127.0.0.1:1";
  o.allowPrivateNetworks = true;
  o.caFile = "/nonexistent/ca.pem";
  RegistryClient c(o);
  auto r = c.listTags("foo/bar");
  BOOST_TEST(!r.isOk());
  BOOST_TEST(r.status().message().find("/nonexistent/ca.pem") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
