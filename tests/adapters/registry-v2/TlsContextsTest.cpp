// TlsContexts: one TLS context per CA file for every client of a provider, built again when
// the CA file is replaced, failures not kept; pools that share it build nothing themselves.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "HttpConnectionPool.h"
#include "StatusPrinting.h"
#include "Url.h"
#include "tributary/registry/TlsContexts.h"

using namespace tributary;
using namespace tributary::registry;

namespace {

// A copy of the system CA bundle: a valid PEM file the test may replace.
struct CaFileCopy {
  std::string dir, path;
  CaFileCopy() {
    char pattern[] = "/tmp/tls-contexts-test-XXXXXX";
    dir = ::mkdtemp(pattern);
    path = dir + "/ca.pem";
    std::filesystem::copy_file("/etc/ssl/certs/ca-certificates.crt", path);
  }
  ~CaFileCopy() { std::filesystem::remove_all(dir); }
  void replace() {  // same certificates, other size: a new file as far as the stamp goes
    std::ofstream(path, std::ios::app) << "\n";
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(TlsContextsTest)

BOOST_AUTO_TEST_CASE(one_context_per_ca_file_until_the_file_is_replaced) {
  CaFileCopy ca;
  TlsContexts contexts;
  auto system1 = contexts.get("");
  auto system2 = contexts.get("");
  BOOST_TEST_REQUIRE(system1.isOk(), system1.status().toString());
  BOOST_TEST_REQUIRE(system2.isOk(), system2.status().toString());
  BOOST_TEST((system1->get() == system2->get()));
  BOOST_TEST(contexts.builds() == 1);

  auto custom1 = contexts.get(ca.path);
  auto custom2 = contexts.get(ca.path);
  BOOST_TEST_REQUIRE(custom1.isOk(), custom1.status().toString());
  BOOST_TEST((custom1->get() == custom2->get()));
  BOOST_TEST((custom1->get() != system1->get()));
  BOOST_TEST(contexts.builds() == 2);

  ca.replace();
  auto custom3 = contexts.get(ca.path);
  BOOST_TEST_REQUIRE(custom3.isOk(), custom3.status().toString());
  BOOST_TEST((custom3->get() != custom1->get()));
  BOOST_TEST(contexts.builds() == 3);
}

BOOST_AUTO_TEST_CASE(a_bad_ca_file_is_an_error_naming_it_and_is_tried_again) {
  TlsContexts contexts;
  for (int i = 0; i < 2; ++i) {
    auto bad = contexts.get("/nonexistent/tributary-test-ca.pem");
    BOOST_TEST(bad.status().code() == StatusCode::kFailedPrecondition);
    BOOST_TEST(bad.status().message().find("/nonexistent/tributary-test-ca.pem") !=
               std::string::npos, bad.status().message());
  }
  BOOST_TEST(contexts.builds() == 0);
}

BOOST_AUTO_TEST_CASE(pools_sharing_contexts_build_one_between_them) {
  auto shared = std::make_shared<TlsContexts>();
  for (int run = 0; run < 3; ++run) {  // a client per run, as a provider creates them
    ConnectionPoolOptions o;
    o.allowPrivateNetworks = true;
    o.tlsContexts = shared;
    HttpConnectionPool pool(o);
    auto u = Url::parse("https://127.0.0.1:6000/v2/");
    BOOST_TEST_REQUIRE(u.isOk());
    auto session = pool.checkout(*u);
    BOOST_TEST_REQUIRE(session.isOk(), session.status().toString());
    BOOST_TEST(pool.tlsContextBuilt());
  }
  BOOST_TEST(shared->builds() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
