// The one bounded worker pool: jobs 0..count-1 on at most `workers` threads, handed out in
// index order, with cancellation and first-error semantics. Used for planning's per-tag
// requests (BoundedParallel), the blobs of a run (BlobTransfer) and the byte-range parts of one
// blob (RangedBlobFetcher).
//
// First error: a job that returns an error stops jobs with a higher index from starting
// (every job before it still runs), and wait() returns the error of the lowest index — the
// one a serial loop would have hit first, whatever the timing. cancel() stops every job not
// yet started; wait() then says kCancelled (unless a job failed first). An exception thrown by
// a job is rethrown by wait() once every thread is joined: no thread is left running and
// nothing terminates the host.
//
// Thread rules: the pool is driven from one thread (the owner: constructor, wait, destructor);
// cancel() and stopping() from any thread, jobs included. Jobs run concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

#include "tributary/Mutex.h"
#include "tributary/Status.h"

namespace tributary {

class WorkerPool {
 public:
  using Job = std::function<Status(size_t index)>;

  /// Starts up to `workers` threads (at least one job runs at a time; if the system refuses
  /// every thread, wait() runs the jobs on the calling thread).
  WorkerPool(size_t count, int workers, Job job);
  /// Cancels what has not started and joins.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Threads started (0: the system refused every one; wait() then runs the jobs itself).
  size_t threadCount() const { return threads_.size(); }
  /// Jobs not started yet never start.
  void cancel();
  /// True once cancel() was called or a job failed: a long job may poll it to stop early.
  bool stopping() const;
  /// Joins every thread: the lowest-index job error, else kCancelled when cancelled, else OK.
  Status wait();

  /// A pool whose calling thread is one of the `workers`: starts, helps, waits.
  static Status run(size_t count, int workers, const Job& job);

 private:
  WorkerPool(size_t count, int workers, Job job, bool callerWorks);
  void loop();
  void fail(size_t index, Status status, std::exception_ptr exception);

  const size_t count_;
  const Job job_;
  std::atomic<size_t> next_{0};
  // Lowest index that failed; jobs above it do not start.
  std::atomic<size_t> stopAt_{std::numeric_limits<size_t>::max()};
  std::atomic<bool> cancelled_{false};
  mutable Mutex mutex_;
  Status firstError_ GUARDED_BY(mutex_);
  size_t firstErrorIndex_ GUARDED_BY(mutex_) = std::numeric_limits<size_t>::max();
  std::exception_ptr exception_ GUARDED_BY(mutex_);
  std::vector<std::thread> threads_;  // owner thread only
};

}  // namespace tributary
