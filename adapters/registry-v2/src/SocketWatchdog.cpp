#include "HeadDeadline.h"

#include <sys/socket.h>

namespace tributary::registry {

HeadDeadline::~HeadDeadline() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

HeadDeadline::Guard HeadDeadline::watch(int fd) {
  if (limit_.count() <= 0 || fd < 0) return Guard(nullptr, 0);
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = nextId_++;
  entries_[id] = Entry{fd, std::chrono::steady_clock::now() + limit_};
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  wake_.notify_all();
  return Guard(this, id);
}

HeadDeadline::Guard::~Guard() {
  if (owner_ == nullptr) return;
  std::lock_guard<std::mutex> lock(owner_->mu_);
  owner_->entries_.erase(id_);
}

bool HeadDeadline::Guard::expired() const {
  if (owner_ == nullptr) return false;
  std::lock_guard<std::mutex> lock(owner_->mu_);
  auto it = owner_->entries_.find(id_);
  return it != owner_->entries_.end() && it->second.expired;
}

void HeadDeadline::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    auto next = std::chrono::steady_clock::time_point::max();
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, e] : entries_) {
      if (e.expired) continue;
      if (e.deadline <= now) {
        // Under mu_: the guard (and so the socket) cannot go away meanwhile. The blocked
        // receive returns at once and the request fails.
        ::shutdown(e.fd, SHUT_RDWR);
        e.expired = true;
      } else if (e.deadline < next) {
        next = e.deadline;
      }
    }
    if (next == std::chrono::steady_clock::time_point::max())
      wake_.wait(lock);
    else
      wake_.wait_until(lock, next);
  }
}

}  // namespace tributary::registry
