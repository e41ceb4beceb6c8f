// Decides what a run will do, writing nothing: lists and selects tags, resolves each (HEAD
// first, GETs only where the decision needs them; `concurrency` tags at a time, results in
// tag order) and gathers the unique blobs of the tags to sync. plan() is the first half of
// every run; dryRun() reports it with the bytes a sync would fetch after dedup (blob_stat per
// unique digest).
//
// Thread rules: one Planner per call; borrowed objects must allow it (see their notes).
#pragma once

#include <cstddef>

#include "tributary/plugin/engine/Plan.h"
#include "tributary/plugin/config/Rule.h"
#include "tributary/plugin/host/Storage.h"
#include "tributary/plugin/host/TaskContext.h"
#include "tributary/plugin/report/RunReport.h"
#include "tributary/JsonFileCache.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

class Planner {
 public:
  /// Rows of excluded_by_regex tags a report lists at most.
  static constexpr size_t kMaxExcludedRows = 1000;

  /// `concurrency`: tags resolved at once (their HEADs and GETs are independent).
  Planner(const Rule& rule, registry::SourceAdapter& source, registry::RegistryReader& reader,
          Storage& storage, JsonFileCache& choiceCache, TaskContext& task,
          int concurrency = 1)
      : rule_(rule), source_(source), reader_(reader), storage_(storage),
        choiceCache_(choiceCache), task_(task), concurrency_(concurrency) {}

  /// The report's "source" (default: the rule's type and domain, the adapter's repository).
  void describeSource(RunReport::Source source) { sourceInfo_ = std::move(source); }
  /// List the tags tag_regex excludes too (at most kMaxExcludedRows).
  void listExcludedTags(bool on) { listExcluded_ = on; }

  /// An error only when the plan cannot be made at all (listing failed, cancelled).
  Result<Plan> plan();

  /// plan(), reported as a dry run.
  Result<RunReport> dryRun();

 private:
  /// `countOnly` (dryRun): a budgeted source's admitted manifest GETs are counted, not made.
  Result<Plan> plan(bool countOnly);
  /// Totals and per-tag bytes of what a sync would fetch: blob_stat per unique blob.
  Status estimateFetches(const Plan& plan, RunReport& report);

  const Rule rule_;  // a copy: callers may pass a temporary
  registry::SourceAdapter& source_;
  registry::RegistryReader& reader_;
  Storage& storage_;
  JsonFileCache& choiceCache_;
  TaskContext& task_;
  int concurrency_;
  std::optional<RunReport::Source> sourceInfo_;
  bool listExcluded_ = false;
};

}  // namespace tributary::plugin
