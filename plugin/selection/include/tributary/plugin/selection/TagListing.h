// The selection step of every run: list the source's tags (the adapter only pays per-tag
// costs for tags the regex wants), then order and cut to latest_n. Tags the adapter could not
// read (TagInfo::error) follow the chosen ones, to be reported as failed; what the regex and
// latest_n left out is kept for the report.
#pragma once

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
    std::vector<std::string> excludedByRegex;      // not matching tag_regex, listing order
  };

  static Result<Selection> select(const Rule& rule, registry::SourceAdapter& source);
};

}  // namespace tributary::plugin
