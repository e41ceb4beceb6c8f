#include "tributary/custom/CustomSource.h"

#include <cstdlib>
#include <map>
#include <memory>

#include "tributary/custom/ImageCreatedResolver.h"
#include "tributary/BoundedParallel.h"
#include "tributary/WorkerPool.h"

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

// Phase 1 for one tag: HEAD, or GET when the HEAD carries no digest. With `knownDigest` (what
// the tag named at the last listing) the HEAD is conditional: a 304 says it names it still.
TagHead headTag(registry::RegistryReader& reader, const std::string& repository,
                const std::string& tag, const std::string& knownDigest = {}) {
  TagHead h;
  auto head = knownDigest.empty() ? reader.headManifest(repository, tag)
                                  : reader.headManifestIfChanged(repository, tag, knownDigest);
  if (!head) {
    if (head.status().code() == StatusCode::kNotFound) h.gone = true;
    else h.status = head.status().withContext("HEAD " + repository + ":" + tag);
    return h;
  }
  h.digest = head->digest;
  if (h.digest.empty()) {  // HEAD without Docker-Content-Digest: GET tells us
    auto m = reader.getManifest(repository, tag);
    if (!m) {
      h.status = m.status();
      return h;
    }
    h.digest = m->digest;
    h.manifest = std::move(*m);
  }
  return h;
}

}  // namespace

CustomSource::CustomSource(registry::RegistryReader& reader, std::string repository,
                           JsonFileCache& createdCache, int concurrency,
                           ListingMemory memory)
    : reader_(reader),
      repository_(std::move(repository)),
      cache_(createdCache),
      concurrency_(concurrency),
      memory_(std::move(memory)) {}

Result<std::vector<registry::TagInfo>> CustomSource::listTags(
    const std::function<bool(const std::string&)>& wanted) {
  // Phase 0: the tags the last listing found are HEADed while tags/list is in flight (the
  // calling thread lists, up to concurrency - 1 workers HEAD), so an unchanged source costs
  // one round trip, not two. Not on a serial configuration (one request at a time), and
  // nothing is remembered where the source answered 401: every speculative request would draw
  // its own challenge and token request.
  const std::vector<TagListMemory::Tag> remembered =
      memory_.memory && concurrency_ > 1 ? memory_.memory->recall(memory_.key)
                                         : std::vector<TagListMemory::Tag>{};
  std::vector<TagHead> early(remembered.size());
  std::unique_ptr<WorkerPool> earlyHeads;
  if (!remembered.empty()) {
    earlyHeads = std::make_unique<WorkerPool>(remembered.size(), concurrency_ - 1, [&](size_t i) {
      early[i] = headTag(reader_, repository_, remembered[i].name, remembered[i].digest);
      return Status();
    });
  }
  // Filtered page by page: a source listing millions of tags costs memory only for those the
  // rule wants.
  auto listed = reader_.listTagsMatching(repository_, wanted);
  if (earlyHeads) (void)earlyHeads->wait();  // joined before `early` goes, whatever happened
  if (!listed.isOk()) return listed.status();
  std::vector<std::string> tags = std::move(*listed);

  // Phase 1: what each tag points at (the rest of them). A tag that fails does not stop the
  // others: one broken tag at the source must not keep every other tag from syncing.
  std::vector<TagHead> heads(tags.size());
  std::vector<size_t> pending;
  {
    std::map<std::string, size_t> earlyOf;
    for (size_t i = 0; i < remembered.size(); ++i) earlyOf.emplace(remembered[i].name, i);
    for (size_t i = 0; i < tags.size(); ++i) {
      auto it = earlyOf.find(tags[i]);
      if (it != earlyOf.end()) heads[i] = std::move(early[it->second]);
      else pending.push_back(i);
    }
  }
  BoundedParallel::run(pending.size(), concurrency_, [&](size_t k) {
    heads[pending[k]] = headTag(reader_, repository_, tags[pending[k]]);
    return true;
  });
  if (memory_.memory) {
    if (memory_.challenged && memory_.challenged()) {
      memory_.memory->forget(memory_.key);
    } else {
      std::vector<TagListMemory::Tag> present;
      for (size_t i = 0; i < tags.size(); ++i)
        if (!heads[i].gone)
          present.push_back({tags[i], heads[i].status.isOk() ? heads[i].digest : std::string()});
      memory_.memory->remember(memory_.key, std::move(present));
    }
  }

  // Phase 2: one created-time lookup per distinct digest of the tags phase 1 resolved, in
  // first-use order.
  std::vector<CreatedLookup> lookups;
  std::map<std::string, size_t> lookupOf;  // digest -> index into lookups
  for (size_t i = 0; i < tags.size(); ++i) {
    if (heads[i].gone || !heads[i].status.isOk()) continue;
    if (lookupOf.emplace(heads[i].digest, lookups.size()).second) {
      lookups.emplace_back();
      lookups.back().firstTag = i;
    }
  }
  // Cached times first, on this thread: an unchanged source is all cache hits, which are
  // not worth a thread start each.
  std::vector<size_t> misses;
  for (size_t k = 0; k < lookups.size(); ++k) {
    CreatedLookup& l = lookups[k];
    if (auto cached = cache_.get(heads[l.firstTag].digest)) {
      l.fromCache = true;
      l.createdMs = decodeCached(*cached);
    } else {
      misses.push_back(k);
    }
  }
  ImageCreatedResolver resolver(reader_);
  BoundedParallel::run(misses.size(), concurrency_, [&](size_t m) {
    CreatedLookup& l = lookups[misses[m]];
    TagHead& h = heads[l.firstTag];
    if (!h.manifest) {
      auto m = reader_.getManifest(repository_, h.digest);
      if (!m) {
        l.status = m.status();
        return true;
      }
      h.manifest = std::move(*m);
    }
    auto created = resolver.createdMs(repository_, *h.manifest);
    if (!created) {
      l.status = created.status();
      return true;
    }
    l.createdMs = *created;
    cache_.put(h.digest, l.createdMs ? std::to_string(*l.createdMs) : kNoTime);
    return true;
  });

  // In tag order. A tag whose digest or time could not be read is listed with its error (every
  // tag of a failed digest carries it), so selection can report it and go on with the others.
  // Only when every wanted tag failed is the listing itself an error (the first one in tag
  // order): then the source is most likely unreachable and the run should fail as a whole.
  std::vector<registry::TagInfo> out;
  Status firstError;
  bool anyOk = false;
  for (size_t i = 0; i < tags.size(); ++i) {
    const TagHead& h = heads[i];
    if (h.gone) continue;
    registry::TagInfo info;
    info.tag = tags[i];
    info.digest = h.digest;
    if (!h.status.isOk()) {
      info.error = h.status;
    } else {
      const CreatedLookup& l = lookups[lookupOf.at(h.digest)];
      if (!l.status.isOk()) {
        info.error = l.status;
      } else {
        info.pushedAtMs = l.createdMs;
        info.timestampSource =
            !l.fromCache && l.firstTag == i ? kTimestampSource : kCachedTimestampSource;
      }
    }
    if (info.error.isOk()) anyOk = true;
    else if (firstError.isOk()) firstError = info.error;
    out.push_back(std::move(info));
  }
  (void)cache_.flush();  // best effort: a cache that cannot be written just stays cold
  if (!anyOk && !firstError.isOk()) return firstError;
  return out;
}

}  // namespace tributary::custom
