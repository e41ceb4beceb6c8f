// Source type `gcr`: Google Container Registry hosts (gcr.io, us/eu/asia.gcr.io) and Artifact
// Registry (<location>-docker.pkg.dev). Tags and "newest" both come from the registry's own
// tags/list, whose Google extension carries a `manifest` map with timeUploadedMs per digest
// (GcrTagList); Link paging is followed when a host pages. Each tag's digest comes from that
// map, so tags sharing a digest cost one HEAD-free resolution and one manifest GET between them.
// Credentials (`_json_key` + the service-account JSON, or `_token` + an access token) go only
// to the token realm on the registry's own origin (pinned by the factory).
//
// Degrade, don't die: a failed tags/list request, or one without the `manifest` map, falls
// back to `fallback` (image config `created` order) and notes() says so.
//
// Thread rules: listTags from one thread at a time.
#pragma once

#include "tributary/gcr/GcrTagList.h"
#include "tributary/registry/RegistryClient.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::gcr {

class GcrSource final : public registry::SourceAdapter {
 public:
  static constexpr int kMaxPages = 1000;

  GcrSource(registry::RegistryClient& client, std::string repository,
            registry::SourceAdapter& fallback)
      : client_(client), repository_(std::move(repository)), fallback_(fallback) {}

  const std::string& repository() const override { return repository_; }
  Result<std::vector<registry::TagInfo>> listTags(
      const std::function<bool(const std::string&)>& wanted) override;
  std::vector<std::string> notes() const override { return notes_; }
  registry::TimestampKind timestampKind() const override {
    return fellBack_ ? registry::TimestampKind::kCreated : registry::TimestampKind::kUploaded;
  }

  /// Every page of tags/list, merged.
  Result<GcrTagList> listAll();

  /// "us-docker.pkg.dev/proj/repo/img" -> {"us-docker.pkg.dev", "proj/repo/img"} when the
  /// first component is a Google registry host; else {"", repository}.
  static std::pair<std::string, std::string> splitHost(const std::string& repository);
  static bool isGoogleHost(const std::string& host);

 private:
  registry::RegistryClient& client_;
  const std::string repository_;
  registry::SourceAdapter& fallback_;
  std::vector<std::string> notes_;
  bool fellBack_ = false;
};

}  // namespace tributary::gcr
