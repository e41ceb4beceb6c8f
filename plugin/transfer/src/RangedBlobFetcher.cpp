#include "tributary/plugin/transfer/RangedBlobFetcher.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace tributary::plugin {
namespace {

constexpr std::chrono::milliseconds kPoll{100};  // cancellation and stop checks while waiting

// One part's bytes, allocated in full when the part is claimed. Counts itself in `live` (and
// the high-water mark in `peak`) so the memory bound can be checked from outside.
class PartBuffer final : public registry::BlobSink {
 public:
  PartBuffer(uint64_t length, const TaskContext& task, std::atomic<int>& live,
             std::atomic<int>& peak)
      : length_(length), task_(task), live_(live) {
    bytes_.reserve(static_cast<size_t>(length));
    const int now = ++live_;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
  ~PartBuffer() override { --live_; }
  PartBuffer(const PartBuffer&) = delete;
  PartBuffer& operator=(const PartBuffer&) = delete;

  Status write(const char* data, size_t len) override {
    if (task_.isCancelled()) return cancelledError("task cancelled");
    if (bytes_.size() + len > length_)
      return dataLossError("part received more than its " + std::to_string(length_) + " bytes");
    bytes_.append(data, len);
    return Status();
  }
  Status reset() override {
    bytes_.clear();
    return Status();
  }
  uint64_t offset() const override { return bytes_.size(); }
  const std::string& bytes() const { return bytes_; }

 private:
  const uint64_t length_;
  const TaskContext& task_;
  std::atomic<int>& live_;
  std::string bytes_;
};

struct PartSlot {
  std::unique_ptr<PartBuffer> buffer;
  Status status;
  bool done = false;
};

}  // namespace

RangedBlobFetcher::RangedBlobFetcher(registry::RegistryReader& reader, const TaskContext& task,
                                     RangedFetchOptions options)
    : reader_(reader), task_(task), options_(options) {
  options_.partSize = std::max<uint64_t>(options_.partSize, 1);
  options_.parallelism = std::max(options_.parallelism, 1);
  options_.partAttempts = std::max(options_.partAttempts, 1);
}

Status RangedBlobFetcher::fetch(const std::string& repository, const std::string& digest,
                                uint64_t size, registry::BlobSink& sink) {
  stats_ = Stats();
  const uint64_t partSize = options_.partSize;
  const uint64_t partCount = (size + partSize - 1) / partSize;
  const uint64_t window = static_cast<uint64_t>(options_.parallelism);
  stats_.parts = partCount;
  if (partCount == 0) return Status();

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<PartSlot> slots(partCount);  // guarded by mutex
  uint64_t nextClaim = 0;                  // guarded by mutex
  uint64_t nextWrite = 0;                  // guarded by mutex
  bool stop = false;                       // guarded by mutex
  Status firstError;                       // guarded by mutex
  std::atomic<int> live{0}, peak{0};
  std::atomic<uint64_t> retries{0};

  auto stopped = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return stop;
  };

  // One part with its retries. Runs on a part thread.
  auto fetchPart = [&](uint64_t index) -> std::pair<std::unique_ptr<PartBuffer>, Status> {
    const uint64_t offset = index * partSize;
    const uint64_t length = std::min(partSize, size - offset);
    auto buffer = std::make_unique<PartBuffer>(length, task_, live, peak);
    std::chrono::milliseconds delay = options_.retryDelay;
    Status s;
    int attempt = 1;
    for (;; ++attempt) {
      if (task_.isCancelled()) return {std::move(buffer), cancelledError("task cancelled")};
      (void)buffer->reset();  // cannot fail for a memory buffer
      s = reader_.fetchBlobRange(repository, digest, offset, length, *buffer);
      if (s.isOk() && buffer->offset() != length)
        s = dataLossError("part ended after " + std::to_string(buffer->offset()) + " of " +
                          std::to_string(length) + " bytes");
      if (s.isOk() || s.code() == StatusCode::kUnimplemented ||
          s.code() == StatusCode::kCancelled || attempt >= options_.partAttempts)
        break;
      if (stopped()) break;  // the blob has failed already; no point in trying again
      ++retries;
      // Sleep in slices so cancellation and a failing sibling are noticed quickly.
      const auto until = std::chrono::steady_clock::now() + delay;
      while (std::chrono::steady_clock::now() < until && !task_.isCancelled() && !stopped())
        std::this_thread::sleep_for(std::min(kPoll, delay));
      delay *= 2;
    }
    if (!s.isOk() && s.code() != StatusCode::kUnimplemented && s.code() != StatusCode::kCancelled)
      s = s.withContext("part " + std::to_string(index + 1) + "/" + std::to_string(partCount) +
                        " failed after " + std::to_string(attempt) + " tries");
    return {std::move(buffer), s};
  };

