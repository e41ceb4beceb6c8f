// Bounds how long a response head (status line and headers) may take to arrive. Poco's
// timeouts are per socket operation, so a server sending one header byte per second keeps a
// request alive for as long as it likes (issue #7). A watchdog thread shuts the socket down
// when the deadline passes; the blocked receive then fails and the caller reports
// kDeadlineExceeded, retried within the request's bounded retries.
//
// Thread rules: watch() from any thread; a Guard belongs to the thread that got it and must
// be destroyed before the socket is closed (it unregisters under the watchdog's mutex, so the
// watchdog never touches a descriptor that may have been reused).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace tributary::registry {

class HeadDeadline {
 public:
  /// `limit` <= 0: no watchdog, guards do nothing.
  explicit HeadDeadline(std::chrono::milliseconds limit) : limit_(limit) {}
  ~HeadDeadline();
  HeadDeadline(const HeadDeadline&) = delete;
  HeadDeadline& operator=(const HeadDeadline&) = delete;

  class Guard {
   public:
    Guard(Guard&& other) noexcept : owner_(other.owner_), id_(other.id_) { other.owner_ = nullptr; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard();
    /// True when the watchdog shut the socket down.
    bool expired() const;

   private:
    friend class HeadDeadline;
    Guard(HeadDeadline* owner, uint64_t id) : owner_(owner), id_(id) {}
    HeadDeadline* owner_;
    uint64_t id_;
  };

  /// Watches socket `fd` from now until the guard goes.
  Guard watch(int fd);

  std::chrono::milliseconds limit() const { return limit_; }

 private:
  struct Entry {
    int fd;
    std::chrono::steady_clock::time_point deadline;
    bool expired = false;
  };
  void run();

  const std::chrono::milliseconds limit_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::map<uint64_t, Entry> entries_;  // guarded by mu_
  uint64_t nextId_ = 1;                // guarded by mu_
  bool stopping_ = false;              // guarded by mu_
  std::thread thread_;                 // started on the first watch (under mu_)
};

}  // namespace tributary::registry
