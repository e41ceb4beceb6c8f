#include "tributary/gcr/GcrSource.h"

#include <set>

namespace tributary::gcr {

bool GcrSource::isGoogleHost(const std::string& host) {
  std::string h = host.substr(0, host.find(':'));
  auto endsWith = [&](const std::string& suffix) {
    return h.size() > suffix.size() &&
           h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return h == "gcr.io" || endsWith(".gcr.io") || endsWith("-docker.pkg.dev");
}

std::pair<std::string, std::string> GcrSource::splitHost(const std::string& repository) {
  size_t slash = repository.find('/');
  if (slash != std::string::npos && isGoogleHost(repository.substr(0, slash)))
    return {repository.substr(0, slash), repository.substr(slash + 1)};
  return {"", repository};
}

Result<GcrTagList> GcrSource::listAll() {
  // gcrane asks for n=10000: Google hosts answer complete lists when they carry the map.
  std::string target = "/v2/" + repository_ + "/tags/list?n=10000";
  const std::string origin =
      (client_.options().plainHttp ? "http://" : "https://") + client_.options().host;
  GcrTagList all;
  std::set<std::string> seen;
  for (int pageNo = 0; pageNo < kMaxPages && !target.empty(); ++pageNo) {
    if (!seen.insert(target).second) return dataLossError("tags/list Link loops back to " + target);
    const std::string context = "listing tags of " + repository_ + " on " + client_.options().host;
    TRIB_ASSIGN_OR_RETURN(registry::HttpReply reply, client_.get(target, repository_));
    if (reply.status != 200)
      return unavailableError(context + ": HTTP " + std::to_string(reply.status));
    auto page = GcrTagList::parse(reply.body);
    if (!page) return page.status().withContext(context);
    all.merge(std::move(*page));
    auto link = reply.headers.find("link");
    std::string next = link == reply.headers.end() ? "" : GcrTagList::nextLink(link->second);
    if (next.empty()) break;
    if (next.front() != '/') {
      // Absolute: must stay on the registry's origin (SSRF guard, as go-containerregistry).
      if (next.rfind(origin + "/", 0) != 0)
        return permissionDeniedError(context + ": next-page link leaves " + origin);
      next = next.substr(origin.size());
    }
    target = next;
  }
  return all;
}

Result<std::vector<registry::TagInfo>> GcrSource::listTags(
    const std::function<bool(const std::string&)>& wanted) {
  auto listed = listAll();
  if (listed && !listed->hasManifestMap && !listed->tags.empty()) {
    listed = failedPreconditionError("tags/list of " + repository_ + " on " +
                                     client_.options().host +
                                     " carries no `manifest` map with upload times");
  }
  if (!listed) {
    if (listed.status().code() == StatusCode::kCancelled) return listed.status();
    fellBack_ = true;
    notes_.push_back("the GCR tags/list upload times are unavailable (" +
                     listed.status().message() +
                     "); tags ordered by image config `created` (as for custom sources) this run");
    return fallback_.listTags(wanted);
  }
  std::vector<registry::TagInfo> out;
  std::set<std::string> seen;
  for (const std::string& tag : listed->tags) {
    if ((wanted && !wanted(tag)) || !seen.insert(tag).second) continue;
    registry::TagInfo info;
    info.tag = tag;
    auto d = listed->digestOfTag.find(tag);
    if (d != listed->digestOfTag.end()) {
      info.digest = d->second;
      const GcrManifestInfo& m = listed->manifests[d->second];
      info.pushedAtMs = m.timeMs;
      info.timestampSource = m.timestampSource;
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace tributary::gcr
