// Selection: whole-match regex, newest first, ties by name descending, untimed last, latest_n.
#include <boost/test/unit_test.hpp>

#include "tributary/plugin/config/TagPattern.h"
#include "tributary/plugin/selection/TagSelector.h"

using namespace tributary;
using namespace tributary::plugin;

namespace {

registry::TagInfo info(const std::string& tag, std::optional<int64_t> ms) {
  registry::TagInfo t;
  t.tag = tag;
  t.pushedAtMs = ms;
  return t;
}

std::vector<std::string> names(const std::vector<registry::TagInfo>& tags) {
  std::vector<std::string> out;
  for (const auto& t : tags) out.push_back(t.tag);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(TagSelectorTest)

BOOST_AUTO_TEST_CASE(regex_must_match_the_whole_tag) {
  auto p = TagPattern::compile("1.2");
  BOOST_REQUIRE(p.isOk());
  BOOST_TEST(p->matches("1.2"));
  BOOST_TEST(!p->matches("1.25"));
  BOOST_TEST(!p->matches("v1.2"));
  auto alt = TagPattern::compile("a|ab");
  BOOST_REQUIRE(alt.isOk());
  BOOST_TEST(alt->matches("ab"));  // end anchoring forces the longer alternative
  BOOST_TEST(!alt->matches("abc"));
}

BOOST_AUTO_TEST_CASE(pathological_pattern_hits_a_limit_instead_of_hanging) {
  auto p = TagPattern::compile("(a+)+$");
  BOOST_REQUIRE(p.isOk());
  BOOST_TEST(!p->matches(std::string(40, 'a') + "!"));
}

BOOST_AUTO_TEST_CASE(orders_newest_first_ties_by_name_descending_untimed_last) {
  auto p = TagPattern::compile(".*");
  TagSelector selector(*p, 30);
  auto out = selector.select({info("a", 100), info("old", 50), info("c", 100), info("none1", {}),
                              info("b", 100), info("none2", {}), info("new", 200)});
  std::vector<std::string> expected{"new", "c", "b", "a", "old", "none2", "none1"};
  BOOST_TEST(names(out) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(filters_then_cuts_to_latest_n) {
  auto p = TagPattern::compile("1\\.[0-9]+");
  TagSelector selector(*p, 2);
  auto out = selector.select({info("1.1", 1), info("1.10", 10), info("latest", 99),
                              info("1.9", 9), info("1.10-rc", 11)});
  std::vector<std::string> expected{"1.10", "1.9"};
  BOOST_TEST(names(out) == expected, boost::test_tools::per_element());
  BOOST_TEST(selector.wanted("1.3"));
  BOOST_TEST(!selector.wanted("latest"));
}

BOOST_AUTO_TEST_CASE(tags_with_an_error_are_not_chosen_but_follow_in_listing_order) {
  auto p = TagPattern::compile("1\\.[0-9]+");
  TagSelector selector(*p, 1);
  registry::TagInfo broken1 = info("1.99", {}), broken2 = info("1.0", {}),
                    unwanted = info("latest", {});
  broken1.error = unavailableError("HEAD failed");
  broken2.error = unavailableError("config failed");
  unwanted.error = unavailableError("not wanted anyway");
  auto out = selector.select({broken1, info("1.1", 1), unwanted, info("1.2", 2), broken2});
  // latest_n = 1 counts only readable tags; the broken ones come after, as listed.
  std::vector<std::string> expected{"1.2", "1.99", "1.0"};
  BOOST_TEST(names(out) == expected, boost::test_tools::per_element());
  BOOST_TEST(out[0].error.isOk());
  BOOST_TEST(out[1].error.message() == "HEAD failed");
  BOOST_TEST(out[2].error.message() == "config failed");
}

BOOST_AUTO_TEST_SUITE_END()
