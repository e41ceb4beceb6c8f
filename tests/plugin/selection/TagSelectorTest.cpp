// Selection: whole-match regex, newest first, ties by name descending, untimed last, latest_n.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>

#include "tributary/plugin/config/Rule.h"
#include "tributary/plugin/config/TagPattern.h"
#include "tributary/plugin/selection/TagListing.h"
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
  BOOST_TEST(p->limitError().isOk());
  BOOST_TEST(p->matches("aaaa"));
  // The longest tag the distribution spec allows (128), all `a` then one `b`: 2^127 ways to
  // split the run of `a`s. PCRE2's match limit ends it in milliseconds.
  const std::string tag = std::string(127, 'a') + "b";
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) BOOST_TEST(!p->matches(tag));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(seconds < 2.0, "20 matches took " << seconds << " s");
  const tributary::Status limit = p->limitError();
  BOOST_CHECK(limit.code() == tributary::StatusCode::kResourceExhausted);
  BOOST_TEST(limit.message().find("tag regex `(a+)+$` hit PCRE2's limit on tag `aaaa") == 0u,
             limit.message());
  BOOST_TEST(limit.message().find("simplify") != std::string::npos, limit.message());
}

namespace {
// A source listing the given tags (no manifests: selection only looks at the listing).
class ListingSource : public tributary::registry::SourceAdapter {
 public:
  explicit ListingSource(std::vector<std::string> tags) : tags_(std::move(tags)) {}
  const std::string& repository() const override { return repository_; }
  tributary::Result<std::vector<tributary::registry::TagInfo>> listTags(
      const std::function<bool(const std::string&)>& wanted) override {
    std::vector<tributary::registry::TagInfo> out;
    for (const auto& t : tags_)
      if (wanted(t)) out.push_back(info(t, 1));
    return out;
  }

 private:
  std::string repository_ = "library/x";
  std::vector<std::string> tags_;
};
}  // namespace

// Through selection: the rule's run fails with the limit error (it does not quietly choose
// the tags that happened to finish), and a good pattern over the same tags still selects.
BOOST_AUTO_TEST_CASE(listing_fails_the_rule_when_its_regex_hits_the_limit) {
  ListingSource source({"aaaa", std::string(100, 'a') + "b", "aa"});
  tributary::plugin::Rule rule;
  rule.policy.tagRegex = "(a+)+$";
  rule.policy.latestN = 5;
  const auto start = std::chrono::steady_clock::now();
  auto selection = tributary::plugin::TagListing::select(rule, source, 10);
  BOOST_CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  BOOST_CHECK(selection.status().code() == tributary::StatusCode::kResourceExhausted);
  BOOST_TEST(selection.status().message().find("PCRE2") != std::string::npos,
             selection.status().message());
  rule.policy.tagRegex = "a+";
  auto good = tributary::plugin::TagListing::select(rule, source, 10);
  BOOST_TEST_REQUIRE(good.isOk(), good.status().toString());
  BOOST_TEST(good->chosen.size() == 2u);
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
