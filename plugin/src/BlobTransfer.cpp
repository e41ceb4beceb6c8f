#include "tributary/plugin/BlobTransfer.h"

#include <exception>

#include "tributary/plugin/StorageBlobSink.h"

namespace tributary::plugin {

BlobTransfer::BlobTransfer(registry::RegistryReader& reader, Storage& storage,
                           std::string sourceRepository, int concurrency, TaskContext& task,
                           ProgressReporter& progress)
    : reader_(reader),
      storage_(storage),
      sourceRepository_(std::move(sourceRepository)),
      concurrency_(concurrency < 1 ? 1 : concurrency),
      task_(task),
      progress_(progress) {}

BlobTransfer::~BlobTransfer() {
  stop_ = true;
  for (std::thread& t : workers_) t.join();
}

void BlobTransfer::start(std::vector<BlobRef> blobs) {
  blobs_ = std::move(blobs);
  const size_t n = std::min(blobs_.size(), static_cast<size_t>(concurrency_));
  for (size_t i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
}

void BlobTransfer::work() {
  while (!stop_) {
    const size_t i = next_++;
    if (i >= blobs_.size()) return;
    const BlobRef& blob = blobs_[i];
    BlobOutcome result;
    if (task_.isCancelled()) {
      result.status = cancelledError("task cancelled");
    } else {
      // An exception must not escape a worker thread (that would terminate the host).
      try {
        result = transfer(blob);
      } catch (const std::exception& e) {
        result.status = internalError("blob " + blob.digest + ": " + e.what());
      } catch (...) {
        result.status = internalError("blob " + blob.digest + ": unknown exception");
      }
    }
    if (result.status.isOk()) progress_.blobDone();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      outcomes_[blob.digest] = std::move(result);
    }
    done_.notify_all();
  }
}

BlobOutcome BlobTransfer::transfer(const BlobRef& blob) {
  BlobOutcome out;
  auto stat = storage_.blobStat(blob.digest);
  if (stat.isOk()) {
    if (*stat != blob.size) {
      out.status = dataLossError("blob " + blob.digest + " is " + std::to_string(*stat) +
                                 " bytes in storage but the manifest says " +
                                 std::to_string(blob.size));
    }
    return out;  // reused
  }
  if (stat.status().code() != StatusCode::kNotFound) {
    out.status = stat.status().withContext("stat blob " + blob.digest);
    return out;
  }
  auto writer = storage_.openBlobWriter(blob.digest, blob.size);
  if (!writer) {
    out.status = writer.status().withContext("opening storage writer for " + blob.digest);
    return out;
  }
  Status s;
  if (blob.bytes) {
    s = (*writer)->write(blob.bytes->data(), blob.bytes->size());
    if (s.isOk()) progress_.bytes(blob.bytes->size());
  } else {
    StorageBlobSink sink(**writer, task_, progress_);
    s = reader_.fetchBlob(sourceRepository_, blob.digest, blob.size, sink);
  }
  if (s.isOk()) s = (*writer)->commit();
  // An uncommitted writer aborts when it goes out of scope.
  if (!s.isOk()) {
    out.status = s.withContext("blob " + blob.digest);
    return out;
  }
  out.fetched = true;
  out.bytes = blob.size;
  return out;
}

Status BlobTransfer::waitFor(const std::vector<std::string>& digests,
                             std::chrono::milliseconds poll) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (const std::string& d : digests) {
    while (outcomes_.count(d) == 0) {
      if (task_.isCancelled()) return cancelledError("task cancelled");
      done_.wait_for(lock, poll);
    }
  }
  return Status();
}

BlobOutcome BlobTransfer::outcome(const std::string& digest) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = outcomes_.find(digest);
  if (it != outcomes_.end()) return it->second;
  BlobOutcome none;
  none.status = internalError("blob " + digest + " was never transferred");
  return none;
}

}  // namespace tributary::plugin
