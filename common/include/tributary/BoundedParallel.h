// Runs independent jobs 0..count-1 on at most `workers` threads (the calling thread is one of
// them) and returns when all that were started are done. Used for the per-tag requests of
// planning (HEADs, manifest and config GETs), which are independent of each other.
//
// Deterministic by construction: jobs are handed out in index order and each writes only its
// own result slot, so callers read results in index order whatever the timing. A job that
// returns false stops jobs after it that have not started yet (every job before it still
// runs), so a caller that reports "the first failure in order" sees the same one as a serial
// loop.
//
// A thin form of WorkerPool::run for jobs that cannot fail, only stop.
//
// Thread rules: run() may be called from any thread; `job` is called concurrently from up to
// `workers` threads. An exception thrown by a job is rethrown on the calling thread after all
// threads are joined (no thread is left running, nothing terminates the host).
#pragma once

#include <cstddef>
#include <functional>

namespace tributary {

class BoundedParallel {
 public:
  /// `job(i)` returns true to go on, false to stop jobs with a higher index from starting.
  static void run(size_t count, int workers, const std::function<bool(size_t)>& job);
};

}  // namespace tributary
