// Source type `custom`: any Docker-v2 / OCI registry (domain + repository). Tags come from
// tags/list; "pushed" time is the image config's `created` (newest child for an index),
// cached by manifest digest so a tag whose digest did not change costs one HEAD and no GET.
// With a TagListMemory, the tags the rule's last listing found are HEADed while tags/list is
// in flight (one round trip for an unchanged source instead of two); the others after it.
// The per-tag HEADs, then the lookups of uncached digests (one per distinct digest), run on up
// to `concurrency` threads; the result (order, times, timestamp sources) is the same as a
// serial walk over the tags would give. A tag whose HEAD (other than 404, which drops it) or
// time lookup fails is listed with TagInfo::error set; the listing fails only when tags/list
// fails or every wanted tag failed (then with the first error in tag order).
//
// Thread rules: listTags from one thread at a time (it starts and joins its own workers); the
// reader and cache it shares must allow concurrent calls.
#pragma once

#include <functional>
#include <string>

#include "tributary/JsonFileCache.h"
#include "tributary/custom/TagListMemory.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::custom {

/// Where a listing remembers its tags for the next one (TagListMemory), under which key (the
/// source, repository and tag pattern), and whether the source challenged any request of this
/// run (then nothing is remembered). No memory: every listing lists, then HEADs.
struct ListingMemory {
  TagListMemory* memory = nullptr;
  std::string key;
  std::function<bool()> challenged;
};

class CustomSource final : public registry::SourceAdapter {
 public:
  /// `reader` does the requests (normally a caching reader over the source's client);
  /// `createdCache` maps a manifest digest to its created time. Both are borrowed and must
  /// outlive this object. `concurrency`: requests in flight while listing (1 = one after the
  /// other on the calling thread).
  CustomSource(registry::RegistryReader& reader, std::string repository,
               JsonFileCache& createdCache, int concurrency = 1, ListingMemory memory = {});

  registry::TimestampKind timestampKind() const override {
    return registry::TimestampKind::kCreated;
  }
  const std::string& repository() const override { return repository_; }
  Result<std::vector<registry::TagInfo>> listTags(
      const std::function<bool(const std::string&)>& wanted) override;

  static constexpr const char* kTimestampSource = "config.created";
  static constexpr const char* kCachedTimestampSource = "config.created (cached)";

 private:
  registry::RegistryReader& reader_;
  std::string repository_;
  JsonFileCache& cache_;
  int concurrency_;
  ListingMemory memory_;
};

}  // namespace tributary::custom
