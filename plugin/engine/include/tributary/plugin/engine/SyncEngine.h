// Executes a rule into host storage: the Planner's plan, then apply() it.
//
// apply: one BlobTransfer over the plan's unique blobs (fetched once per run, `concurrency`
// workers) -> per tag to sync, as soon as its blobs are in: _layers links, child manifests,
// the tagged manifest, then tag_set last (DESIGN §5 publish order), so a reader never sees a
// tag whose content is missing. A tag's failure never stops the others; cancellation stops
// everything with kCancelled (tags already published stay published).
//
// Thread rules: one SyncEngine per execute call.
#pragma once

#include <set>
#include <string>

#include "tributary/JsonFileCache.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/plugin/engine/Plan.h"
#include "tributary/plugin/host/ProgressReporter.h"
#include "tributary/plugin/report/RunReport.h"
#include "tributary/plugin/transfer/BlobTransfer.h"
#include "tributary/plugin/host/Logger.h"
#include "tributary/plugin/config/Rule.h"
#include "tributary/plugin/source/SourceEndpoints.h"
#include "tributary/plugin/host/Storage.h"
#include "tributary/plugin/host/TaskContext.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

class SyncEngine {
 public:
  /// Blobs come from `reader` alone, `concurrency` at a time, never ranged.
  SyncEngine(const Rule& rule, registry::SourceAdapter& source, registry::RegistryReader& reader,
             Storage& storage, JsonFileCache& choiceCache, TaskContext& task,
             Logger& logger, int concurrency)
      : rule_(rule), source_(source), reader_(reader), storage_(storage),
        choiceCache_(choiceCache), task_(task), logger_(logger) {
    transfer_.concurrency = concurrency;
  }

  /// With acceleration: manifests and configs through `reader` (normally a
  /// MirroredRegistryReader over `endpoints`), blobs from `endpoints` (mirrors, then origin)
  /// with `transfer` options (ranged fetches when transfer.ranged).
  SyncEngine(const Rule& rule, registry::SourceAdapter& source, registry::RegistryReader& reader,
             SourceEndpoints& endpoints, Storage& storage, JsonFileCache& choiceCache,
             TaskContext& task, Logger& logger, BlobTransferOptions transfer)
      : rule_(rule), source_(source), reader_(reader), endpoints_(&endpoints), storage_(storage),
        choiceCache_(choiceCache), task_(task), logger_(logger), transfer_(transfer) {}

  /// plan, then apply: the report when the run reached the end (tags may have failed: see its
  /// status); an error when it could not run (listing failed) or was cancelled.
  Result<RunReport> execute();

  /// Applies `plan` (made by a Planner over the same source, reader and storage).
  Result<RunReport> apply(const Plan& plan);

 private:
  /// Waits for tag `index`'s blobs and publishes it; updates its row and the totals.
  Status applyTag(const Plan& plan, size_t index, BlobTransfer& transfer, RunReport& report);
  /// Counts each blob once, into the totals and the bytes of the first tag needing it.
  void countBlobs(const Plan& plan, size_t index, const BlobTransfer& transfer,
                  RunReport& report);
  /// _layers links, manifests (children first), the tag last.
  Status publish(const ResolvedTag& tag);
  void logTag(const RunReport::TagRow& row, ProgressReporter& progress);

  std::set<std::string> countedBlobs_;
  const Rule rule_;  // a copy: callers may pass a temporary
  registry::SourceAdapter& source_;
  registry::RegistryReader& reader_;
  SourceEndpoints* endpoints_ = nullptr;  // null: blobs from reader_ only
  Storage& storage_;
  JsonFileCache& choiceCache_;
  TaskContext& task_;
  Logger& logger_;
  BlobTransferOptions transfer_;
};

}  // namespace tributary::plugin
