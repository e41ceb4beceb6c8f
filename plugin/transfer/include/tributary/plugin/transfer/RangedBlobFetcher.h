// Fetches one large blob as byte-range parts over several connections at once and hands the
// bytes to a sequential sink IN ORDER (the host blob writer hashes while it writes, so it can
// only take bytes front to back).
//
// Memory: a part is buffered from the moment a fetcher claims it until the sink has taken it;
// a fetcher may only claim part i while i < (next part to write) + parallelism, so at most
// `parallelism` parts are being fetched or waiting, plus the one being written:
// <= (parallelism + 1) * partSize per blob, never the whole blob.
//
// A failed part is retried (`partAttempts` in all) before the blob fails. When the source does
// not honour Range (RegistryReader::fetchBlobRange says kUnimplemented) fetch() stops and says
// kUnimplemented: the caller resets the sink and fetches the blob whole.
//
// Thread rules: one fetch() at a time per object; its parts run on a WorkerPool it starts and
// joins.
// The reader must allow concurrent calls; the sink is written only from the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tributary/Status.h"
#include "tributary/plugin/host/TaskContext.h"
#include "tributary/registry/BlobSink.h"
#include "tributary/registry/RegistryReader.h"

namespace tributary::plugin {

struct RangedFetchOptions {
  uint64_t partSize = 8u << 20;
  int parallelism = 4;    // parts in flight per blob
  int partAttempts = 3;   // tries per part before the blob fails
  std::chrono::milliseconds retryDelay{250};  // before the 2nd try; doubled after that
};

class RangedBlobFetcher {
 public:
  /// What the last fetch() did (for reports and tests).
  struct Stats {
    uint64_t parts = 0;        // parts of the blob
    uint64_t partRetries = 0;  // extra tries after a failed part
    int peakLiveBuffers = 0;   // most part buffers alive at once
  };

  RangedBlobFetcher(registry::RegistryReader& reader, const TaskContext& task,
                    RangedFetchOptions options);

  /// Writes bytes [0, size) of `digest` into `sink` in order. kUnimplemented: the source does
  /// not do ranges (the sink may hold some bytes; reset it). kCancelled within ~100 ms of the
  /// task being cancelled; part reads blocked on a stalled source end as soon as the reader's
  /// client sees the cancellation (its watchdog, every 200 ms), so every part returns and is
  /// joined before fetch() does.
  Status fetch(const std::string& repository, const std::string& digest, uint64_t size,
               registry::BlobSink& sink);

  const Stats& stats() const { return stats_; }

 private:
  struct Blob;        // what one fetch() works on (RangedBlobFetcher.cpp)
  class PartBuffer;   // one part's bytes
  class PartWindow;   // the parts between the part workers and the writing thread

  /// On a part worker: waits for room in the window, fetches part `index`, hands it over.
  Status runPart(Blob& blob, uint64_t index, PartWindow& window);
  /// Part `index` into `buffer`, with its retries.
  Status fetchPart(Blob& blob, uint64_t index, const PartWindow& window, PartBuffer& buffer);
  /// On the calling thread: the parts into `sink`, in order, as they arrive.
  Status writeInOrder(const Blob& blob, PartWindow& window, registry::BlobSink& sink);

  registry::RegistryReader& reader_;
  const TaskContext& task_;
  RangedFetchOptions options_;
  Stats stats_;
};

}  // namespace tributary::plugin
