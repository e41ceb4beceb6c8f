#include "tributary/BoundedParallel.h"

#include "tributary/WorkerPool.h"

namespace tributary {

void BoundedParallel::run(size_t count, int workers, const std::function<bool(size_t)>& job) {
  // "Stop" is a failure to the pool: it keeps later jobs from starting, earlier ones run on.
  (void)WorkerPool::run(count, workers, [&job](size_t i) {
    return job(i) ? Status() : cancelledError("stopped");  // short: later jobs check soon
  });
}

}  // namespace tributary
