// The TLS context is built lazily: plain-HTTP use never parses the CA bundle; the first https
// connection builds it once (also under concurrent checkouts) and a bad CA file fails https
// checkouts only. (The pool sets OpenSSL up itself when it builds the context.)
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

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
