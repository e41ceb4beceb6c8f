#include "tributary/quay/QuaySource.h"

#include <chrono>
#include <set>

namespace tributary::quay {

Result<std::vector<QuayTag>> QuaySource::listQuayTags() {
  std::vector<std::pair<std::string, std::string>> headers{{"Accept", "application/json"}};
  if (!oauthToken_.empty()) headers.emplace_back("Authorization", "Bearer " + oauthToken_);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string context = "listing tags of " + repository_ + " on the Quay API (" +
                              apiEndpoint_.origin + ")";
  std::vector<QuayTag> out;
  for (int page = 1; page <= kMaxPages; ++page) {
    const std::string target = "/api/v1/repository/" + repository_ +
                               "/tag/?onlyActiveTags=true&limit=" + std::to_string(kPageSize) +
                               "&page=" + std::to_string(page);
    TRIB_ASSIGN_OR_RETURN(registry::HttpReply reply, api_.call("GET", target, headers));
    if (reply.status != 200)
      return unavailableError(context + ": HTTP " + std::to_string(reply.status));
    auto parsed = QuayTagPage::parse(reply.body, now);
    if (!parsed) return parsed.status().withContext(context);
    for (QuayTag& t : parsed->tags) out.push_back(std::move(t));
    if (!parsed->hasAdditional) return out;
    if (parsed->tags.empty())
      return dataLossError(context + ": page " + std::to_string(page) +
                           " is empty but says has_additional");
  }
  return dataLossError(context + ": more than " + std::to_string(kMaxPages) + " pages");
}

Result<std::vector<registry::TagInfo>> QuaySource::listTags(
    const std::function<bool(const std::string&)>& wanted) {
  auto listed = listQuayTags();
  if (!listed) {
    if (listed.status().code() == StatusCode::kCancelled) return listed.status();
    fellBack_ = true;
    notes_.push_back("the Quay tag API failed (" + listed.status().message() +
                     "); tags ordered by image config `created` (as for custom sources) this run");
    return fallback_.listTags(wanted);
  }
  std::vector<registry::TagInfo> out;
  std::set<std::string> seen;
  for (QuayTag& t : *listed) {
    if ((wanted && !wanted(t.name)) || !seen.insert(t.name).second) continue;
    registry::TagInfo info;
    info.tag = std::move(t.name);
    info.pushedAtMs = t.pushedAtMs;
    info.timestampSource = t.pushedAtMs ? "quay.start_ts" : "";
    // Digest left to the registry HEAD: the REST API and the registry could disagree for a
    // moment after a push, and the registry is what we copy from.
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace tributary::quay
