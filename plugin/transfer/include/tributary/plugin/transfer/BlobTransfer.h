// Copies the blobs of a run into host storage with a fixed pool of workers: blob_stat first
// (present -> reused, nothing fetched), else stream from the source into a storage blob writer
// and commit (verified by the host). Each digest is handled once per run however many tags
// share it; callers wait for the digests one tag needs, so tags publish while later blobs are
// still in flight.
//
// A blob whose verified bytes are already in memory (BlobRef::bytes, or the run's
// ContentStore: configs read while listing or resolving) is written to storage from there —
// still through the host's blob writer, which verifies it at commit — instead of being
// fetched again.
//
// Acceleration (options.ranged, the rule's `acceleration`): a blob of at least rangeThreshold
// bytes is fetched as parallel byte ranges (RangedBlobFetcher), falling back to one streamed
// fetch when the source ignores Range. Endpoints: every blob is tried on the source's mirrors
// first, then the origin (SourceEndpoints); a new writer per endpoint, so the host's digest
// check at commit is what rejects a bad mirror copy.
//
// A fetch whose bytes fail verification (kDataLoss at commit, from any endpoint) is redone
// from scratch, mirrors first again, up to kFetchAttempts rounds in all; the final error names
// the number of rounds. Other errors are final at once (the client already retried transient
// HTTP failures).
//
// Thread rules: start/waitFor/outcome from the engine's thread; workers are internal.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tributary/Mutex.h"
#include "tributary/WorkerPool.h"
#include "tributary/plugin/host/Logger.h"
#include "tributary/plugin/host/ProgressReporter.h"
#include "tributary/plugin/transfer/RangedBlobFetcher.h"
#include "tributary/plugin/selection/ResolvedTag.h"
#include "tributary/plugin/source/SourceEndpoints.h"
#include "tributary/plugin/host/Storage.h"
#include "tributary/registry/ContentStore.h"

namespace tributary::plugin {

struct BlobOutcome {
  Status status;
  bool fetched = false;  // false: reused (already in the store)
  uint64_t bytes = 0;    // fetched bytes
  bool ranged = false;      // fetched as parallel byte ranges
  bool fromMirror = false;  // served by a mirror, not the origin
};

struct BlobTransferOptions {
  int concurrency = 4;                   // blob workers
  bool ranged = false;                   // parallel byte ranges for large blobs
  uint64_t rangeThreshold = 32ull << 20;  // blobs of at least this many bytes are ranged
  RangedFetchOptions parts;              // part size, parts in flight per blob, part tries
  /// Small objects already fetched this run (borrowed; may be null).
  const registry::ContentStore* contents = nullptr;
};

class BlobTransfer {
 public:
  /// Every reference is borrowed and must outlive this object.
  BlobTransfer(SourceEndpoints& endpoints, Storage& storage, std::string sourceRepository,
               BlobTransferOptions options, TaskContext& task, ProgressReporter& progress,
               Logger& logger);
  /// Stops handing out jobs and joins the workers (a job in flight finishes or sees the
  /// cancellation through its sink).
  ~BlobTransfer();
  BlobTransfer(const BlobTransfer&) = delete;
  BlobTransfer& operator=(const BlobTransfer&) = delete;

  /// Starts the workers over `blobs` (unique digests, in the order they are needed). Once.
  void start(std::vector<BlobRef> blobs);

  /// Blocks until every digest has an outcome. kCancelled as soon as the task is cancelled
  /// (checked every `poll`).
  Status waitFor(const std::vector<std::string>& digests,
                 std::chrono::milliseconds poll = std::chrono::milliseconds(200));

  /// The outcome of a finished digest (an error status if it never ran).
  BlobOutcome outcome(const std::string& digest) const;

  /// Whole fetches of one blob while its bytes keep failing verification.
  static constexpr int kFetchAttempts = 3;

 private:
  void work(size_t index);
  BlobOutcome transfer(const BlobRef& blob);
  // One endpoint's try: a fresh writer, the bytes (ranged or whole), commit.
  Status fetchFrom(SourceEndpoints::Endpoint& endpoint, const BlobRef& blob, bool& ranged);

  SourceEndpoints& endpoints_;
  Storage& storage_;
  const std::string sourceRepository_;
  const BlobTransferOptions options_;
  TaskContext& task_;
  ProgressReporter& progress_;
  Logger& logger_;

  std::vector<BlobRef> blobs_;  // immutable once started
  std::unique_ptr<WorkerPool> workers_;  // reset first by the destructor (its jobs use the rest)
  mutable Mutex mutex_;
  std::condition_variable_any done_;
  std::map<std::string, BlobOutcome> outcomes_ GUARDED_BY(mutex_);
};

}  // namespace tributary::plugin
