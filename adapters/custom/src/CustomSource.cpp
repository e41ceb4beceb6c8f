#include "tributary/custom/CustomSource.h"

#include <cstdlib>
#include <map>

#include "tributary/custom/ImageCreatedResolver.h"
#include "tributary/registry/BoundedParallel.h"

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

// What one tag points at (phase 1).
struct TagHead {
  Status status;
  bool gone = false;  // deleted since listing
  std::string digest;
  std::optional<registry::Manifest> manifest;  // when a GET was needed to learn the digest
};

// The created time of one distinct digest (phase 2), looked up for the first tag using it.
struct CreatedLookup {
  size_t firstTag = 0;
  Status status;
  bool fromCache = false;
  std::optional<int64_t> createdMs;
};

}  // namespace

CustomSource::CustomSource(registry::RegistryClient* client, registry::RegistryReader& reader,
                           std::string repository, registry::JsonFileCache& createdCache,
                           int concurrency)
    : client_(client),
      reader_(reader),
      repository_(std::move(repository)),
      cache_(createdCache),
      concurrency_(concurrency) {}

registry::RegistryClient& CustomSource::registry() {
  if (client_ == nullptr) std::abort();  // only tests construct without a client
  return *client_;
}

Result<std::vector<registry::TagInfo>> CustomSource::listTags(
    const std::function<bool(const std::string&)>& wanted) {
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string> listed, reader_.listTags(repository_));
  std::vector<std::string> tags;
  for (std::string& tag : listed)
    if (!wanted || wanted(tag)) tags.push_back(std::move(tag));

  // Phase 1: what each tag points at. A job that fails stops later ones from starting: a
  // serial walk would have stopped there.
  std::vector<TagHead> heads(tags.size());
  registry::BoundedParallel::run(tags.size(), concurrency_, [&](size_t i) {
    TagHead& h = heads[i];
    auto head = reader_.headManifest(repository_, tags[i]);
    if (!head) {
      if (head.status().code() == StatusCode::kNotFound) {
        h.gone = true;
        return true;
      }
      h.status = head.status().withContext("HEAD " + repository_ + ":" + tags[i]);
      return false;
    }
    h.digest = head->digest;
    if (h.digest.empty()) {  // HEAD without Docker-Content-Digest: GET tells us
      auto m = reader_.getManifest(repository_, tags[i]);
      if (!m) {
        h.status = m.status();
        return false;
      }
      h.digest = m->digest;
      h.manifest = std::move(*m);
    }
    return true;
  });
  size_t firstFailure = tags.size();
  for (size_t i = 0; i < tags.size(); ++i)
    if (!heads[i].status.isOk()) {
      firstFailure = i;
      break;
    }

  // Phase 2: one created-time lookup per distinct digest, for digests a serial walk would have
  // reached (their first tag comes before the first failure), in first-use order.
  std::vector<CreatedLookup> lookups;
  std::map<std::string, size_t> lookupOf;  // digest -> index into lookups
  for (size_t i = 0; i < firstFailure; ++i) {
    if (heads[i].gone) continue;
    if (lookupOf.emplace(heads[i].digest, lookups.size()).second) {
      lookups.emplace_back();
      lookups.back().firstTag = i;
    }
  }
  ImageCreatedResolver resolver(reader_);
  registry::BoundedParallel::run(lookups.size(), concurrency_, [&](size_t k) {
    CreatedLookup& l = lookups[k];
    TagHead& h = heads[l.firstTag];
    if (auto cached = cache_.get(h.digest)) {
      l.fromCache = true;
      l.createdMs = decodeCached(*cached);
      return true;
    }
    if (!h.manifest) {
      auto m = reader_.getManifest(repository_, h.digest);
      if (!m) {
        l.status = m.status();
        return false;
      }
      h.manifest = std::move(*m);
    }
    auto created = resolver.createdMs(repository_, *h.manifest);
    if (!created) {
      l.status = created.status();
      return false;
    }
    l.createdMs = *created;
    cache_.put(h.digest, l.createdMs ? std::to_string(*l.createdMs) : kNoTime);
    return true;
  });

  // In tag order, as a serial walk: the first error met is the one returned; the first tag of
  // a digest looked up now says "config.created", later tags of it read the cache.
  std::vector<registry::TagInfo> out;
  for (size_t i = 0; i < tags.size(); ++i) {
    const TagHead& h = heads[i];
    if (!h.status.isOk()) return h.status;
    if (h.gone) continue;
    const CreatedLookup& l = lookups[lookupOf.at(h.digest)];
    if (l.firstTag == i && !l.status.isOk()) return l.status;
    registry::TagInfo info;
    info.tag = tags[i];
    info.digest = h.digest;
    info.pushedAtMs = l.createdMs;
    info.timestampSource =
        !l.fromCache && l.firstTag == i ? kTimestampSource : kCachedTimestampSource;
    out.push_back(std::move(info));
  }
  (void)cache_.flush();  // best effort: a cache that cannot be written just stays cold
  return out;
}

}  // namespace tributary::custom
