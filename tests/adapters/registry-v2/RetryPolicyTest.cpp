// Backoff and jitter: bounds, the cap, Retry-After, and draws from several threads at once.
#include <boost/test/unit_test.hpp>

#include "RetryPolicy.h"

#include <set>
#include <thread>
#include <vector>

using tributary::registry::RetryPolicy;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(RetryPolicyTest)

BOOST_AUTO_TEST_CASE(backoff_is_jittered_within_half_to_full_of_the_exponential_step) {
  RetryPolicy policy(5, milliseconds(100), nullptr);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    const long long full = 100LL << (attempt - 1);
    std::set<long long> seen;
    for (int i = 0; i < 200; ++i) {
      long long d = policy.delayFor(attempt, std::nullopt).count();
      BOOST_TEST(d >= full / 2);
      BOOST_TEST(d <= full);
      seen.insert(d);
    }
    BOOST_TEST(seen.size() > 10u, "200 draws should spread, got " << seen.size() << " values");
  }
}

BOOST_AUTO_TEST_CASE(backoff_is_capped_and_retry_after_wins) {
  RetryPolicy policy(30, milliseconds(1000), nullptr);
  BOOST_TEST(policy.delayFor(20, std::nullopt).count() <= 10000);
  BOOST_TEST(policy.delayFor(20, std::nullopt).count() >= 5000);
  BOOST_TEST(policy.delayFor(3, milliseconds(1234)).count() == 1234);
}

BOOST_AUTO_TEST_CASE(concurrent_callers_draw_without_locking_up) {
  RetryPolicy policy(5, milliseconds(64), nullptr);
  std::vector<std::thread> threads;
  std::vector<long long> sums(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) sums[t] += policy.delayFor(1, std::nullopt).count();
    });
  for (auto& th : threads) th.join();
  for (long long s : sums) {
    BOOST_TEST(s >= 32 * 1000);
    BOOST_TEST(s <= 64 * 1000);
  }
}

BOOST_AUTO_TEST_SUITE_END()
