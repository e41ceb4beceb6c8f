#include "tributary/plugin/report/TagAction.h"

namespace tributary::plugin {

const char* tagActionName(TagAction action) {
  switch (action) {
    case TagAction::kSynced: return "synced";
    case TagAction::kUnchanged: return "unchanged";
    case TagAction::kKept: return "kept";
    case TagAction::kSkipped: return "skipped";
    case TagAction::kDeferred: return "deferred";
    case TagAction::kFailed: return "failed";
    case TagAction::kBeyondLatestN: return "beyond_latest_n";
    case TagAction::kExcludedByRegex: return "excluded_by_regex";
  }
  return "failed";
}

bool isSelected(TagAction action) {
  return action != TagAction::kBeyondLatestN && action != TagAction::kExcludedByRegex;
}

}  // namespace tributary::plugin
