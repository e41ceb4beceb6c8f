// WorkerPool: bounded, index order, the lowest-index error wins, cancel stops what has not
// started, exceptions reach the owner after the join.
#include "tributary/WorkerPool.h"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace tributary;

BOOST_AUTO_TEST_SUITE(WorkerPoolTest)

BOOST_AUTO_TEST_CASE(every_job_once_and_at_most_workers_at_a_time) {
  std::vector<std::atomic<int>> runs(30);
  std::atomic<int> live{0}, peak{0};
  WorkerPool pool(runs.size(), 4, [&](size_t i) {
    const int now = ++live;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ++runs[i];
    --live;
    return Status();
  });
  BOOST_TEST(pool.wait().isOk());
  for (auto& r : runs) BOOST_TEST(r.load() == 1);
  BOOST_TEST(peak.load() <= 4);
  BOOST_TEST(peak.load() >= 2);
}

BOOST_AUTO_TEST_CASE(the_lowest_failing_index_wins_and_later_jobs_do_not_start) {
  // Deterministic on a loaded machine: jobs 7 and 8 hold two of the three workers until job 9
  // has failed (stopping() turns true), so job 9's failure is recorded first and no worker is
  // free to start job 10 before it is.
  std::vector<std::atomic<int>> runs(50);
  std::atomic<WorkerPool*> self{nullptr};
  auto untilStopping = [&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      WorkerPool* p = self.load();
      if ((p && p->stopping()) || std::chrono::steady_clock::now() > deadline) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  WorkerPool pool(runs.size(), 3, [&](size_t i) {
    ++runs[i];
    if (i == 7 || i == 8) untilStopping();
    if (i == 7) return unavailableError("job 7");  // the later failure to finish
    if (i == 9) return notFoundError("job 9");
    return Status();
  });
  self = &pool;
  Status s = pool.wait();
  BOOST_TEST(s.message() == "job 7");
  for (size_t i = 0; i <= 9; ++i) BOOST_TEST(runs[i].load() == 1, i);
  for (size_t i = 10; i < runs.size(); ++i) BOOST_TEST(runs[i].load() == 0, i);
}

BOOST_AUTO_TEST_CASE(one_worker_stops_at_the_first_failure) {
  std::vector<std::atomic<int>> runs(20);
  Status s = WorkerPool::run(runs.size(), 1, [&](size_t i) {
    ++runs[i];
    return i == 4 ? notFoundError("job 4") : Status();
  });
  BOOST_TEST(s.message() == "job 4");
  size_t started = 0;
  for (auto& r : runs) started += r.load();
  BOOST_TEST(started == 5u);
}

BOOST_AUTO_TEST_CASE(cancel_stops_jobs_not_yet_started) {
  // Each job holds its worker until the pool is cancelled: only the two first jobs ever start.
  std::atomic<int> ran{0};
  std::atomic<WorkerPool*> self{nullptr};
  WorkerPool pool(1000, 2, [&](size_t) {
    ++ran;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (WorkerPool* p = self.load(); !(p && p->stopping()); p = self.load()) {
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Status();
  });
  self = &pool;
  while (ran.load() < static_cast<int>(pool.threadCount())) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  pool.cancel();
  BOOST_TEST(pool.stopping());
  Status s = pool.wait();
  BOOST_TEST(static_cast<int>(s.code()) == static_cast<int>(StatusCode::kCancelled));
  BOOST_TEST(ran.load() == 2);
}

BOOST_AUTO_TEST_CASE(an_exception_reaches_the_owner_after_the_join) {
  std::atomic<int> ran{0};
  BOOST_CHECK_THROW(WorkerPool::run(20, 4,
                                    [&](size_t i) -> Status {
                                      ++ran;
                                      if (i == 3) throw std::runtime_error("boom");
                                      return Status();
                                    }),
                    std::runtime_error);
  BOOST_TEST(ran.load() >= 4);
}

BOOST_AUTO_TEST_SUITE_END()
