// The storage table a host hands to providers, in the configured publishing mode.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rp/replication_provider.h"
#include "tributary/Status.h"
#include "tributary/storage/DistributionStorage.h"
#include "tributary/storage/RegistryApiPublisher.h"
#include "tributary/storage/RegistryApiStorageTable.h"

namespace tributary::storage {

/// How manifests and tags become visible (the sidecar's `replication.publish`).
enum class PublishMode {
  kStorage,      // "storage": everything written into storage (a stock Distribution needs no more)
  kRegistryApi,  // "registry_api": blobs into storage, manifests and tags PUT through the API
};

/// "storage" / "registry_api".
std::string_view publishModeName(PublishMode mode);
/// Parses a publishModeName(); nullopt for anything else.
std::optional<PublishMode> parsePublishMode(std::string_view name);

struct HostStorageOptions {
  std::string rootDirectory;  // storage.filesystem.rootdirectory
  DistributionStorageOptions distribution;  // readOnly for a dry run
  PublishMode mode = PublishMode::kStorage;
  RegistryApiOptions registryApi;  // used with kRegistryApi
};

/// One factory for every host command (`tributary sync`, `tributary serve`): opens the
/// registry's filesystem storage and, in registry_api mode, the publisher beside it, and owns
/// the rp_storage_v1 table over them. The blob side is the same in both modes.
///
/// Not copyable or movable (the table points into it). Threads: table() functions as the
/// storage they reach (any thread).
class HostStorage {
 public:
  static Result<std::unique_ptr<HostStorage>> open(HostStorageOptions options);
  HostStorage(const HostStorage&) = delete;
  HostStorage& operator=(const HostStorage&) = delete;

  const rp_storage_v1* table() const;
  PublishMode mode() const { return mode_; }
  DistributionStorage& distribution() { return *distribution_; }
  /// One line for plan/report headers and logs, e.g. "registry_api (blobs into storage,
  /// manifests and tags through http://127.0.0.1:5000)".
  std::string describe() const;

 private:
  HostStorage(PublishMode mode, std::unique_ptr<DistributionStorage> distribution);

  const PublishMode mode_;
  std::unique_ptr<DistributionStorage> distribution_;
  rp_storage_v1 distributionTable_;
  std::unique_ptr<RegistryApiPublisher> publisher_;      // registry_api only
  std::unique_ptr<RegistryApiStorageTable> apiTable_;    // registry_api only
};

}  // namespace tributary::storage
