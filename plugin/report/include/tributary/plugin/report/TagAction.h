// The one action vocabulary of a run, from plan to report (docs/report.md). In a dry run the
// same words say what would happen.
#pragma once

namespace tributary::plugin {

enum class TagAction {
  kSynced,           // written (would be written) to the destination
  kUnchanged,        // destination already points at the chosen digest
  kKept,             // destination differs and overwrite is off
  kSkipped,          // the rule cannot be met for this tag (platform, schema1)
  kDeferred,         // the source cannot serve it this run (pull budget); next run will
  kFailed,           // an error that may go away
  kBeyondLatestN,    // matches tag_regex but is older than the newest latest_n
  kExcludedByRegex,  // does not match tag_regex (listed only on request)
};

/// "synced", "unchanged", ... as written in the report.
const char* tagActionName(TagAction action);

/// True for the tags the rule selected (everything but beyond_latest_n and excluded_by_regex).
bool isSelected(TagAction action);

}  // namespace tributary::plugin
