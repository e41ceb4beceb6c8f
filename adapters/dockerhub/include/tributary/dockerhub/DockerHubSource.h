// Source type `dockerhub`: manifests and blobs from the registry (registry-1.docker.io, token
// service auth.docker.io), "newest" from the Hub tags API (hub.docker.com,
// /v2/namespaces/{ns}/repositories/{repo}/tags?page_size=100, following `next` on the same
// origin) by tag_last_pushed, falling back to last_updated. With a credential the Hub API is
// logged into first (POST /v2/auth/token {"identifier","secret"} -> access_token); the token
// goes only to the Hub API origin.
//
// Degrade, don't die: when the Hub API fails (after the client's retries) the listing comes
// from `fallback` (the custom adapter: tags/list + image config `created`) and notes() says so.
// The pull budget travels with the source: deferFetch() asks it for each tag's manifest GETs
// (the resolver defers what the quota cannot cover), budget() reports it.
//
// Thread rules: listTags from one thread at a time; deferFetch() and budget() are
// thread-safe.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tributary/dockerhub/DockerHubPullBudget.h"
#include "tributary/dockerhub/HubTagPage.h"
#include "tributary/registry/RegistryClient.h"
#include "tributary/registry/SourceAdapter.h"
#include "tributary/registry/VendorEndpoint.h"

namespace tributary::dockerhub {

class DockerHubSource final : public registry::SourceAdapter {
 public:
  static constexpr int kPageSize = 100;
  static constexpr int kMaxPages = 1000;

  /// Everything borrowed must outlive this object. `hubApi` talks to `hubEndpoint`'s host
  /// without registry auth; `hubUsername`/`hubSecret` (both or neither) log into the Hub API.
  DockerHubSource(registry::RegistryClient& hubApi,
                  registry::VendorEndpoint hubEndpoint, std::string repository,
                  DockerHubPullBudget& budget, registry::SourceAdapter& fallback,
                  std::string hubUsername = "", std::string hubSecret = "",
                  std::function<void(const std::string&)> onIssuedToken = {});

  const std::string& repository() const override { return repository_; }
  Result<std::vector<registry::TagInfo>> listTags(
      const std::function<bool(const std::string&)>& wanted) override;
  std::optional<registry::FetchDeferral> deferFetch(const registry::TagInfo& tag,
                                                    const registry::FetchAsk& ask) override {
    (void)tag;
    return budget_.ask(ask);
  }
  /// Always a value: Docker Hub budgets every source (known = false until the registry
  /// announces a limit), so tags are admitted one at a time, newest first.
  std::optional<registry::PullBudget> budget() const override { return budget_.state(); }
  std::vector<std::string> notes() const override { return notes_; }
  registry::TimestampKind timestampKind() const override {
    return fellBack_ ? registry::TimestampKind::kCreated : registry::TimestampKind::kPushed;
  }

  /// Every tag the Hub API lists (all pages), in API order.
  Result<std::vector<HubTag>> listHubTags();

 private:
  Result<std::string> login();

  registry::RegistryClient& hubApi_;
  const registry::VendorEndpoint hubEndpoint_;
  const std::string repository_;
  DockerHubPullBudget& budget_;
  registry::SourceAdapter& fallback_;
  const std::string hubUsername_;
  const std::string hubSecret_;
  const std::function<void(const std::string&)> onIssuedToken_;  // sees each Hub API token
  std::vector<std::string> notes_;
  bool fellBack_ = false;
};

}  // namespace tributary::dockerhub
