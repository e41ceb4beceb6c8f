// Source type `custom`: any Docker-v2 / OCI registry (domain + repository). Tags come from
// tags/list; "pushed" time is the image config's `created` (newest child for an index),
// cached by manifest digest so a tag whose digest did not change costs one HEAD and no GET.
//
// Thread rules: listTags from one thread at a time; the cache it shares is thread-safe.
#pragma once

#include <string>

#include "tributary/registry/JsonFileCache.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::custom {

class CustomSource final : public registry::SourceAdapter {
 public:
  /// `client` serves registry() (may be null in tests that never call it); `reader` does the
  /// requests (normally a registry::ClientRegistryReader over `client`); `createdCache` maps a manifest
  /// digest to its created time. All are borrowed and must outlive this object.
  CustomSource(registry::RegistryClient* client, registry::RegistryReader& reader, std::string repository,
               registry::JsonFileCache& createdCache);

  registry::RegistryClient& registry() override;
  const std::string& repository() const override { return repository_; }
  Result<std::vector<registry::TagInfo>> listTags(
      const std::function<bool(const std::string&)>& wanted) override;

  static constexpr const char* kTimestampSource = "config.created";
  static constexpr const char* kCachedTimestampSource = "config.created (cached)";

 private:
  registry::RegistryClient* client_;
  registry::RegistryReader& reader_;
  std::string repository_;
  registry::JsonFileCache& cache_;
};

}  // namespace tributary::custom
