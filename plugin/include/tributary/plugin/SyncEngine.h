// Executes a rule into host storage.
//
// Steps: select tags -> resolve each (HEAD; unchanged/kept need no GET) -> one BlobTransfer
// over the unique blobs of every tag to sync (fetched once per run, `concurrency` workers) ->
// per tag, as soon as its blobs are in: _layers links, child manifests, the tagged manifest,
// then tag_set last (DESIGN §5 publish order), so a reader never sees a tag whose content is
// missing. A tag's failure never stops the others; cancellation stops everything with
// kCancelled (tags already published stay published).
//
// Thread rules: one SyncEngine per execute call.
#pragma once

#include "tributary/registry/JsonFileCache.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/plugin/Logger.h"
#include "tributary/plugin/Rule.h"
#include "tributary/plugin/Storage.h"
#include "tributary/plugin/SyncReport.h"
#include "tributary/plugin/TaskContext.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

class SyncEngine {
 public:
  SyncEngine(const Rule& rule, registry::SourceAdapter& source, registry::RegistryReader& reader,
             Storage& storage, registry::JsonFileCache& choiceCache, TaskContext& task,
             Logger& logger, int concurrency)
      : rule_(rule), source_(source), reader_(reader), storage_(storage),
        choiceCache_(choiceCache), task_(task), logger_(logger), concurrency_(concurrency) {}

  /// The report when the run reached the end (tags may have failed: see its status); an
  /// error when it could not run (listing failed) or was cancelled.
  Result<SyncReport> execute();

 private:
  const Rule& rule_;
  registry::SourceAdapter& source_;
  registry::RegistryReader& reader_;
  Storage& storage_;
  registry::JsonFileCache& choiceCache_;
  TaskContext& task_;
  Logger& logger_;
  int concurrency_;
};

}  // namespace tributary::plugin
