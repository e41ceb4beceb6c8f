// The selection step of every run: list the source's tags (the adapter only pays per-tag
// costs for tags the regex wants), then order and cut to latest_n. Tags the adapter could not
// read (TagInfo::error) follow the chosen ones, to be reported as failed; what the regex and
// latest_n left out is kept for the report.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tributary/plugin/config/Rule.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

class TagListing {
 public:
  struct Selection {
    std::vector<registry::TagInfo> chosen;         // newest first, then unreadable tags
    std::vector<registry::TagInfo> beyondLatestN;  // matching, older than the chosen
    std::vector<std::string> excludedByRegex;      // not matching tag_regex, listing order,
                                                   // at most `maxExcluded` of them
    size_t excludedNotKept = 0;                    // excluded beyond `maxExcluded`, counted
  };

  /// Keeps the names of at most `maxExcluded` excluded tags: a hostile source may list
  /// millions (issue #7), memory goes only to the tags the rule wants.
  static Result<Selection> select(const Rule& rule, registry::SourceAdapter& source,
                                  size_t maxExcluded);
};

}  // namespace tributary::plugin
