#include "tributary/plugin/selection/TagListing.h"

#include "tributary/plugin/config/TagPattern.h"
#include "tributary/plugin/selection/TagSelector.h"

namespace tributary::plugin {

Result<TagListing::Selection> TagListing::select(const Rule& rule,
                                                 registry::SourceAdapter& source,
                                                 size_t maxExcluded) {
  TRIB_ASSIGN_OR_RETURN(TagPattern pattern, TagPattern::compile(rule.policy.tagRegex));
  TagSelector selector(pattern, rule.policy.latestN);
  Selection out;
  TRIB_ASSIGN_OR_RETURN(std::vector<registry::TagInfo> tags,
                        source.listTags([&](const std::string& tag) {
                          if (selector.wanted(tag)) return true;
                          if (out.excludedByRegex.size() < maxExcluded)
                            out.excludedByRegex.push_back(tag);
                          else
                            ++out.excludedNotKept;
                          return false;
                        }));
  TagSelector::Split split = selector.split(std::move(tags));
  // A pattern that hit PCRE2's limits (while listing or filtering) fails the rule's run
  // rather than silently choosing fewer tags.
  TRIB_RETURN_IF_ERROR(pattern.limitError());
  out.chosen = std::move(split.chosen);
  out.beyondLatestN = std::move(split.beyondLatestN);
  return out;
}

}  // namespace tributary::plugin
