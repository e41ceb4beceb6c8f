// Source type `quay`: manifests and blobs from quay.io's registry (token from /v2/auth, which
// answers only {"token"}: the client treats it as 60 s and re-authenticates on any 401),
// "newest" from the REST API (GET /api/v1/repository/{ns}/{repo}/tag/?onlyActiveTags=true
// &limit=100&page=N, following has_additional) by start_ts. An optional OAuth token (the
// secret's `token`) is sent only to the REST API, for private repositories.
//
// Degrade, don't die: a failing REST API falls back to `fallback` (image config `created`
// order) and notes() says so.
//
// Thread rules: listTags from one thread at a time.
#pragma once

#include "tributary/quay/QuayTagPage.h"
#include "tributary/registry/RegistryClient.h"
#include "tributary/registry/SourceAdapter.h"
#include "tributary/registry/VendorEndpoint.h"

namespace tributary::quay {

class QuaySource final : public registry::SourceAdapter {
 public:
  static constexpr int kPageSize = 100;  // Quay's maximum
  static constexpr int kMaxPages = 1000;

  QuaySource(registry::RegistryClient& api, registry::VendorEndpoint apiEndpoint,
             std::string repository, registry::SourceAdapter& fallback,
             std::string oauthToken = "")
      : api_(api), apiEndpoint_(std::move(apiEndpoint)),
        repository_(std::move(repository)), fallback_(fallback),
        oauthToken_(std::move(oauthToken)) {}

  const std::string& repository() const override { return repository_; }
  Result<std::vector<registry::TagInfo>> listTags(
      const std::function<bool(const std::string&)>& wanted) override;
  std::vector<std::string> notes() const override { return notes_; }
  registry::TimestampKind timestampKind() const override {
    return fellBack_ ? registry::TimestampKind::kCreated : registry::TimestampKind::kPushed;
  }

  /// Every active tag the REST API lists (all pages), newest first as Quay orders them.
  Result<std::vector<QuayTag>> listQuayTags();

 private:
  registry::RegistryClient& api_;
  const registry::VendorEndpoint apiEndpoint_;
  const std::string repository_;
  registry::SourceAdapter& fallback_;
  const std::string oauthToken_;
  std::vector<std::string> notes_;
  bool fellBack_ = false;
};

}  // namespace tributary::quay
