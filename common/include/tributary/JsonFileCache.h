// A small string -> string map kept in memory and, when a file path is given, in a JSON file
// so a later process starts warm. Keys are content addresses (digests), so entries never go
// stale and no eviction is needed beyond a size cap.
//
// Thread rules: every method may be called from several threads at once (one mutex).
// Several processes sharing a file: each flush rewrites the file atomically (temp + fsync +
// rename) with its merged view; the last writer wins, which only loses cache entries.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "tributary/Mutex.h"
#include "tributary/Status.h"

namespace tributary {

class JsonFileCache {
 public:
  /// `path` empty = memory only. The file is read here; a missing or unreadable file is an
  /// empty cache (the cache is an optimisation, never a reason to fail).
  /// `readOnly`: the file is read but flush() never writes it (a dry run's caches).
  explicit JsonFileCache(std::string path, size_t maxEntries = 100000, bool readOnly = false);

  std::optional<std::string> get(const std::string& key) const;
  void put(const std::string& key, const std::string& value);
  size_t size() const;

  /// Writes the file when something changed since the last flush. Errors are returned for
  /// logging; callers carry on.
  Status flush();

  const std::string& path() const { return path_; }

 private:
  void load() REQUIRES(mutex_);

  const std::string path_;
  const size_t maxEntries_;
  const bool readOnly_;
  mutable Mutex mutex_;
  std::map<std::string, std::string> entries_ GUARDED_BY(mutex_);
  bool dirty_ GUARDED_BY(mutex_) = false;
};

}  // namespace tributary
