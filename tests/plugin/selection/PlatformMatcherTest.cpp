// Platform parsing/normalisation and child selection in an index.
#include <boost/test/unit_test.hpp>

#include "tributary/plugin/selection/PlatformMatcher.h"

using namespace tributary;
using namespace tributary::plugin;

namespace {

registry::Descriptor child(const std::string& os, const std::string& arch,
                         const std::string& variant, bool attestation = false) {
  registry::Descriptor d;
  d.digest = "sha256:" + std::string(64, 'a');
  d.hasPlatform = true;
  d.platform = {os, arch, variant};
  if (attestation) d.annotations["vnd.docker.reference.type"] = "attestation-manifest";
  return d;
}

PlatformMatcher matcher(std::initializer_list<const char*> specs) {
  std::vector<Platform> ps;
  for (const char* s : specs) ps.push_back(*Platform::parse(s));
  return PlatformMatcher(ps);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(PlatformMatcherTest)

BOOST_AUTO_TEST_CASE(normalises_aliases) {
  BOOST_TEST(Platform::parse("linux/arm64/v8")->toString() == "linux/arm64");
  BOOST_TEST(Platform::parse("linux/aarch64")->toString() == "linux/arm64");
  BOOST_TEST(Platform::parse("linux/x86_64")->toString() == "linux/amd64");
  BOOST_TEST(Platform::parse("linux/arm")->toString() == "linux/arm/v7");
  BOOST_TEST(Platform::parse("linux/armhf")->toString() == "linux/arm/v7");
  BOOST_TEST(Platform::parse("linux/arm/6")->toString() == "linux/arm/v6");
  BOOST_TEST(Platform::parse("Windows/AMD64")->toString() == "windows/amd64");
}

BOOST_AUTO_TEST_CASE(arm_variants_are_distinct) {
  auto m = matcher({"linux/arm/v7"});
  BOOST_TEST(m.matches("linux", "arm", "v7"));
  BOOST_TEST(!m.matches("linux", "arm", "v6"));
  BOOST_TEST(m.matches("linux", "arm", ""));  // bare arm means v7
  BOOST_TEST(!m.matches("linux", "arm64", ""));
}

BOOST_AUTO_TEST_CASE(arm64_equals_arm64_v8) {
  auto m = matcher({"linux/arm64"});
  BOOST_TEST(m.matches("linux", "arm64", "v8"));
  BOOST_TEST(m.matches("linux", "arm64", ""));
  auto m8 = matcher({"linux/arm64/v8"});
  BOOST_TEST(m8.matches("linux", "arm64", ""));
  BOOST_TEST(!m8.matches("linux", "amd64", ""));
}

BOOST_AUTO_TEST_CASE(selects_one_child_per_platform_and_skips_attestations) {
  std::vector<registry::Descriptor> children{
      child("linux", "amd64", ""), child("linux", "arm", "v6"), child("linux", "arm", "v7"),
      child("linux", "arm64", "v8"), child("unknown", "unknown", ""),
      child("linux", "amd64", "", true), child("linux", "amd64", "")};
  auto m = matcher({"linux/amd64", "linux/arm/v7", "linux/arm64"});
  std::vector<size_t> expected{0, 2, 3};
  BOOST_TEST(m.select(children) == expected, boost::test_tools::per_element());
  // No filter: everything, attestations included (the index is copied whole).
  PlatformMatcher all({});
  BOOST_TEST(all.select(children).size() == children.size());
  BOOST_TEST(!all.filtered());
}

BOOST_AUTO_TEST_CASE(describes_filter) {
  auto m = matcher({"linux/amd64", "linux/arm"});
  BOOST_TEST(m.describe() == "[linux/amd64, linux/arm/v7]");
  BOOST_TEST(m.key() == "linux/amd64,linux/arm/v7");
  BOOST_TEST(!m.singlePlatform());
  BOOST_TEST(matcher({"linux/amd64", "linux/x86_64"}).singlePlatform());  // duplicates collapse
}

BOOST_AUTO_TEST_SUITE_END()
