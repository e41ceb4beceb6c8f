// The one report document of a run: a plan (dry run) and an execute report have the same
// shape, field by field in docs/report.md:
// {"schema_version":1,"rule","source":{"type","registry","repository"},
//  "destination":{"repository"},"dry_run","status","error"?,"counts":{...},"totals":{...},
//  "budget"?,"notes":[...],"tags":[{"tag","action","reason_code","reason","source_digest",
//  "destination_digest","chosen_digest","timestamp","timestamp_kind","bytes",
//  "foreign_layers"?,"pulls"?}]}
//
// status: succeeded = nothing failed; failed = every selected tag failed, or the run could
// not happen (error set); partial = otherwise (also when something is deferred).
//
// Not thread-safe: one report per run, filled by the run's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tributary/plugin/report/TagAction.h"
#include "tributary/registry/PullBudget.h"

namespace tributary::plugin {

class RunReport {
 public:
  static constexpr int kSchemaVersion = 1;

  struct Source {
    std::string type;        // custom | dockerhub | gcr | quay
    std::string registry;    // host[:port]
    std::string repository;  // ns/repo at the source
  };

  struct TagRow {
    std::string tag;
    TagAction action = TagAction::kFailed;
    std::string reasonCode;         // stable snake_case; "" for plain synced / unchanged
    std::string reason;             // human text
    std::string sourceDigest;       // what the source tag points at
    std::string destinationDigest;  // what the destination tag pointed at before the run
    std::string chosenDigest;       // what the destination tag points at after (platforms)
    std::optional<int64_t> timestampMs;
    std::string timestampKind;      // pushed | uploaded | created
    uint64_t bytes = 0;             // fetched (would be fetched) for this tag, after dedup
    /// Foreign / non-distributable layers left to their urls, "<digest> (<mediaType>)";
    /// the key is written only when non-empty.
    std::vector<std::string> foreignLayers;
    /// Manifest pulls the tag was admitted for; written only when the report has a budget.
    std::optional<int64_t> pulls;
  };

  struct Counts {
    uint64_t synced = 0, unchanged = 0, kept = 0, skipped = 0, deferred = 0, failed = 0,
             beyondLatestN = 0, excludedByRegex = 0;
  };

  struct Totals {
    uint64_t bytes = 0;        // fetched (would be fetched), after dedup
    uint64_t blobs = 0;        // fetched (would be fetched)
    uint64_t blobsReused = 0;  // already in storage
    int64_t durationMs = 0;
    uint64_t rangedBlobs = 0, rangedBytes = 0;  // fetched as parallel byte ranges
    uint64_t mirrorBlobs = 0, mirrorBytes = 0;  // served by a mirror
  };

  RunReport(std::string rule, Source source, std::string destinationRepository, bool dryRun)
      : rule_(std::move(rule)), source_(std::move(source)),
        destinationRepository_(std::move(destinationRepository)), dryRun_(dryRun) {}

  void add(TagRow row) { rows_.push_back(std::move(row)); }
  std::vector<TagRow>& rows() { return rows_; }
  const std::vector<TagRow>& rows() const { return rows_; }
  Totals& totals() { return totals_; }
  const Totals& totals() const { return totals_; }
  void addNote(std::string note) { notes_.push_back(std::move(note)); }
  const std::vector<std::string>& notes() const { return notes_; }
  void setBudget(registry::PullBudget budget) { budget_ = std::move(budget); }
  /// The run could not happen at all: `code` is the ABI's status name (RP_ERR_...), set by
  /// the boundary, which alone knows the ABI.
  void setError(std::string code, std::string message);
  bool dryRun() const { return dryRun_; }
  const std::string& rule() const { return rule_; }

  Counts counts() const;
  /// "succeeded" | "partial" | "failed".
  std::string status() const;
  std::string toJson() const;

 private:
  std::string rule_;
  Source source_;
  std::string destinationRepository_;
  bool dryRun_;
  std::vector<TagRow> rows_;
  Totals totals_;
  std::vector<std::string> notes_;
  std::optional<registry::PullBudget> budget_;
  std::optional<std::pair<std::string, std::string>> error_;  // code, message
};

}  // namespace tributary::plugin
