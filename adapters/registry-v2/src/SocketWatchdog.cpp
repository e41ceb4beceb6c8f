#include "SocketWatchdog.h"

#include <sys/socket.h>

#include <utility>

namespace tributary::registry {

using Clock = std::chrono::steady_clock;

SocketWatchdog::SocketWatchdog(std::chrono::milliseconds headLimit,
                               std::function<bool()> isCancelled,
                               std::chrono::milliseconds cancelPoll)
    : headLimit_(headLimit), isCancelled_(std::move(isCancelled)), cancelPoll_(cancelPoll) {}

SocketWatchdog::~SocketWatchdog() {
  std::thread thread;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) thread.join();
}

SocketWatchdog::Guard SocketWatchdog::watch(int fd, std::function<bool()> abandoned) {
  if ((headLimit_.count() <= 0 && !isCancelled_ && !abandoned) || fd < 0)
    return Guard(nullptr, 0);
  MutexLock lock(mu_);
  const uint64_t id = nextId_++;
  entries_[id] = Entry{fd,
                       headLimit_.count() > 0 ? Clock::now() + headLimit_ : Clock::time_point::max(),
                       std::move(abandoned)};
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  wake_.notify_all();
  return Guard(this, id);
}

SocketWatchdog::Guard::~Guard() {
  if (owner_ == nullptr) return;
  MutexLock lock(owner_->mu_);
  owner_->entries_.erase(id_);
}

SocketWatchdog::Ended SocketWatchdog::endedOf(uint64_t id) const {
  MutexLock lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? Ended::kNo : it->second.ended;
}

bool SocketWatchdog::Guard::expired() const {
  return owner_ != nullptr && owner_->endedOf(id_) == Ended::kExpired;
}

bool SocketWatchdog::Guard::cancelled() const {
  return owner_ != nullptr && owner_->endedOf(id_) == Ended::kCancelled;
}

void SocketWatchdog::Guard::headArrived() {
  if (owner_ == nullptr) return;
  MutexLock lock(owner_->mu_);
  auto it = owner_->entries_.find(id_);
  if (it != owner_->entries_.end()) it->second.deadline = Clock::time_point::max();
}

void SocketWatchdog::run() {
  MutexLock lock(mu_);
  auto nextProbe = Clock::now();
  while (!stopping_) {
    const auto now = Clock::now();
    auto next = Clock::time_point::max();
    bool watching = false;
    bool probing = false;  // some entry has its own abandoned() probe
    for (auto& [id, e] : entries_) {
      if (e.ended != Ended::kNo) continue;
      // Under mu_: the guard (and so the socket) cannot go away meanwhile. The blocked
      // receive returns at once and the request fails.
      if (cancelSeen_ || e.deadline <= now) {
        ::shutdown(e.fd, SHUT_RDWR);
        e.ended = cancelSeen_ ? Ended::kCancelled : Ended::kExpired;
        continue;
      }
      watching = true;
      if (e.abandoned) probing = true;
      if (e.deadline < next) next = e.deadline;
    }
    if (watching && (isCancelled_ || probing)) {
      if (now >= nextProbe && probing) {
        // Under mu_: a guard (and so what its probe reads) cannot go away meanwhile.
        for (auto& [id, e] : entries_) {
          if (e.ended == Ended::kNo && e.abandoned && e.abandoned()) {
            ::shutdown(e.fd, SHUT_RDWR);
            e.ended = Ended::kCancelled;
          }
        }
      }
      if (now >= nextProbe && isCancelled_) {
        // The host's callback, without the mutex: a guard may come and go meanwhile.
        lock.unlock();
        const bool cancelled = isCancelled_();
        lock.lock();
        if (cancelled) {
          cancelSeen_ = true;
          nextProbe = now + cancelPoll_;
          continue;  // the next pass shuts every watched socket down
        }
      }
      if (now >= nextProbe) nextProbe = now + cancelPoll_;
      if (nextProbe < next) next = nextProbe;
    }
    if (next == Clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, next);
    }
  }
}

}  // namespace tributary::registry
