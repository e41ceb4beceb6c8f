#include <boost/test/unit_test.hpp>

#include "tributary/plugin/selection/OverwritePolicy.h"

using tributary::plugin::OverwritePolicy;
using D = OverwritePolicy::Decision;

BOOST_AUTO_TEST_SUITE(OverwritePolicyTest)

BOOST_AUTO_TEST_CASE(decisions) {
  const std::string a = "sha256:" + std::string(64, 'a');
  const std::string b = "sha256:" + std::string(64, 'b');
  for (bool overwrite : {false, true}) {
    OverwritePolicy p(overwrite);
    BOOST_TEST((p.decide(std::nullopt, a) == D::kWrite));
    BOOST_TEST((p.decide(a, a) == D::kUnchanged));
  }
  BOOST_TEST((OverwritePolicy(false).decide(b, a) == D::kKeep));
  BOOST_TEST((OverwritePolicy(true).decide(b, a) == D::kReplace));
  BOOST_TEST(std::string(OverwritePolicy::kKeptReason) == "kept: destination differs (set destination.overwrite: true to replace it)");
}

BOOST_AUTO_TEST_SUITE_END()
