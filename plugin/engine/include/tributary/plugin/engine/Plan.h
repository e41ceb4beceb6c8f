// What a run will do, decided before anything is written: the selected tags resolved (what
// each destination tag should point at and what must be stored for it), what selection left
// out, and the unique blobs of the tags to sync. A dry run reports it; an execute applies it.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tributary/plugin/report/RunReport.h"
#include "tributary/plugin/selection/ResolvedTag.h"
#include "tributary/registry/PullBudget.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

struct Plan {
  std::string rule;
  RunReport::Source source;
  std::string destinationRepository;
  registry::TimestampKind timestampKind = registry::TimestampKind::kCreated;

  std::vector<ResolvedTag> tags;                 // selected, newest first, then unreadable
  std::vector<registry::TagInfo> beyondLatestN;  // matching, left out by latest_n
  std::vector<std::string> excludedByRegex;      // listed only when asked for
  size_t excludedNotListed = 0;                  // excluded tags cut by the row cap

  /// Unique blobs of the tags to sync, in the order the tags need them, and for each digest
  /// the index into `tags` of the first tag needing it (whose bytes count it).
  std::vector<BlobRef> blobs;
  std::map<std::string, size_t> firstTag;

  std::vector<std::string> notes;
  std::optional<registry::PullBudget> budget;

  /// The report of this plan before anything runs: one row per selected tag (as resolved),
  /// then beyond_latest_n and excluded_by_regex rows; totals zero.
  RunReport startReport(bool dryRun) const;
};

}  // namespace tributary::plugin
