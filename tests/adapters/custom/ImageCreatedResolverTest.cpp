// The custom source's push time: config `created`; for an index the newest child.
#include <boost/test/unit_test.hpp>

#include "FakeRegistry.h"
#include "tributary/custom/ImageCreatedResolver.h"
#include "tributary/registry/Rfc3339.h"

using namespace tributary;
using namespace tributary::custom;

BOOST_AUTO_TEST_SUITE(ImageCreatedResolverTest)

BOOST_AUTO_TEST_CASE(single_image_uses_config_created) {
  testing::FakeRegistry reg;
  std::string d = reg.addSimpleImage("linux", "amd64", "", "2024-03-01T12:00:00.250+01:00", "l1");
  ImageCreatedResolver resolver(reg);
  auto m = reg.getManifest("r/x", d);
  BOOST_REQUIRE(m.isOk());
  auto t = resolver.createdMs("r/x", *m);
  BOOST_REQUIRE(t.isOk());
  BOOST_REQUIRE(t->has_value());
  BOOST_TEST(**t == *registry::Rfc3339::parseMs("2024-03-01T11:00:00.250Z"));
}

BOOST_AUTO_TEST_CASE(index_takes_newest_child_and_ignores_attestations) {
  testing::FakeRegistry reg;
  std::string older = reg.addSimpleImage("linux", "amd64", "", "2024-01-01T00:00:00Z", "a");
  std::string newer = reg.addSimpleImage("linux", "arm64", "", "2024-02-01T00:00:00Z", "b");
  // An attestation with a much newer time must not count.
  std::string att = reg.addSimpleImage("unknown", "unknown", "", "2030-01-01T00:00:00Z", "c");
  std::string idx = reg.addIndex({{older, "linux", "amd64", ""},
                                  {newer, "linux", "arm64", ""},
                                  {att, "unknown", "unknown", "", true}});
  ImageCreatedResolver resolver(reg);
  auto t = resolver.createdMs("r/x", *reg.getManifest("r/x", idx));
  BOOST_REQUIRE(t.isOk());
  BOOST_REQUIRE(t->has_value());
  BOOST_TEST(registry::Rfc3339::formatMs(**t) == "2024-02-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(missing_created_is_unknown_not_an_error) {
  testing::FakeRegistry reg;
  std::string d = reg.addSimpleImage("linux", "amd64", "", "", "l1");
  ImageCreatedResolver resolver(reg);
  auto t = resolver.createdMs("r/x", *reg.getManifest("r/x", d));
  BOOST_REQUIRE(t.isOk());
  BOOST_TEST(!t->has_value());
}

BOOST_AUTO_TEST_CASE(missing_config_blob_is_an_error) {
  testing::FakeRegistry reg;
  std::string cfg = reg.addConfig("linux", "amd64", "", "2024-01-01T00:00:00Z");
  std::string d = reg.addImage(cfg, {});
  reg.removeBlob(cfg);
  ImageCreatedResolver resolver(reg);
  auto t = resolver.createdMs("r/x", *reg.getManifest("r/x", d));
  BOOST_TEST(!t.isOk());
  BOOST_TEST(t.status().message().find(cfg) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
