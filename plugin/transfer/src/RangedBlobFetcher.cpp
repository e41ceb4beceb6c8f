#include "tributary/plugin/transfer/RangedBlobFetcher.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "tributary/Mutex.h"
#include "tributary/WorkerPool.h"

namespace tributary::plugin {
namespace {

constexpr std::chrono::milliseconds kPoll{100};  // cancellation and stop checks while waiting

}  // namespace

// One part's bytes, allocated in full when the part starts. Counts itself in `live` (and
// the high-water mark in `peak`) so the memory bound can be checked from outside. Abandoned
// once `stopped` says the blob failed elsewhere: its request is cut, stalled or not.
class RangedBlobFetcher::PartBuffer final : public registry::BlobSink {
 public:
  PartBuffer(uint64_t length, const TaskContext& task, std::atomic<int>& live,
             std::atomic<int>& peak, std::function<bool()> stopped)
      : length_(length), task_(task), live_(live), stopped_(std::move(stopped)) {
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
    if (abandoned()) return cancelledError("part abandoned: the blob failed elsewhere");
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
  bool abandoned() const override { return stopped_ && stopped_(); }
  const std::string& bytes() const { return bytes_; }

 private:
  const uint64_t length_;
  const TaskContext& task_;
  std::atomic<int>& live_;
  const std::function<bool()> stopped_;
  std::string bytes_;
};

// The parts of one blob between the part workers and the writing thread: a worker may start
// part i only while i < (next part to write) + window, which is the memory bound.
// Thread rules: any thread.
class RangedBlobFetcher::PartWindow {
 public:
  PartWindow(uint64_t parts, uint64_t window) : window_(window), slots_(parts) {}

  /// Part workers: blocks until part `index` may be fetched; false when the fetch stops.
  bool awaitRoom(uint64_t index, const TaskContext& task) {
    MutexLock lock(mutex_);
    while (index >= nextWrite_ + window_) {
      if (stopped_ || task.isCancelled()) return false;
      changed_.wait_for(lock, kPoll);
    }
    return !stopped_;
  }

  void deliver(uint64_t index, std::unique_ptr<PartBuffer> buffer) {
    {
      MutexLock lock(mutex_);
      slots_[index] = std::move(buffer);
    }
    changed_.notify_all();
  }

  /// The writer: the next part in order, or null once stopped or cancelled first. Taking it
  /// frees a window place, so the next part may start while this one is written.
  std::unique_ptr<PartBuffer> takeNext(const TaskContext& task) {
    std::unique_ptr<PartBuffer> next;
    {
      MutexLock lock(mutex_);
      while (!slots_[nextWrite_]) {
        if (stopped_ || task.isCancelled()) return nullptr;
        changed_.wait_for(lock, kPoll);
      }
      next = std::move(slots_[nextWrite_]);
      ++nextWrite_;
    }
    changed_.notify_all();
    return next;
  }

  /// A part failed, or the fetch is over: waiting stops everywhere.
  void stop() {
    {
      MutexLock lock(mutex_);
      stopped_ = true;
    }
    changed_.notify_all();
  }
  bool stopped() const {
    MutexLock lock(mutex_);
    return stopped_;
  }

 private:
  const uint64_t window_;
  mutable Mutex mutex_;
  std::condition_variable_any changed_;
  std::vector<std::unique_ptr<PartBuffer>> slots_ GUARDED_BY(mutex_);
  uint64_t nextWrite_ GUARDED_BY(mutex_) = 0;
  bool stopped_ GUARDED_BY(mutex_) = false;
};


// What one fetch() call works on, shared by its part workers.
struct RangedBlobFetcher::Blob {
  const std::string& repository;
  const std::string& digest;
  uint64_t size;
  uint64_t partSize;
  uint64_t partCount;
  std::atomic<int> live{0}, peak{0};
  std::atomic<uint64_t> retries{0};
};

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
  Blob blob{repository, digest, size, options_.partSize,
            (size + options_.partSize - 1) / options_.partSize};
  stats_.parts = blob.partCount;
  if (blob.partCount == 0) return Status();

