#include "tributary/registry/BoundedParallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace tributary::registry {

void BoundedParallel::run(size_t count, int workers, const std::function<bool(size_t)>& job) {
  const size_t threads = std::min(count, static_cast<size_t>(std::max(workers, 1)));
  if (threads <= 1) {  // no thread to start: the plain loop
    for (size_t i = 0; i < count; ++i)
      if (!job(i)) return;
    return;
  }
  std::atomic<size_t> next{0};
  // Lowest index whose job said stop; jobs above it are not started.
  std::atomic<size_t> stopAt{std::numeric_limits<size_t>::max()};
  std::mutex errorMutex;
  std::exception_ptr error;  // guarded by errorMutex; the first exception wins
  auto loop = [&] {
    for (;;) {
      const size_t i = next++;
      if (i >= count || i > stopAt.load()) return;
      bool goOn = false;
      try {
        goOn = job(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(errorMutex);
        if (!error) error = std::current_exception();
      }
      if (!goOn) {
        size_t seen = stopAt.load();
        while (i < seen && !stopAt.compare_exchange_weak(seen, i)) {
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(loop);
    } catch (const std::system_error&) {
      break;  // no more threads available: the ones running (and this one) do the rest
    }
  }
  loop();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace tributary::registry
