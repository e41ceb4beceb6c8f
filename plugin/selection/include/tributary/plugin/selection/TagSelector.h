// Selection = source tags -> whole-match tag_regex -> newest first -> first latest_n
// (DESIGN §2). "Newest" is the pushed time; ties break by tag name descending; tags with no
// time sort after every timed tag (by name descending among themselves).
#pragma once

#include <vector>

#include "tributary/plugin/config/TagPattern.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

class TagSelector {
 public:
  TagSelector(const TagPattern& pattern, int latestN) : pattern_(pattern), latestN_(latestN) {}

  bool wanted(const std::string& tag) const { return pattern_.matches(tag); }

  /// Filters by the pattern (again, so an adapter that ignores `wanted` is still correct),
  /// orders and truncates. Tags carrying an error (TagInfo::error) are never chosen; they
  /// follow the chosen tags, in their listing order, so that callers report them as failed.
  std::vector<registry::TagInfo> select(std::vector<registry::TagInfo> tags) const;

  /// select(), keeping what latest_n cut: `chosen` is select()'s result, `beyondLatestN` the
  /// matching readable tags after the first latest_n, newest first.
  struct Split {
    std::vector<registry::TagInfo> chosen;
    std::vector<registry::TagInfo> beyondLatestN;
  };
  Split split(std::vector<registry::TagInfo> tags) const;

  /// The ordering alone: true when `a` comes before `b`.
  static bool newerFirst(const registry::TagInfo& a, const registry::TagInfo& b);

 private:
  const TagPattern& pattern_;
  int latestN_;
};

}  // namespace tributary::plugin
