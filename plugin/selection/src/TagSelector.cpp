#include "tributary/plugin/selection/TagSelector.h"

#include <algorithm>
#include <iterator>

namespace tributary::plugin {

bool TagSelector::newerFirst(const registry::TagInfo& a, const registry::TagInfo& b) {
  if (a.pushedAtMs.has_value() != b.pushedAtMs.has_value()) return a.pushedAtMs.has_value();
  if (a.pushedAtMs && *a.pushedAtMs != *b.pushedAtMs) return *a.pushedAtMs > *b.pushedAtMs;
  return a.tag > b.tag;
}

std::vector<registry::TagInfo> TagSelector::select(std::vector<registry::TagInfo> tags) const {
  return split(std::move(tags)).chosen;
}

TagSelector::Split TagSelector::split(std::vector<registry::TagInfo> tags) const {
  Split out;
  tags.erase(std::remove_if(tags.begin(), tags.end(),
                            [&](const registry::TagInfo& t) { return !pattern_.matches(t.tag); }),
             tags.end());
  // Tags the adapter could not read have no trustworthy time: they are not candidates, but
  // they go after the chosen ones (in listing order) so that they are reported, not dropped.
  auto errored = std::stable_partition(tags.begin(), tags.end(),
                                       [](const registry::TagInfo& t) { return t.error.isOk(); });
  std::vector<registry::TagInfo> failed(std::make_move_iterator(errored),
                                        std::make_move_iterator(tags.end()));
  tags.erase(errored, tags.end());
  std::sort(tags.begin(), tags.end(), newerFirst);
  if (latestN_ >= 0 && tags.size() > static_cast<size_t>(latestN_)) {
    out.beyondLatestN.assign(std::make_move_iterator(tags.begin() + latestN_),
                             std::make_move_iterator(tags.end()));
    tags.resize(latestN_);
  }
  for (registry::TagInfo& t : failed) tags.push_back(std::move(t));
  out.chosen = std::move(tags);
  return out;
}

}  // namespace tributary::plugin
