#include "tributary/registry/IdleConnections.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <thread>
#include <vector>

#include "PooledSession.h"
#include "tributary/Mutex.h"

namespace tributary::registry {

struct IdleConnections::Impl {
  using Clock = std::chrono::steady_clock;
  struct Kept {
    std::unique_ptr<PooledSession> session;
    Clock::time_point since;
  };

  Impl(std::chrono::milliseconds maxIdle, size_t maxPerKey, size_t maxTotal)
      : maxIdle(maxIdle), maxPerKey(maxPerKey), maxTotal(maxTotal) {}

  ~Impl() {
    {
      MutexLock lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (sweeper.joinable()) sweeper.join();
  }

  // Closes connections as they pass maxIdle, so none lingers (half closed by the server)
  // until the next run happens to come by. Sleeps while nothing is kept.
  void sweep() {
    MutexLock lock(mutex);
    while (!stopping) {
      if (kept.empty()) {
        wake.wait(lock);
        continue;
      }
      Clock::time_point due = Clock::time_point::max();
      for (const auto& [key, list] : kept) due = std::min(due, list.front().since + maxIdle);
      if (wake.wait_until(lock, due + std::chrono::milliseconds(1)) == std::cv_status::timeout) {
        std::vector<std::unique_ptr<PooledSession>> gone;
        expire(Clock::now(), gone);
        lock.unlock();  // sockets are closed outside the lock
        gone.clear();
        lock.lock();
      }
    }
  }

  // Starts the sweeper with the first connection kept.
  void startSweeper() REQUIRES(mutex) {
    if (sweeperStarted) return;
    sweeperStarted = true;
    try {
      sweeper = std::thread([this] { sweep(); });
    } catch (const std::system_error&) {
      // Without the thread, expired connections are still closed by the next take or put.
    }
  }

  // Closes what has been idle too long; `gone` receives the sessions so that their sockets
  // are closed after the lock is released.
  void expire(Clock::time_point now, std::vector<std::unique_ptr<PooledSession>>& gone)
      REQUIRES(mutex) {
    for (auto it = kept.begin(); it != kept.end();) {
      auto& list = it->second;  // oldest first
      while (!list.empty() && now - list.front().since > maxIdle) {
        gone.push_back(std::move(list.front().session));
        list.pop_front();
        --total;
      }
      it = list.empty() ? kept.erase(it) : std::next(it);
    }
  }

  // The oldest connection of all, to make room.
  void dropOldest(std::vector<std::unique_ptr<PooledSession>>& gone) REQUIRES(mutex) {
    auto oldest = kept.end();
    for (auto it = kept.begin(); it != kept.end(); ++it)
      if (!it->second.empty() &&
          (oldest == kept.end() || it->second.front().since < oldest->second.front().since))
        oldest = it;
    if (oldest == kept.end()) return;
    gone.push_back(std::move(oldest->second.front().session));
    oldest->second.pop_front();
    --total;
    if (oldest->second.empty()) kept.erase(oldest);
  }

  const std::chrono::milliseconds maxIdle;
  const size_t maxPerKey;
  const size_t maxTotal;
  mutable Mutex mutex;
  std::condition_variable_any wake;
  std::map<std::string, std::deque<Kept>> kept GUARDED_BY(mutex);
  size_t total GUARDED_BY(mutex) = 0;
  bool stopping GUARDED_BY(mutex) = false;
  bool sweeperStarted GUARDED_BY(mutex) = false;
  std::thread sweeper;  // started under the lock, joined by the destructor
};

IdleConnections::IdleConnections(std::chrono::milliseconds maxIdle, size_t maxPerKey,
                                 size_t maxTotal)
    : impl_(std::make_unique<Impl>(maxIdle, maxPerKey, maxTotal)) {}

IdleConnections::~IdleConnections() = default;  // Impl's destructor joins the sweeper first

std::unique_ptr<PooledSession> IdleConnections::take(const std::string& key) {
  std::vector<std::unique_ptr<PooledSession>> gone;  // closed after the lock is released
  MutexLock lock(impl_->mutex);
  impl_->expire(Impl::Clock::now(), gone);
  auto it = impl_->kept.find(key);
  if (it == impl_->kept.end()) return nullptr;
  std::unique_ptr<PooledSession> s = std::move(it->second.back().session);  // the freshest
  it->second.pop_back();
  --impl_->total;
  if (it->second.empty()) impl_->kept.erase(it);
  return s;
}

void IdleConnections::put(const std::string& key, std::unique_ptr<PooledSession> session) {
  if (!session || impl_->maxPerKey == 0 || impl_->maxTotal == 0) return;
  std::vector<std::unique_ptr<PooledSession>> gone;
  MutexLock lock(impl_->mutex);
  const auto now = Impl::Clock::now();
  impl_->expire(now, gone);
  auto it = impl_->kept.find(key);
  if (it != impl_->kept.end() && it->second.size() >= impl_->maxPerKey) {
    gone.push_back(std::move(it->second.front().session));  // this key's oldest makes room
    it->second.pop_front();
    --impl_->total;
  } else if (impl_->total >= impl_->maxTotal) {
    impl_->dropOldest(gone);
  }
  impl_->kept[key].push_back(Impl::Kept{std::move(session), now});
  ++impl_->total;
  impl_->startSweeper();
  impl_->wake.notify_all();
}

size_t IdleConnections::size() const {
  MutexLock lock(impl_->mutex);
  return impl_->total;
}

}  // namespace tributary::registry
