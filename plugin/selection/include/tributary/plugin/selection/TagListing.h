// The selection step shared by plan and execute: list the source's tags (the adapter only pays
// per-tag costs for tags the regex wants), then order and cut to latest_n. Tags the adapter
// could not read (TagInfo::error) follow the chosen ones, to be reported as failed.
#pragma once

#include <vector>

#include "tributary/plugin/config/Rule.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

class TagListing {
 public:
  static Result<std::vector<registry::TagInfo>> selected(const Rule& rule,
                                                         registry::SourceAdapter& source);
};

}  // namespace tributary::plugin
