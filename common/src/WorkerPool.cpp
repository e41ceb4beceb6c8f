#include "tributary/WorkerPool.h"

#include <algorithm>
#include <system_error>

namespace tributary {

WorkerPool::WorkerPool(size_t count, int workers, Job job)
    : WorkerPool(count, workers, std::move(job), /*callerWorks=*/false) {}

WorkerPool::WorkerPool(size_t count, int workers, Job job, bool callerWorks)
    : count_(count), job_(std::move(job)) {
  size_t threads = std::min(count, static_cast<size_t>(std::max(workers, 1)));
  if (callerWorks && threads > 0) --threads;  // the caller is one of them
  for (size_t t = 0; t < threads; ++t) {
    try {
      threads_.emplace_back([this] { loop(); });
    } catch (const std::system_error&) {
      break;  // fewer threads only means fewer jobs at once; wait() covers none at all
    }
  }
}

WorkerPool::~WorkerPool() {
  cancel();
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
}

void WorkerPool::cancel() { cancelled_ = true; }

bool WorkerPool::stopping() const {
  return cancelled_.load() || stopAt_.load() != std::numeric_limits<size_t>::max();
}

void WorkerPool::fail(size_t index, Status status, std::exception_ptr exception) {
  size_t seen = stopAt_.load();
  while (index < seen && !stopAt_.compare_exchange_weak(seen, index)) {
  }
  MutexLock lock(mutex_);
  if (index < firstErrorIndex_) {
    firstErrorIndex_ = index;
    firstError_ = std::move(status);
    exception_ = exception;
  }
}

void WorkerPool::loop() {
  for (;;) {
    if (cancelled_) return;
    const size_t i = next_++;
    if (i >= count_ || i > stopAt_.load()) return;
    try {
      Status s = job_(i);
      if (!s.isOk()) fail(i, std::move(s), nullptr);
    } catch (...) {
      fail(i, internalError("worker job threw"), std::current_exception());
    }
  }
}

Status WorkerPool::wait() {
  if (threads_.empty()) loop();  // no thread could start (or none was asked): the caller works
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  MutexLock lock(mutex_);
  if (exception_) std::rethrow_exception(exception_);
  if (!firstError_.isOk()) return firstError_;
  if (cancelled_) return cancelledError("cancelled");
  return Status();
}

Status WorkerPool::run(size_t count, int workers, const Job& job) {
  WorkerPool pool(count, workers, job, /*callerWorks=*/true);
  pool.loop();
  return pool.wait();
}

}  // namespace tributary
