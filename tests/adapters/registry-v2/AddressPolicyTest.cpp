// Which addresses count as loopback/private/link-local/metadata (DESIGN §6).
#include <boost/test/unit_test.hpp>

#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>

#include <utility>
#include <vector>

#include "AddressPolicy.h"
#include "tributary/Status.h"
#include "StatusPrinting.h"

using tributary::Status;
using tributary::StatusCode;
using tributary::registry::AddressPolicy;

namespace {
std::string kind(const std::string& ip) {
  return AddressPolicy::restrictedKind(Poco::Net::IPAddress(ip));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(AddressPolicyTest)

BOOST_AUTO_TEST_CASE(classifies_ranges) {
  BOOST_TEST(kind("127.0.0.1") == "loopback");
  BOOST_TEST(kind("10.1.2.3") == "private");
  BOOST_TEST(kind("172.16.0.1") == "private");
  BOOST_TEST(kind("172.31.255.255") == "private");
  BOOST_TEST(kind("172.32.0.1") == "");
  BOOST_TEST(kind("192.168.1.1") == "private");
  BOOST_TEST(kind("100.64.0.1").find("private") == 0u);
  BOOST_TEST(kind("100.128.0.1") == "");
  BOOST_TEST(kind("169.254.169.254") == "cloud metadata");
  BOOST_TEST(kind("169.254.1.1") == "link-local");
  BOOST_TEST(kind("0.0.0.0") == "unspecified");
  BOOST_TEST(kind("8.8.8.8") == "");
  BOOST_TEST(kind("::1") == "loopback");
  BOOST_TEST(kind("::") == "unspecified");
  BOOST_TEST(kind("fd00:ec2::254") == "cloud metadata");
  BOOST_TEST(kind("fc00::1").find("private") == 0u);
  BOOST_TEST(kind("fe80::1") == "link-local");
  BOOST_TEST(kind("::ffff:127.0.0.1") == "loopback");
  BOOST_TEST(kind("::ffff:10.0.0.1") == "private");
  BOOST_TEST(kind("2001:4860:4860::8888") == "");
}

BOOST_AUTO_TEST_CASE(check_host_refuses_unless_allowed) {
  AddressPolicy strict(false), open(true);
  auto s = strict.checkHost("127.0.0.1", "host");
  BOOST_TEST(s.code() == StatusCode::kPermissionDenied);
  BOOST_TEST(s.message().find("loopback") != std::string::npos);
  BOOST_TEST(strict.checkHost("localhost", "host").code() == StatusCode::kPermissionDenied);
  BOOST_TEST(strict.checkHost("169.254.169.254", "host").message().find("metadata") != std::string::npos);
  BOOST_TEST(open.checkHost("127.0.0.1", "host").isOk());
  BOOST_TEST(strict.checkHost("8.8.8.8", "host").isOk());
}

BOOST_AUTO_TEST_CASE(cloud_metadata_is_refused_even_when_private_networks_are_allowed) {
  // Literal addresses only: nothing here resolves or connects anywhere.
  AddressPolicy open(true), strict(false);
  for (const char* ip : {"169.254.169.254", "169.254.170.2", "169.254.170.23", "100.100.100.200",
                         "168.63.129.16", "fd00:ec2::254", "fd00:ec2::23", "::ffff:169.254.169.254",
                         "::ffff:100.100.100.200", "64:ff9b::a9fe:a9fe"}) {
    BOOST_TEST_INFO(ip);
    BOOST_TEST(kind(ip) == "cloud metadata");
    for (const AddressPolicy* p : {&open, &strict}) {
      Status s = p->checkHost(ip, "blob redirect target");
      BOOST_TEST(s.code() == StatusCode::kPermissionDenied);
      BOOST_TEST(s.message().find(ip) != std::string::npos, s.message());
      BOOST_TEST(s.message().find("cloud metadata") != std::string::npos, s.message());
    }
  }
  // Neighbours of the metadata addresses keep their ordinary classification.
  BOOST_TEST(kind("169.254.169.253") == "link-local");
  BOOST_TEST(open.checkHost("169.254.169.253", "host").isOk());
  BOOST_TEST(kind("100.100.100.201").find("private") == 0u);
  BOOST_TEST(open.checkHost("127.0.0.1", "host").isOk());
  BOOST_TEST(open.checkHost("::1", "host").isOk());
  BOOST_TEST(kind("64:ff9b::a0a:a0a") == "private");
}

// DNS rebinding: a resolver that answers a public address first and a private one after. The
// policy resolves once and hands back the address it checked — the one the pool connects to
// (HttpConnectionPoolTest shows the connection really goes there). Nothing connects here.
BOOST_AUTO_TEST_CASE(vet_returns_the_checked_address_and_resolves_once) {
  int calls = 0;
  AddressPolicy strict(false, [&calls](const std::string& host) {
    BOOST_TEST(host == "rebind.example");
    ++calls;
    return std::vector<Poco::Net::IPAddress>{
        Poco::Net::IPAddress(calls == 1 ? "93.184.216.34" : "10.0.0.1")};
  });
  auto first = strict.vet("rebind.example", "registry");
  BOOST_TEST_REQUIRE(first.isOk(), first.status().toString());
  BOOST_TEST(first->toString() == "93.184.216.34");
  BOOST_TEST(calls == 1);
  // A later, separate check (a new connection) sees the rebound answer and refuses it.
  auto second = strict.vet("rebind.example", "registry");
  BOOST_TEST(second.status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(second.status().message().find("rebind.example (10.0.0.1): private") !=
                 std::string::npos,
             second.status().message());
}

BOOST_AUTO_TEST_CASE(any_restricted_address_of_a_name_refuses_it) {
  AddressPolicy strict(false, [](const std::string&) {
    return std::vector<Poco::Net::IPAddress>{Poco::Net::IPAddress("93.184.216.34"),
                                             Poco::Net::IPAddress("127.0.0.1")};
  });
  BOOST_TEST(strict.vet("mixed.example", "registry").status().code() ==
             StatusCode::kPermissionDenied);
  AddressPolicy throwing(false, [](const std::string&) -> std::vector<Poco::Net::IPAddress> {
    throw Poco::Net::HostNotFoundException("no such host");
  });
  BOOST_TEST(throwing.vet("gone.example", "registry").status().code() ==
             StatusCode::kUnavailable);
  AddressPolicy empty(false, [](const std::string&) { return std::vector<Poco::Net::IPAddress>{}; });
  BOOST_TEST(empty.vet("none.example", "registry").status().code() == StatusCode::kUnavailable);
}

BOOST_AUTO_TEST_CASE(prefers_ipv4_like_poco_did) {
  AddressPolicy open(true, [](const std::string&) {
    return std::vector<Poco::Net::IPAddress>{Poco::Net::IPAddress("::1"),
                                             Poco::Net::IPAddress("127.0.0.1")};
  });
  auto a = open.vet("localhost.example", "registry");
  BOOST_TEST_REQUIRE(a.isOk(), a.status().toString());
  BOOST_TEST(a->toString() == "127.0.0.1");
}

// Numeric spellings of loopback, unspecified and metadata addresses are literals (inet_aton
// forms), never names sent to a resolver; each is refused unless private networks are
// allowed, metadata always. The resolver fails the test if it is asked.
BOOST_AUTO_TEST_CASE(numeric_spellings_are_literals_and_refused) {
  auto noLookup = [](const std::string& host) -> std::vector<Poco::Net::IPAddress> {
    BOOST_ERROR("resolver asked for literal " + host);
    return {};
  };
  AddressPolicy strict(false, noLookup), open(true, noLookup);
  const std::pair<const char*, const char*> kRestricted[] = {
      {"2130706433", "127.0.0.1"},      {"0177.0.0.1", "127.0.0.1"},
      {"0x7f.0.0.1", "127.0.0.1"},      {"127.1", "127.0.0.1"},
      {"0.0.0.0", "0.0.0.0"},           {"0", "0.0.0.0"},
      {"::ffff:127.0.0.1", "loopback"}, {"::", "unspecified"},
      {"0x0a000001", "10.0.0.1"},       {"::ffff:7f00:1", "loopback"},
  };
  for (const auto& [host, shown] : kRestricted) {
    BOOST_TEST_INFO(host);
    auto s = strict.vet(host, "registry");
    BOOST_TEST(s.status().code() == StatusCode::kPermissionDenied);
    BOOST_TEST(s.status().message().find(shown) != std::string::npos, s.status().message());
    BOOST_TEST(open.vet(host, "registry").isOk());
  }
  for (const char* host : {"169.254.169.254", "2852039166", "0251.0376.0251.0376",
                           "fd00:ec2::254", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe"}) {
    BOOST_TEST_INFO(host);
    for (const AddressPolicy* p : {&strict, &open}) {
      auto s = p->vet(host, "registry");
      BOOST_TEST(s.status().code() == StatusCode::kPermissionDenied);
      BOOST_TEST(s.status().message().find("cloud metadata") != std::string::npos,
                 s.status().message());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
