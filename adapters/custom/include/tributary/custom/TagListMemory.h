// What the last listing of a custom source found for a rule: its wanted tags and the digest
// each named, by source, repository and tag pattern. The next listing HEADs those tags while
// tags/list is still in flight (CustomSource), so a run in which nothing changed costs the
// source one round trip instead of two (the list, then the HEADs after it). On a remote
// registry that round trip is most of a no-op run's time. Each HEAD carries the remembered
// digest as If-None-Match, so an unchanged tag costs the source its tag lookup only (a 304
// instead of a manifest read).
//
// Memory only, for the provider's lifetime: a long-running host's scheduled runs use it; a
// one-shot `tributary sync` or a restarted host pays the two round trips once. A wrong memory
// costs requests, never correctness: a remembered tag that is gone gets one HEAD (404) and is
// forgotten; a new tag is HEADed after the list as before; a tag that moved answers 200 with
// its new digest, as a plain HEAD would.
//
// Bounded: at most kMaxTagsPerKey tags per key (the first ones of the listing) and kMaxKeys
// keys (the one remembered longest ago goes first): a few MiB at most.
//
// Thread rules: every method may be called from any thread (one internal lock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tributary/Mutex.h"

namespace tributary::custom {

class TagListMemory {
 public:
  static constexpr size_t kMaxKeys = 1024;
  static constexpr size_t kMaxTagsPerKey = 256;

  struct Tag {
    std::string name;
    std::string digest;  // what it named at the last listing; "" when that HEAD failed
  };

  /// The tags remembered for `key`, in listing order; empty when none.
  std::vector<Tag> recall(const std::string& key) const EXCLUDES(mutex_);
  /// Replaces what `key` remembers (an empty list forgets it).
  void remember(const std::string& key, std::vector<Tag> tags) EXCLUDES(mutex_);
  void forget(const std::string& key) EXCLUDES(mutex_);
  size_t keys() const EXCLUDES(mutex_);

 private:
  struct Entry {
    std::vector<Tag> tags;
    uint64_t age = 0;  // key into byAge_
  };
  void forgetLocked(const std::string& key) REQUIRES(mutex_);

  mutable Mutex mutex_;
  std::map<std::string, Entry> entries_ GUARDED_BY(mutex_);
  std::map<uint64_t, std::string> byAge_ GUARDED_BY(mutex_);  // oldest first
  uint64_t nextAge_ GUARDED_BY(mutex_) = 0;
};

}  // namespace tributary::custom
