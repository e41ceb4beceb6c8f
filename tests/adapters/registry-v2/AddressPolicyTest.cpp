// Which addresses count as loopback/private/link-local/metadata (DESIGN §6).
#include <boost/test/unit_test.hpp>

#include <Poco/Net/IPAddress.h>

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

BOOST_AUTO_TEST_SUITE_END()
