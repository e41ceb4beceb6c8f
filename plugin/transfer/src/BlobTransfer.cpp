#include "tributary/plugin/transfer/BlobTransfer.h"

#include <algorithm>
#include <exception>

#include "tributary/plugin/transfer/StorageBlobSink.h"

namespace tributary::plugin {

BlobTransfer::BlobTransfer(SourceEndpoints& endpoints, Storage& storage,
                           std::string sourceRepository, BlobTransferOptions options,
                           TaskContext& task, ProgressReporter& progress, Logger& logger)
    : endpoints_(endpoints),
      storage_(storage),
      sourceRepository_(std::move(sourceRepository)),
      options_(options),
      task_(task),
      progress_(progress),
      logger_(logger) {}

// The pool first, explicitly: it cancels what has not started and joins the jobs in flight,
// which still write outcomes_ under mutex_ and notify done_. Left to the implicit order, those
// members (declared after workers_) would be destroyed while a job runs: a run cancelled while
// a blob was being fetched returned from waitFor() and corrupted the heap as that job ended.
BlobTransfer::~BlobTransfer() { workers_.reset(); }

void BlobTransfer::start(std::vector<BlobRef> blobs) {
  blobs_ = std::move(blobs);
  // A blob's failure is its tags' business, not the run's: jobs always "succeed".
  workers_ = std::make_unique<WorkerPool>(blobs_.size(), options_.concurrency, [this](size_t i) {
    work(i);
    return Status();
  });
}

void BlobTransfer::work(size_t i) {
  {
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
      MutexLock lock(mutex_);
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
    out.status = stat.status();  // names the blob
    return out;
  }
  std::shared_ptr<const std::string> held = blob.bytes;
  if (!held && options_.contents != nullptr) {
    if (auto kept = options_.contents->find(registry::ContentStore::Kind::kBlob, blob.digest))
      held = kept->bytes;
  }
  if (held) {  // already fetched (and verified) this run: no request
    auto writer = storage_.openBlobWriter(blob.digest, blob.size);
    if (!writer) {
      out.status = writer.status();  // names the blob
      return out;
    }
    Status s = (*writer)->write(held->data(), held->size());
    if (s.isOk()) progress_.bytes(held->size());
    if (s.isOk()) s = (*writer)->commit();
    // An uncommitted writer aborts when it goes out of scope.
    if (!s.isOk()) {
      out.status = s.withContext("storing blob " + blob.digest);
      return out;
    }
    out.fetched = true;
    out.bytes = blob.size;
    out.fromMirror = endpoints_.servedByMirror(blob.digest);
    return out;
  }
  bool ranged = false;
  const SourceEndpoints::Endpoint* servedBy = nullptr;
  Status s;
  int attempt = 1;
  for (;; ++attempt) {
    // Bytes that fail the host's digest/size check (from any endpoint, mirrors included) may
    // have been damaged in transit: a whole new round with fresh writers usually heals that,
    // where failing would cost every tag that needs the blob until the next run.
    bool corrupted = false;
    s = endpoints_.tryInOrder(
        "blob " + blob.digest,
        [&](SourceEndpoints::Endpoint& e) {
          Status one = fetchFrom(e, blob, ranged);
          if (one.code() == StatusCode::kDataLoss) corrupted = true;
          return one;
        },
        &servedBy);
    if (s.isOk() || !corrupted || attempt >= kFetchAttempts || task_.isCancelled() ||
        s.code() == StatusCode::kCancelled)
      break;
    if (logger_.enabled(LogLevel::kInfo))
      logger_.log(LogLevel::kInfo, "blob " + blob.digest + ": fetch attempt " +
                                       std::to_string(attempt) + " of " +
                                       std::to_string(kFetchAttempts) + " failed (" +
                                       s.message() + "); fetching it again from scratch");
  }
  if (!s.isOk()) {
    out.status = s.withContext(attempt > 1 ? "fetching blob " + blob.digest + " (after " +
                                                 std::to_string(attempt) + " fetch attempts)"
                                           : "fetching blob " + blob.digest);
    return out;
  }
  out.fetched = true;
  out.bytes = blob.size;
  out.ranged = ranged;
  out.fromMirror = servedBy != nullptr && servedBy->mirror;
  return out;
}

Status BlobTransfer::fetchFrom(SourceEndpoints::Endpoint& endpoint, const BlobRef& blob,
                               bool& ranged) {
  ranged = false;
  auto writer = storage_.openBlobWriter(blob.digest, blob.size);
  if (!writer) return writer.status();  // names the blob
  StorageBlobSink sink(**writer, task_, progress_);
  const bool wantRanges = options_.ranged && blob.size >= options_.rangeThreshold &&
                          blob.size > options_.parts.partSize && !endpoint.noRanges.load();
  Status s;
  if (wantRanges) {
    RangedBlobFetcher fetcher(*endpoint.reader, task_, options_.parts);
    s = fetcher.fetch(sourceRepository_, blob.digest, blob.size, sink);
    if (s.code() == StatusCode::kUnimplemented) {
      // The endpoint ignores Range: remember it for this run and stream the blob whole.
      endpoint.noRanges = true;
      if (logger_.enabled(LogLevel::kDebug))
        logger_.log(LogLevel::kDebug, "blob " + blob.digest + ": " + endpoint.host +
                                          " does not serve byte ranges (" + s.message() +
                                          "); fetching it whole");
      s = sink.reset();
      if (s.isOk()) s = endpoint.reader->fetchBlob(sourceRepository_, blob.digest, blob.size, sink);
    } else {
      ranged = s.isOk();
      if (ranged && logger_.enabled(LogLevel::kDebug))
        logger_.log(LogLevel::kDebug,
                    "blob " + blob.digest + ": " + std::to_string(fetcher.stats().parts) +
                        " ranged parts from " + endpoint.host + ", " +
                        std::to_string(fetcher.stats().partRetries) + " retried, at most " +
                        std::to_string(fetcher.stats().peakLiveBuffers) + " buffered");
    }
  } else {
    s = endpoint.reader->fetchBlob(sourceRepository_, blob.digest, blob.size, sink);
  }
  // The host verifies size and digest here; an uncommitted writer aborts when it goes out of
  // scope, so the next endpoint starts from a clean writer.
  if (s.isOk()) s = (*writer)->commit();
  if (!s.isOk()) ranged = false;
  return s;
}

Status BlobTransfer::waitFor(const std::vector<std::string>& digests,
                             std::chrono::milliseconds poll) {
  MutexLock lock(mutex_);
  for (const std::string& d : digests) {
    while (outcomes_.count(d) == 0) {
      if (task_.isCancelled()) return cancelledError("task cancelled");
      done_.wait_for(lock, poll);
    }
  }
  return Status();
}

BlobOutcome BlobTransfer::outcome(const std::string& digest) const {
  MutexLock lock(mutex_);
  auto it = outcomes_.find(digest);
  if (it != outcomes_.end()) return it->second;
  BlobOutcome none;
  none.status = internalError("blob " + digest + " was never transferred");
  return none;
}

}  // namespace tributary::plugin
