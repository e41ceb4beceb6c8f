// A std::mutex with clang thread-safety annotations (libstdc++'s std::mutex has none), so
// shared state says what guards it in code the compiler checks (-Wthread-safety, the clang
// block of scripts/test.sh) instead of "guarded by" comments:
//
//   mutable Mutex mutex_;
//   uint64_t bytesDone_ GUARDED_BY(mutex_) = 0;
//   void snapshot() const REQUIRES(mutex_);
//   ... { MutexLock lock(mutex_); ... }
//
// Waiting on a condition: std::condition_variable_any with the MutexLock (it is lockable).
// The macros expand to nothing on compilers without the attributes (gcc).
#pragma once

#include <mutex>

#if defined(__clang__)
#define TRIB_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TRIB_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) TRIB_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY TRIB_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) TRIB_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) TRIB_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) TRIB_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) TRIB_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) TRIB_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) TRIB_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS TRIB_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace tributary {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { m_.lock(); }
  void unlock() RELEASE() { m_.unlock(); }

 private:
  std::mutex m_;
};

/// Holds `mutex` for its scope. lock()/unlock() let a condition_variable_any wait on it.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) NO_THREAD_SAFETY_ANALYSIS : mutex_(mutex) {
    mutex_.lock();
  }
  ~MutexLock() RELEASE() NO_THREAD_SAFETY_ANALYSIS {
    if (held_) mutex_.unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // For condition_variable_any::wait, which unlocks and relocks around the wait; to the
  // analysis the lock is held throughout, which is what the waiting code sees.
  void lock() NO_THREAD_SAFETY_ANALYSIS {
    mutex_.lock();
    held_ = true;
  }
  void unlock() NO_THREAD_SAFETY_ANALYSIS {
    held_ = false;
    mutex_.unlock();
  }

 private:
  Mutex& mutex_;
  bool held_ = true;
};

}  // namespace tributary
