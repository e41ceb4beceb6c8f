// BoundedParallel: every job runs exactly once, never more than `workers` at a time; a job
// saying stop still lets every earlier job run; exceptions reach the caller after the join.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tributary/BoundedParallel.h"

using tributary::BoundedParallel;

BOOST_AUTO_TEST_SUITE(BoundedParallelTest)

BOOST_AUTO_TEST_CASE(every_job_once_and_at_most_workers_at_a_time) {
  for (int workers : {1, 3, 16}) {
    std::vector<std::atomic<int>> runs(40);
    std::atomic<int> live{0}, peak{0};
    BoundedParallel::run(runs.size(), workers, [&](size_t i) {
      int now = ++live;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      ++runs[i];
      --live;
      return true;
    });
    for (auto& r : runs) BOOST_TEST(r.load() == 1);
    BOOST_TEST(peak.load() <= workers);
    if (workers == 3) BOOST_TEST(peak.load() >= 2);  // really parallel
  }
}

BOOST_AUTO_TEST_CASE(stop_lets_earlier_jobs_run_and_starts_no_later_one_serially) {
  for (int workers : {1, 4}) {
    std::vector<std::atomic<int>> runs(30);
    BoundedParallel::run(runs.size(), workers, [&](size_t i) {
      ++runs[i];
      return i != 10;
    });
    for (size_t i = 0; i <= 10; ++i) BOOST_TEST(runs[i].load() == 1, "job " << i);
    int later = 0;
    for (size_t i = 11; i < runs.size(); ++i) later += runs[i].load();
    if (workers == 1) BOOST_TEST(later == 0);
    BOOST_TEST(later <= workers);  // only jobs already started when job 10 said stop
  }
}

BOOST_AUTO_TEST_CASE(exception_is_rethrown_after_all_threads_joined) {
  std::atomic<int> finished{0};
  BOOST_CHECK_THROW(BoundedParallel::run(8, 4,
                                         [&](size_t i) -> bool {
                                           if (i == 2) throw std::runtime_error("job failed");
                                           std::this_thread::sleep_for(std::chrono::milliseconds(5));
                                           ++finished;
                                           return true;
                                         }),
                    std::runtime_error);
  BOOST_TEST(finished.load() >= 2);  // jobs 0 and 1 ran to the end
}

BOOST_AUTO_TEST_CASE(zero_jobs_is_fine) {
  int calls = 0;
  BoundedParallel::run(0, 4, [&](size_t) { return ++calls > 0; });
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_SUITE_END()
