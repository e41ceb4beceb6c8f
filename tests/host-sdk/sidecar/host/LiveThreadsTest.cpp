#include "tributary/host/LiveThreads.h"

#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using tributary::host::liveThreadCount;

BOOST_AUTO_TEST_SUITE(LiveThreadsTest)

// main() relies on this count to report a worker left running at exit, so it must see a
// running thread and must stop seeing it once joined.
BOOST_AUTO_TEST_CASE(counts_a_running_thread_and_forgets_it_once_joined) {
  const int before = liveThreadCount();
  BOOST_REQUIRE(before >= 1);
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  std::thread worker([&] {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return release; });
  });
  BOOST_TEST(liveThreadCount() == before + 1);
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
  }
  cv.notify_all();
  worker.join();
  BOOST_TEST(liveThreadCount() == before);
}

BOOST_AUTO_TEST_SUITE_END()
