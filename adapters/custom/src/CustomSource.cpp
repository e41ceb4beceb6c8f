#include "tributary/custom/CustomSource.h"

#include <cstdlib>

#include "tributary/custom/ImageCreatedResolver.h"

namespace tributary::custom {
namespace {

// Cache values: decimal ms, or "-" for "this digest has no usable created time" (so that is
// not looked up again either).
constexpr const char* kNoTime = "-";

std::optional<int64_t> decodeCached(const std::string& value) {
  if (value == kNoTime || value.empty()) return std::nullopt;
  char* end = nullptr;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace

CustomSource::CustomSource(registry::RegistryClient* client, registry::RegistryReader& reader,
                           std::string repository, registry::JsonFileCache& createdCache)
    : client_(client), reader_(reader), repository_(std::move(repository)), cache_(createdCache) {}

registry::RegistryClient& CustomSource::registry() {
  if (client_ == nullptr) std::abort();  // only tests construct without a client
  return *client_;
}

Result<std::vector<registry::TagInfo>> CustomSource::listTags(
    const std::function<bool(const std::string&)>& wanted) {
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string> tags, reader_.listTags(repository_));
  ImageCreatedResolver resolver(reader_);
  std::vector<registry::TagInfo> out;
  for (const std::string& tag : tags) {
    if (wanted && !wanted(tag)) continue;
    registry::TagInfo info;
    info.tag = tag;
    auto head = reader_.headManifest(repository_, tag);
    if (!head) {
      if (head.status().code() == StatusCode::kNotFound) continue;  // deleted since listing
      return head.status().withContext("HEAD " + repository_ + ":" + tag);
    }
    info.digest = head->digest;
    std::optional<registry::Manifest> manifest;
    if (info.digest.empty()) {  // HEAD without Docker-Content-Digest: GET tells us
      TRIB_ASSIGN_OR_RETURN(registry::Manifest m, reader_.getManifest(repository_, tag));
      info.digest = m.digest;
      manifest = std::move(m);
    }
    if (auto cached = cache_.get(info.digest)) {
      info.pushedAtMs = decodeCached(*cached);
      info.timestampSource = kCachedTimestampSource;
    } else {
      if (!manifest) {
        TRIB_ASSIGN_OR_RETURN(registry::Manifest m, reader_.getManifest(repository_, info.digest));
        manifest = std::move(m);
      }
      TRIB_ASSIGN_OR_RETURN(std::optional<int64_t> created,
                            resolver.createdMs(repository_, *manifest));
      info.pushedAtMs = created;
      info.timestampSource = kTimestampSource;
      cache_.put(info.digest, created ? std::to_string(*created) : kNoTime);
    }
    out.push_back(std::move(info));
  }
  (void)cache_.flush();  // best effort: a cache that cannot be written just stays cold
  return out;
}

}  // namespace tributary::custom
