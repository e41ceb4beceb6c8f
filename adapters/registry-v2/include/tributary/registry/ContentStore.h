// The small content-addressed objects of one run (manifests, image configs), kept in memory so
// tag listing, tag resolution and blob transfer fetch each of them from the source at most
// once: without it a cold multi-arch sync GETs every manifest and config twice.
//
// Only bytes that hash to their digest are kept, so an entry can stand in for a fetch from any
// endpoint. Bounded: objects over a per-kind size limit are never kept, and once the total
// budget is used up new objects are handed through without being kept (the store is an
// optimisation; a miss only costs the request it saves). Keys are digests, so entries never go
// stale within a run; the store lives as long as one plan/execute.
//
// Thread rules: every method may be called from several threads at once. getOrFetch is
// single-flight: while one thread fetches a digest, other callers for it wait for that result
// instead of fetching it again.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "tributary/Status.h"

namespace tributary::registry {

class ContentStore {
 public:
  /// Manifests and blobs are separate namespaces: the same digest could in theory name both,
  /// and only a manifest carries a media type.
  enum class Kind { kManifest, kBlob };

  struct Limits {
    size_t maxManifestBytes = 4u << 20;  // RegistryClient refuses larger manifests anyway
    size_t maxBlobBytes = 1u << 20;      // image configs are a few KiB; layers never fit
    size_t maxTotalBytes = 64u << 20;    // budget for everything kept
  };

  struct Entry {
    std::shared_ptr<const std::string> bytes;
    std::string mediaType;  // manifests: as served (parameters stripped); blobs: ""
  };

  struct Stats {
    uint64_t hits = 0;      // answered from memory (including waits on another fetch)
    uint64_t fetches = 0;   // fetch functions run by getOrFetch
    uint64_t entries = 0;
    uint64_t bytes = 0;     // bytes kept
  };

  ContentStore() : ContentStore(Limits()) {}
  explicit ContentStore(Limits limits) : limits_(limits) {}
  ContentStore(const ContentStore&) = delete;
  ContentStore& operator=(const ContentStore&) = delete;

  /// True when an object of `size` bytes of this kind may be kept (size limit only).
  bool fits(Kind kind, uint64_t size) const;

  /// The kept object, or nullopt.
  std::optional<Entry> find(Kind kind, const std::string& digest) const;

  /// Keeps `bytes` under `digest` after checking they hash to it: kDataLoss (nothing kept)
  /// when they do not, kInvalidArgument for a malformed digest. Too large or over budget: OK,
  /// not kept.
  Status put(Kind kind, const std::string& digest, std::string bytes, std::string mediaType = "");

  /// The kept object, else the result of `fetch` (run at most once at a time per digest across
  /// threads), checked against `digest` and kept when it fits. A failed fetch or a digest
  /// mismatch is returned to the fetching caller and to everyone who waited for it; nothing is
  /// kept, so a later call fetches again.
  Result<Entry> getOrFetch(Kind kind, const std::string& digest,
                           const std::function<Result<Entry>()>& fetch);

  Stats stats() const;

  /// kDataLoss unless `bytes` hash to `digest` (sha256 or sha512).
  static Status verify(const std::string& digest, const std::string& bytes);

 private:
  using Key = std::pair<Kind, std::string>;
  struct Flight {
    bool done = false;
    Status status;  // of the fetch; `entry` is valid when OK
    Entry entry;
  };

  // Keeps a verified entry if it fits; mutex_ held.
  void keepLocked(const Key& key, const Entry& entry);
  void finish(const Key& key, const std::shared_ptr<Flight>& flight, Status status, Entry entry);

  const Limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable landed_;                      // a flight finished
  std::map<Key, Entry> entries_;                        // guarded by mutex_
  std::map<Key, std::shared_ptr<Flight>> inFlight_;     // guarded by mutex_
  size_t bytes_ = 0;                                    // guarded by mutex_
  mutable uint64_t hits_ = 0;                           // guarded by mutex_
  uint64_t fetches_ = 0;                                // guarded by mutex_
};

}  // namespace tributary::registry
