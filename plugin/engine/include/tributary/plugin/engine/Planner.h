// Dry run of a rule: lists and selects tags, resolves each (HEAD first, GETs only where the
// decision needs them), and counts the blobs a sync would fetch after dedup (blob_stat per
// unique digest). Writes nothing to storage.
//
// Thread rules: one Planner per call; borrowed objects must allow it (see their notes).
#pragma once

#include "tributary/registry/JsonFileCache.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/plugin/report/PlanReport.h"
#include "tributary/plugin/config/Rule.h"
#include "tributary/plugin/host/Storage.h"
#include "tributary/plugin/host/TaskContext.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

class Planner {
 public:
  /// `concurrency`: tags resolved at once (their HEADs and GETs are independent).
  Planner(const Rule& rule, registry::SourceAdapter& source, registry::RegistryReader& reader,
          Storage& storage, registry::JsonFileCache& choiceCache, TaskContext& task,
          int concurrency = 1)
      : rule_(rule), source_(source), reader_(reader), storage_(storage),
        choiceCache_(choiceCache), task_(task), concurrency_(concurrency) {}

  /// An error only when the plan cannot be made at all (listing failed, cancelled).
  Result<PlanReport> plan();

 private:
  const Rule rule_;  // a copy: callers may pass a temporary
  registry::SourceAdapter& source_;
  registry::RegistryReader& reader_;
  Storage& storage_;
  registry::JsonFileCache& choiceCache_;
  TaskContext& task_;
  int concurrency_;
};

}  // namespace tributary::plugin
