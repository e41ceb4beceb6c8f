#include "tributary/plugin/selection/TagListing.h"

#include "tributary/plugin/config/TagPattern.h"
#include "tributary/plugin/selection/TagSelector.h"

namespace tributary::plugin {

Result<std::vector<registry::TagInfo>> TagListing::selected(const Rule& rule,
                                                            registry::SourceAdapter& source) {
  TRIB_ASSIGN_OR_RETURN(TagPattern pattern, TagPattern::compile(rule.policy.tagRegex));
  TagSelector selector(pattern, rule.policy.latestN);
  TRIB_ASSIGN_OR_RETURN(
      std::vector<registry::TagInfo> tags,
      source.listTags([&](const std::string& tag) { return selector.wanted(tag); }));
  return selector.select(std::move(tags));
}

}  // namespace tributary::plugin
