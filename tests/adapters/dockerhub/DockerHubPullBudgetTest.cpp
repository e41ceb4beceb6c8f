#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

#include "tributary/dockerhub/DockerHubPullBudget.h"

using tributary::dockerhub::DockerHubPullBudget;

namespace {

constexpr int64_t kNow = 1700000000000;

std::map<std::string, std::string> limits(int limit, int remaining, int window) {
  const std::string w = ";w=" + std::to_string(window);
  return {{"ratelimit-limit", std::to_string(limit) + w},
          {"ratelimit-remaining", std::to_string(remaining) + w}};
}

DockerHubPullBudget budget(int64_t reserve = 0) {
  return DockerHubPullBudget(reserve, [] { return kNow; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(DockerHubPullBudgetTest)

BOOST_AUTO_TEST_CASE(without_rate_limit_headers_the_quota_is_unlimited) {
  auto b = budget();
  std::string why;
  BOOST_TEST(b.beginTag(1000, false, &why));
  BOOST_TEST(b.takeGet().isOk());
  BOOST_TEST(!b.state().known);
}

BOOST_AUTO_TEST_CASE(a_tag_the_remaining_pulls_cannot_cover_is_refused_with_the_reset_time) {
  auto b = budget();
  b.observe("HEAD", 200, limits(4, 4, 10));
  std::string why;
  BOOST_TEST(b.beginTag(3, false, &why));  // a two-platform index
  for (int i = 0; i < 3; ++i) BOOST_TEST(b.takeGet().isOk());
  b.endTag();
  BOOST_TEST(!b.beginTag(3, false, &why));  // only 1 left
  BOOST_TEST(why.find("needs 3 pulls, 1 left") != std::string::npos, why);
  // No ratelimit-reset: the window bounds the reset ("by now + w").
  BOOST_TEST(why.find("resets by 2023-11-14T22:13:30Z") != std::string::npos, why);
  BOOST_TEST(b.beginTag(1, false, &why));  // a single-arch image still fits
  BOOST_TEST(b.takeGet().isOk());
  b.endTag();
  BOOST_TEST(!b.takeGet().isOk());  // nothing left for a GET outside any tag
  auto s = b.state();
  BOOST_TEST(s.limit == 4);
  BOOST_TEST(s.remaining == 4);
  BOOST_TEST(s.pullsSpent == 4);
  BOOST_TEST(s.pullsNeeded == 4);
  BOOST_TEST(s.windowSeconds == 10);
}

BOOST_AUTO_TEST_CASE(the_reserve_is_never_spent) {
  auto b = budget(2);
  b.observe("HEAD", 200, limits(10, 3, 60));
  std::string why;
  BOOST_TEST(!b.beginTag(2, false, &why));
  BOOST_TEST(why.find("reserve 2") != std::string::npos, why);
  BOOST_TEST(b.beginTag(1, false, &why));
}

BOOST_AUTO_TEST_CASE(headers_after_our_gets_and_other_clients_lower_what_is_left) {
  auto b = budget();
  b.observe("HEAD", 200, limits(10, 10, 60));
  std::string why;
  BOOST_TEST(b.beginTag(1, false, &why));
  BOOST_TEST(b.takeGet().isOk());
  b.observe("GET", 200, limits(10, 5, 60));  // somebody else pulled 4 meanwhile
  b.endTag();
  BOOST_TEST(!b.beginTag(6, false, &why));
  BOOST_TEST(b.beginTag(5, false, &why));
}

BOOST_AUTO_TEST_CASE(a_dry_run_counts_pulls_without_spending_them) {
  auto b = budget();
  b.observe("HEAD", 200, limits(4, 4, 10));
  std::string why;
  BOOST_TEST(b.beginTag(3, true, &why));
  BOOST_TEST(!b.beginTag(3, true, &why));
  BOOST_TEST(b.state().pullsNeeded == 3);
  BOOST_TEST(b.state().pullsSpent == 0);
}

BOOST_AUTO_TEST_CASE(a_429_closes_the_budget_until_retry_after) {
  auto b = budget();
  b.observe("HEAD", 200, limits(100, 50, 21600));
  b.observe("GET", 429, {{"retry-after", "120"}});
  std::string why;
  BOOST_TEST(!b.beginTag(1, false, &why));
  BOOST_TEST(why.find("429") != std::string::npos, why);
  BOOST_TEST(why.find("resets at 2023-11-14T22:15:20Z") != std::string::npos, why);
  BOOST_TEST(!b.takeGet().isOk());
}

BOOST_AUTO_TEST_CASE(unused_pulls_of_a_tag_go_back_to_the_pool) {
  auto b = budget();
  b.observe("HEAD", 200, limits(3, 3, 10));
  std::string why;
  BOOST_TEST(b.beginTag(3, false, &why));
  BOOST_TEST(b.takeGet().isOk());  // the index came from the run's cache for the rest
  b.endTag();
  BOOST_TEST(b.beginTag(2, false, &why));
}

BOOST_AUTO_TEST_SUITE_END()
