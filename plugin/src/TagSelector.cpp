#include "tributary/plugin/TagSelector.h"

#include <algorithm>

namespace tributary::plugin {

bool TagSelector::newerFirst(const registry::TagInfo& a, const registry::TagInfo& b) {
  if (a.pushedAtMs.has_value() != b.pushedAtMs.has_value()) return a.pushedAtMs.has_value();
  if (a.pushedAtMs && *a.pushedAtMs != *b.pushedAtMs) return *a.pushedAtMs > *b.pushedAtMs;
  return a.tag > b.tag;
}

std::vector<registry::TagInfo> TagSelector::select(std::vector<registry::TagInfo> tags) const {
  tags.erase(std::remove_if(tags.begin(), tags.end(),
                            [&](const registry::TagInfo& t) { return !pattern_.matches(t.tag); }),
             tags.end());
  std::sort(tags.begin(), tags.end(), newerFirst);
  if (latestN_ >= 0 && tags.size() > static_cast<size_t>(latestN_)) tags.resize(latestN_);
  return tags;
}

}  // namespace tributary::plugin
