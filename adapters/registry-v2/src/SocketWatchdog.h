// Ends blocked socket reads of in-flight requests from outside, for two reasons Poco's
// per-operation timeouts cannot express:
//  - a response head (status line and headers) must arrive within `headLimit` of the request
//    being sent: a server sending one header byte per second keeps a request alive for as
//    long as it likes otherwise (issue #7); such a request fails with kDeadlineExceeded;
//  - the task was cancelled (the `isCancelled` probe, the host's rp_task_v1.is_cancelled): a
//    read blocked on a source that stopped sending would otherwise hold the task, and the
//    host's shutdown, until the socket timeout (up to an hour). The ABI promises the provider
//    notices cancellation within a second; the probe is polled every `cancelPoll` (200 ms)
//    while at least one request is watched, never while idle (no busy-waiting: a timed wait
//    on a condition variable).
// Either way the watchdog thread shuts the socket down (shutdown(2), SHUT_RDWR): the blocked
// receive returns at once with EOF or an error, and the request's owner asks its Guard why
// (expired() / cancelled()) to report the right status. Slicing the socket timeout instead
// would not work with Poco: a TimeoutException unwinds through its header parser and chunked
// stream buffers, which cannot resume afterwards.
//
// Thread rules: watch() from any thread. A Guard belongs to the thread that got it and must be
// destroyed (or reset) before its socket is closed, reconnected or returned to the pool: it
// unregisters under the watchdog's mutex, and the watchdog shuts a socket down only under
// that mutex, so it never touches a descriptor that may have been reused by another
// connection. The probe is called on the watchdog thread only, without the mutex held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "tributary/Mutex.h"

namespace tributary::registry {

class SocketWatchdog {
 public:
  /// `headLimit` <= 0: no head deadline. An empty `isCancelled`: no cancellation watch. With
  /// neither, guards do nothing and no thread is started.
  SocketWatchdog(std::chrono::milliseconds headLimit, std::function<bool()> isCancelled,
                 std::chrono::milliseconds cancelPoll = std::chrono::milliseconds(200));
  ~SocketWatchdog();
  SocketWatchdog(const SocketWatchdog&) = delete;
  SocketWatchdog& operator=(const SocketWatchdog&) = delete;

  class Guard {
   public:
    Guard(Guard&& other) noexcept : owner_(other.owner_), id_(other.id_) { other.owner_ = nullptr; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard& operator=(Guard&&) = delete;
    ~Guard();
    /// True when the head deadline passed and the socket was shut down.
    bool expired() const;
    /// True when the task was cancelled and the socket was shut down.
    bool cancelled() const;
    /// The head arrived: from now on only cancellation ends the socket.
    void headArrived();

   private:
    friend class SocketWatchdog;
    Guard(SocketWatchdog* owner, uint64_t id) : owner_(owner), id_(id) {}
    SocketWatchdog* owner_;
    uint64_t id_;
  };

  /// Watches socket `fd` (connected, its request sent; or connecting, see
  /// PooledSession::setConnectWatch) from now until the guard goes; the head deadline runs
  /// from now. `abandoned` (may be empty), polled with the cancellation probe but under the
  /// watchdog's lock (so the guard, and what the probe reads, cannot go meanwhile), ends this
  /// socket alone the way cancellation ends them all (Guard::cancelled()).
  Guard watch(int fd, std::function<bool()> abandoned = {}) EXCLUDES(mu_);

  std::chrono::milliseconds headLimit() const { return headLimit_; }

 private:
  enum class Ended { kNo, kExpired, kCancelled };
  struct Entry {
    int fd;
    std::chrono::steady_clock::time_point deadline;  // max() = none
    std::function<bool()> abandoned;                 // may be empty
    Ended ended = Ended::kNo;
  };
  Ended endedOf(uint64_t id) const EXCLUDES(mu_);
  void run() EXCLUDES(mu_);

  const std::chrono::milliseconds headLimit_;
  const std::function<bool()> isCancelled_;
  const std::chrono::milliseconds cancelPoll_;
  mutable Mutex mu_;
  std::condition_variable_any wake_;
  std::map<uint64_t, Entry> entries_ GUARDED_BY(mu_);
  uint64_t nextId_ GUARDED_BY(mu_) = 1;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool cancelSeen_ GUARDED_BY(mu_) = false;  // the probe said yes once: it stays cancelled
  std::thread thread_ GUARDED_BY(mu_);       // started on the first watch
};

}  // namespace tributary::registry
