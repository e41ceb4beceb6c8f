#include "tributary/dockerhub/DockerHubSource.h"

#include <set>
#include <sstream>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace tributary::dockerhub {
namespace {

// The start of an error body, for messages (never a request's headers: those may hold tokens).
std::string bodyHint(const std::string& body) {
  std::string s = body.substr(0, 160);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s.empty() ? "" : ": " + s;
}

}  // namespace

DockerHubSource::DockerHubSource(registry::RegistryClient& hubApi,
                                 registry::VendorEndpoint hubEndpoint, std::string repository,
                                 DockerHubPullBudget& budget, registry::SourceAdapter& fallback,
                                 std::string hubUsername, std::string hubSecret,
                                 std::function<void(const std::string&)> onIssuedToken)
    : hubApi_(hubApi),
      hubEndpoint_(std::move(hubEndpoint)),
      repository_(std::move(repository)),
      budget_(budget),
      fallback_(fallback),
      hubUsername_(std::move(hubUsername)),
      hubSecret_(std::move(hubSecret)),
      onIssuedToken_(std::move(onIssuedToken)) {}

Result<std::string> DockerHubSource::login() {
  Poco::JSON::Object body;
  body.set("identifier", hubUsername_);
  body.set("secret", hubSecret_);
  std::ostringstream text;
  body.stringify(text);
  TRIB_ASSIGN_OR_RETURN(
      registry::HttpReply reply,
      hubApi_.call("POST", "/v2/auth/token", {{"Accept", "application/json"}}, text.str(),
                   "application/json"));
  if (reply.status == 401 || reply.status == 403)
    return unauthenticatedError("logging into the Docker Hub API at " + hubEndpoint_.origin +
                                ": the credential was rejected (HTTP " +
                                std::to_string(reply.status) + ")");
  if (reply.status != 200)
    return unavailableError("logging into the Docker Hub API at " + hubEndpoint_.origin +
                            ": HTTP " + std::to_string(reply.status));
  try {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>();
    for (const char* key : {"access_token", "token"}) {
      if (obj && obj->has(key) && obj->get(key).isString()) {
        std::string token = obj->getValue<std::string>(key);
        if (onIssuedToken_) onIssuedToken_(token);
        return token;
      }
    }
  } catch (const std::exception&) {
  }
  return dataLossError("logging into the Docker Hub API at " + hubEndpoint_.origin +
                       ": the answer holds no access_token");
}

Result<std::vector<HubTag>> DockerHubSource::listHubTags() {
  const std::string ns = repository_.substr(0, repository_.find('/'));
  const std::string repo = repository_.substr(repository_.find('/') + 1);
  std::vector<std::pair<std::string, std::string>> headers{{"Accept", "application/json"}};
  if (!hubUsername_.empty()) {
    TRIB_ASSIGN_OR_RETURN(std::string token, login());
    headers.emplace_back("Authorization", "Bearer " + token);
  }
  std::vector<HubTag> out;
  std::string target = "/v2/namespaces/" + ns + "/repositories/" + repo +
                       "/tags?page_size=" + std::to_string(kPageSize);
  std::set<std::string> seen;
  for (int pageNo = 0; pageNo < kMaxPages && !target.empty(); ++pageNo) {
    if (!seen.insert(target).second)
      return dataLossError("Docker Hub tags API: `next` loops back to " + target);
    const std::string context = "listing tags of " + repository_ + " on the Docker Hub API (" +
                                hubEndpoint_.origin + ")";
    TRIB_ASSIGN_OR_RETURN(registry::HttpReply reply, hubApi_.call("GET", target, headers));
    if (reply.status != 200)
      return unavailableError(context + ": HTTP " + std::to_string(reply.status) +
                              bodyHint(reply.body));
    auto page = HubTagPage::parse(reply.body);
    if (!page) return page.status().withContext(context);
    for (HubTag& t : page->tags) out.push_back(std::move(t));
    if (page->next.empty()) break;
    auto next = hubEndpoint_.targetOf(page->next);
    if (!next) return next.status().withContext(context);
    target = *next;
  }
  return out;
}

Result<std::vector<registry::TagInfo>> DockerHubSource::listTags(
    const std::function<bool(const std::string&)>& wanted) {
  auto hub = listHubTags();
  if (!hub) {
    if (hub.status().code() == StatusCode::kCancelled) return hub.status();
    fellBack_ = true;
    notes_.push_back("the Docker Hub tags API failed (" + hub.status().message() +
                     "); tags ordered by image config `created` (as for custom sources) this run");
    return fallback_.listTags(wanted);
  }
  std::vector<registry::TagInfo> out;
  std::set<std::string> seen;
  for (HubTag& t : *hub) {
    if (wanted && !wanted(t.name)) continue;
    if (!seen.insert(t.name).second) continue;  // a tag moving between pages
    registry::TagInfo info;
    info.tag = std::move(t.name);
    info.pushedAtMs = t.pushedAtMs;
    info.timestampSource = std::move(t.timestampSource);
    // The digest is left to the registry HEAD (free on Hub): it is authoritative.
    if (!t.platforms.empty()) info.platforms = std::move(t.platforms);
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace tributary::dockerhub