  auto partThread = [&] {
    while (true) {
      uint64_t index = 0;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] {
          return stop || nextClaim >= partCount || nextClaim < nextWrite + window;
        });
        if (stop || nextClaim >= partCount) return;
        index = nextClaim++;
      }
      std::pair<std::unique_ptr<PartBuffer>, Status> result;
      // An exception must not escape a thread (that would terminate the host).
      try {
        result = fetchPart(index);
      } catch (const std::exception& e) {
        result.second = internalError(std::string("part fetch: ") + e.what());
      } catch (...) {
        result.second = internalError("part fetch: unknown exception");
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        slots[index].buffer = std::move(result.first);
        slots[index].status = result.second;
        slots[index].done = true;
        if (!result.second.isOk() && firstError.isOk()) {
          firstError = result.second;
          stop = true;
        }
      }
      changed.notify_all();
    }
  };

  std::vector<std::thread> threads;
  // Stops and joins the part threads however this function is left (an exception from the
  // sink must not destroy joinable threads: that would terminate the host).
  struct Joiner {
    std::mutex& mutex;
    std::condition_variable& changed;
    bool& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      {
        std::lock_guard<std::mutex> lock(mutex);
        stop = true;
      }
      changed.notify_all();
      for (std::thread& t : threads) t.join();
    }
  } joiner{mutex, changed, stop, threads};
  const uint64_t threadCount = std::min(window, partCount);
  try {
    for (uint64_t i = 0; i < threadCount; ++i) threads.emplace_back(partThread);
  } catch (const std::system_error& e) {
    // Fewer threads than asked only means fewer parts in flight; none at all is an error.
    if (threads.empty())
      return resourceExhaustedError(std::string("cannot start part threads: ") + e.what());
  }

  // This thread writes the parts in order as they become ready.
  Status result;
  while (true) {
    std::unique_ptr<PartBuffer> buffer;
    {
      std::unique_lock<std::mutex> lock(mutex);
      while (nextWrite < partCount && !slots[nextWrite].done && firstError.isOk() &&
             !task_.isCancelled())
        changed.wait_for(lock, kPoll);
      if (nextWrite >= partCount) break;
      if (!firstError.isOk()) {
        result = firstError;  // fail fast, also when that part is not the next to write
        break;
      }
      if (task_.isCancelled()) {
        result = cancelledError("task cancelled");
        break;
      }
      buffer = std::move(slots[nextWrite].buffer);
      ++nextWrite;  // frees a window place: the next part may be claimed while this one is written
    }
    changed.notify_all();
    result = sink.write(buffer->bytes().data(), buffer->bytes().size());
    buffer.reset();
    if (!result.isOk()) break;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    stop = true;
  }
  changed.notify_all();
  for (std::thread& t : threads) t.join();
  threads.clear();  // joined: nothing left for the Joiner
  slots.clear();
  stats_.partRetries = retries.load();
  stats_.peakLiveBuffers = peak.load();
  return result;
}

}  // namespace tributary::plugin
