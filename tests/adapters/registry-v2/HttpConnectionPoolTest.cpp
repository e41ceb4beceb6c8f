// The TLS context is built lazily: plain-HTTP use never parses the CA bundle; the first https
// connection builds it once (also under concurrent checkouts) and a bad CA file fails https
// checkouts only. (The pool sets OpenSSL up itself when it builds the context.)
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "FakeServer.h"
#include "HttpConnectionPool.h"
#include "StatusPrinting.h"
#include "Url.h"

using namespace tributary;
using namespace tributary::registry;

namespace {

ConnectionPoolOptions loopbackOptions() {
  ConnectionPoolOptions o;
  o.allowPrivateNetworks = true;
  return o;
}

Url url(const std::string& text) {
  auto u = Url::parse(text);
  BOOST_TEST_REQUIRE(u.isOk(), u.status().toString());
  return *u;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(HttpConnectionPoolTest)

// DNS rebinding between the check and the connection: the name resolves to 127.0.0.1 (where
// the server listens) first and to 127.0.0.2 (nothing listens) on every later lookup. The
// session connects — and reconnects after the connection closed — to the checked address;
// the name goes only into the Host header. Before, the connection resolved the name again.
BOOST_AUTO_TEST_CASE(connects_to_the_address_that_was_checked) {
  std::mutex mu;
  std::vector<std::string> hosts;
  testing::FakeServer server([&](Poco::Net::HTTPServerRequest& rq,
                                 Poco::Net::HTTPServerResponse& rs) {
    {
      std::lock_guard<std::mutex> lock(mu);
      hosts.push_back(rq.getHost());
    }
    testing::reply(rs, 200, "ok");
  });
  std::atomic<int> lookups{0};
  ConnectionPoolOptions o = loopbackOptions();
  o.resolver = [&lookups](const std::string& host) {
    BOOST_TEST(host == "rebind.test");
    return std::vector<Poco::Net::IPAddress>{
        Poco::Net::IPAddress(++lookups == 1 ? "127.0.0.1" : "127.0.0.2")};
  };
  HttpConnectionPool pool(o);
  const std::string port = std::to_string(server.port());
  auto s = pool.checkout(url("http://rebind.test:" + port + "/v2/"));
  BOOST_TEST_REQUIRE(s.isOk(), s.status().toString());
  BOOST_TEST((*s)->address().toString() == "127.0.0.1");
  for (int round = 0; round < 2; ++round) {
    Poco::Net::HTTPRequest rq(Poco::Net::HTTPRequest::HTTP_GET, "/v2/",
                              Poco::Net::HTTPMessage::HTTP_1_1);
    rq.setHost("rebind.test:" + port);
    (*s)->http().sendRequest(rq);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString((*s)->http().receiveResponse(resp), body);
    BOOST_TEST(resp.getStatus() == Poco::Net::HTTPResponse::HTTP_OK);
    BOOST_TEST(body == "ok");
    (*s)->http().reset();  // closes the connection: the next request reconnects
  }
  BOOST_TEST(lookups.load() == 1);
  std::lock_guard<std::mutex> lock(mu);
  BOOST_TEST_REQUIRE(hosts.size() == 2u);
  BOOST_TEST(hosts[0] == "rebind.test:" + port);
}

// Public first, private after: the checkout passes on the public answer and its session is
// bound to that address (no request is sent, nothing leaves the machine).
BOOST_AUTO_TEST_CASE(public_then_private_answer_binds_the_public_address) {
  std::atomic<int> lookups{0};
  ConnectionPoolOptions o;
  o.allowPrivateNetworks = false;
  o.resolver = [&lookups](const std::string&) {
    return std::vector<Poco::Net::IPAddress>{
        Poco::Net::IPAddress(++lookups == 1 ? "93.184.216.34" : "127.0.0.1")};
  };
  HttpConnectionPool pool(o);
  auto s = pool.checkout(url("http://rebind.test:8080/v2/"));
  BOOST_TEST_REQUIRE(s.isOk(), s.status().toString());
  BOOST_TEST((*s)->address().toString() == "93.184.216.34");
  BOOST_TEST((*s)->http().getHost() == "93.184.216.34");  // what Poco connects to
  BOOST_TEST(lookups.load() == 1);
  // The next new connection looks up again and is refused on the private answer.
  auto t = pool.checkout(url("http://rebind.test:8080/v2/"));
  BOOST_TEST(t.status().code() == StatusCode::kPermissionDenied);
}

BOOST_AUTO_TEST_CASE(plain_http_never_builds_the_tls_context) {
  HttpConnectionPool pool(loopbackOptions());
  BOOST_TEST(!pool.tlsContextBuilt());
  for (int i = 0; i < 3; ++i) {
    auto s = pool.checkout(url("http://127.0.0.1:5000/v2/"));
    BOOST_TEST_REQUIRE(s.isOk(), s.status().toString());
    pool.giveBack(std::move(*s));
  }
  BOOST_TEST(!pool.tlsContextBuilt());
}

BOOST_AUTO_TEST_CASE(first_https_checkout_builds_it_once_for_all_threads) {
  HttpConnectionPool pool(loopbackOptions());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&pool, &ok, i] {
      // Different ports: distinct origins, so every thread needs a new TLS session.
      auto u = Url::parse("https://127.0.0.1:" + std::to_string(6000 + i) + "/v2/");
      if (u.isOk() && pool.checkout(*u).isOk()) ++ok;
    });
  for (std::thread& t : threads) t.join();
  BOOST_TEST(ok.load() == 4);
  BOOST_TEST(pool.tlsContextBuilt());
  BOOST_TEST(pool.tlsSetupStatus().isOk());
}

BOOST_AUTO_TEST_CASE(bad_ca_file_fails_https_only) {
  ConnectionPoolOptions o = loopbackOptions();
  o.caFile = "/nonexistent/tributary-test-ca.pem";
  HttpConnectionPool pool(o);
  auto plain = pool.checkout(url("http://127.0.0.1:5000/v2/"));
  BOOST_TEST(plain.isOk(), plain.status().toString());
  BOOST_TEST(!pool.tlsContextBuilt());
  for (int i = 0; i < 2; ++i) {  // the failure is remembered, not retried per request
    auto tls = pool.checkout(url("https://127.0.0.1:5000/v2/"));
    BOOST_TEST(tls.status().code() == StatusCode::kFailedPrecondition);
    BOOST_TEST(tls.status().message().find("/nonexistent/tributary-test-ca.pem") !=
               std::string::npos, tls.status().message());
  }
  BOOST_TEST(!pool.tlsContextBuilt());
}

BOOST_AUTO_TEST_SUITE_END()