  PartWindow window(blob.partCount, static_cast<uint64_t>(options_.parallelism));
  Status written;
  Status fetched;
  {
    WorkerPool parts(blob.partCount, options_.parallelism,
                     [&](size_t index) { return runPart(blob, index, window); });
    // Fewer threads than asked only means fewer parts in flight; none at all is an error.
    if (parts.threadCount() == 0) {
      window.stop();
      return resourceExhaustedError("cannot start part threads");
    }
    // Stops the window however this block is left, before the pool joins its workers: an
    // exception from the sink must not leave a worker waiting for room.
    struct StopOnExit {
      PartWindow& window;
      ~StopOnExit() { window.stop(); }
    } stopOnExit{window};
    written = writeInOrder(blob, window, sink);
    window.stop();
    parts.cancel();
    fetched = parts.wait();  // the lowest-index part failure, if any
  }
  stats_.partRetries = blob.retries.load();
  stats_.peakLiveBuffers = blob.peak.load();
  // A part's failure is the reason (the writer only saw the window stop), else the writer's.
  if (!fetched.isOk() && fetched.code() != StatusCode::kCancelled) return fetched;
  return written;
}

Status RangedBlobFetcher::writeInOrder(const Blob& blob, PartWindow& window,
                                       registry::BlobSink& sink) {
  for (uint64_t part = 0; part < blob.partCount; ++part) {
    std::unique_ptr<PartBuffer> next = window.takeNext(task_);
    if (!next) return task_.isCancelled() ? cancelledError("task cancelled") : Status();
    TRIB_RETURN_IF_ERROR(sink.write(next->bytes().data(), next->bytes().size()));
  }
  return Status();
}

Status RangedBlobFetcher::runPart(Blob& blob, uint64_t index, PartWindow& window) {
  if (!window.awaitRoom(index, task_)) return cancelledError("part not started: fetch stopped");
  const uint64_t offset = index * blob.partSize;
  const uint64_t length = std::min(blob.partSize, blob.size - offset);
  auto buffer = std::make_unique<PartBuffer>(length, task_, blob.live, blob.peak,
                                             [&window] { return window.stopped(); });
  Status s;
  try {  // an exception must not end the fetch without a reason
    s = fetchPart(blob, index, window, *buffer);
  } catch (const std::exception& e) {
    s = internalError(std::string("part fetch: ") + e.what());
  } catch (...) {
    s = internalError("part fetch: unknown exception");
  }
  if (!s.isOk()) {
    // Cut because the blob had already failed (another part, or the writer): that failure
    // is the reason, and this part must not take its place as the lowest-index error.
    if (s.code() == StatusCode::kCancelled && window.stopped() && !task_.isCancelled())
      return Status();
    window.stop();  // the blob has failed: no other part needs to finish
    return s;
  }
  window.deliver(index, std::move(buffer));
  return Status();
}

Status RangedBlobFetcher::fetchPart(Blob& blob, uint64_t index, const PartWindow& window,
                                    PartBuffer& buffer) {
  const uint64_t offset = index * blob.partSize;
  const uint64_t length = std::min(blob.partSize, blob.size - offset);
  std::chrono::milliseconds delay = options_.retryDelay;
  Status s;
  int attempt = 1;
  for (;; ++attempt) {
    if (task_.isCancelled()) return cancelledError("task cancelled");
    (void)buffer.reset();  // cannot fail for a memory buffer
    s = reader_.fetchBlobRange(blob.repository, blob.digest, offset, length, buffer);
    if (s.isOk() && buffer.offset() != length)
      s = dataLossError("part ended after " + std::to_string(buffer.offset()) + " of " +
                        std::to_string(length) + " bytes");
    if (s.isOk() || s.code() == StatusCode::kUnimplemented ||
        s.code() == StatusCode::kCancelled || attempt >= options_.partAttempts)
      break;
    if (window.stopped()) break;  // the blob has failed already; no point in trying again
    ++blob.retries;
    // Sleep in slices so cancellation and a failing sibling are noticed quickly.
    const auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until && !task_.isCancelled() && !window.stopped())
      std::this_thread::sleep_for(std::min(kPoll, delay));
    delay *= 2;
  }
  if (!s.isOk() && s.code() != StatusCode::kUnimplemented && s.code() != StatusCode::kCancelled)
    s = s.withContext("part " + std::to_string(index + 1) + "/" + std::to_string(blob.partCount) +
                      " failed after " + std::to_string(attempt) + " tries");
  return s;
}

}  // namespace tributary::plugin
