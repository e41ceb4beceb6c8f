// Publishing manifests and tags through the host registry's own HTTP API (`publish:
// registry_api`), for hosts that learn about images only from pushes they serve: Harbor v2
// records an artifact only on a manifest PUT through its /v2/, and Distribution emits
// notifications only for requests it served (registry-facts.md §F).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tributary/Status.h"
#include "tributary/storage/StorageBackend.h"

namespace tributary::registry {
class RegistryClient;
}

namespace tributary::storage {

/// Where and as whom manifests are pushed (replication.registry_api in the sidecar config).
struct RegistryApiOptions {
  std::string url;       // "https://harbor.example.org" or "http://127.0.0.1:5000"; no path
  std::string username;  // push credential (Basic, or Basic on the token realm); "" = anonymous
  std::string password;
  std::string caFile;    // extra PEM CA bundle for an https url; "" = system CAs only
  std::chrono::milliseconds timeout{30000};  // per socket operation
};

/// The manifest and tag half of a storage table, over HTTP. Blobs never go through here: the
/// caller writes them (and their `_layers` links) into the registry's storage first, so the
/// registry accepts each manifest PUT because every blob it references is already linked in
/// the repository (Distribution stats them on PUT; 2.8 caches only positive blob lookups, so
/// blobs that appeared behind a running registry's back are found). No blob upload is ever
/// started: a registry that answers MANIFEST_BLOB_UNKNOWN is reported, not fed.
///
/// - putManifest: PUT /v2/<repo>/manifests/<digest> with the manifest's own media type.
/// - setTag: PUT the same bytes by tag, the commit point — a refused PUT leaves the tag on its
///   previous manifest. Bytes come from putManifest (kept for the last few manifests) or, for a
///   revision pushed earlier, from a GET by digest.
/// - manifestExists / getTag: HEAD by digest / GET by tag, so decisions follow what the
///   registry (Harbor's database, not storage) knows.
/// Errors keep the registry's error codes and messages ("HTTP 400 Bad Request
/// (MANIFEST_BLOB_UNKNOWN: blob unknown to registry)"). Every call is idempotent.
///
/// Threads: every method may be called from any thread concurrently (RegistryClient is
/// thread-safe; the manifest cache is guarded by cacheMutex_).
class RegistryApiPublisher final : public ManifestPublisher {
 public:
  /// Manifests kept in memory between putManifest and setTag, by total size.
  static constexpr size_t kCacheBytes = 16u << 20;

  /// Checks the url (http or https, host[:port], no path, query or user info) and prepares the
  /// client; nothing is sent yet.
  static Result<std::unique_ptr<RegistryApiPublisher>> open(RegistryApiOptions options);
  ~RegistryApiPublisher() override;
  RegistryApiPublisher(const RegistryApiPublisher&) = delete;
  RegistryApiPublisher& operator=(const RegistryApiPublisher&) = delete;

  /// The url manifests go to, as configured (for the plan header and logs).
  const std::string& url() const { return url_; }

  /// Verifies `bytes` against `digest` (kDataLoss, nothing sent, on mismatch), then PUTs them by
  /// digest.
  Status putManifest(std::string_view repository, std::string_view digest,
                     std::string_view bytes) override;
  /// OK when the registry serves `digest` in `repository`, kNotFound when it does not.
  Status manifestExists(std::string_view repository, std::string_view digest) override;
  /// The digest the registry serves for `tag`, or kNotFound.
  Result<std::string> getTag(std::string_view repository, std::string_view tag) override;
  /// PUTs the manifest `digest` by `tag`. kFailedPrecondition when the registry does not have
  /// that manifest (put it first).
  Status setTag(std::string_view repository, std::string_view tag,
                std::string_view digest) override;

  /// The Content-Type a manifest is pushed with: its `mediaType`, else what its shape says
  /// (OCI index with `manifests`, schema1 with schemaVersion 1, else OCI image manifest).
  static std::string mediaTypeOf(std::string_view bytes);

 private:
  RegistryApiPublisher(std::string url, std::unique_ptr<registry::RegistryClient> client);

  Status explainRefusal(const Status& status) const;
  void remember(const std::string& digest, std::string_view bytes);
  bool recall(const std::string& digest, std::string& bytes);

  const std::string url_;
  std::unique_ptr<registry::RegistryClient> client_;

  std::mutex cacheMutex_;
  std::list<std::pair<std::string, std::string>> cache_;  // newest first; guarded
  std::unordered_map<std::string, std::list<std::pair<std::string, std::string>>::iterator>
      cacheIndex_;                                         // guarded by cacheMutex_
  size_t cacheBytes_ = 0;                                  // guarded by cacheMutex_
};

}  // namespace tributary::storage
