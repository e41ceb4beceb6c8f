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
#include "tributary/storage/StorageBackend.h"
#include "tributary/storage/StorageReader.h"
#include "tributary/storage/s3/DistributionS3Storage.h"

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
  // storage.s3: the bucket instead of the filesystem (its readOnly for a dry run).
  std::optional<s3::DistributionS3StorageOptions> s3;
  PublishMode mode = PublishMode::kStorage;
  RegistryApiOptions registryApi;  // used with kRegistryApi
};

/// One factory for every host command (`tributary sync`, `tributary serve`): opens the
/// registry's storage (its filesystem root, or its S3 bucket) and, in registry_api mode, the
/// publisher beside it, and owns the rp_storage_v1 table over them (one table builder,
/// StorageTable.h). The blob side is the same in both modes.
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
  /// True for storage.filesystem (distribution() exists), false for storage.s3 (s3() exists).
  bool isFilesystem() const { return distribution_ != nullptr; }
  DistributionStorage& distribution() { return *distribution_; }
  s3::DistributionS3Storage* s3() { return s3_.get(); }
  /// The store blobs go to, whatever the driver.
  StorageBackend& backend();
  /// Reads the registry's storage itself (its filesystem root or its bucket) in either mode:
  /// in registry_api mode the registry writes manifests and tags there too.
  StorageReader& reader();
  /// One line for plan/report headers and logs, e.g. "registry_api (blobs into storage,
  /// manifests and tags through http://127.0.0.1:5000)".
  std::string describe() const;

 private:
  HostStorage(PublishMode mode, std::unique_ptr<DistributionStorage> distribution,
              std::unique_ptr<s3::DistributionS3Storage> s3);

  const PublishMode mode_;
  std::unique_ptr<DistributionStorage> distribution_;  // storage.filesystem
  std::unique_ptr<s3::DistributionS3Storage> s3_;       // storage.s3
  rp_storage_v1 distributionTable_;
  std::unique_ptr<RegistryApiPublisher> publisher_;      // registry_api only
  std::unique_ptr<RegistryApiStorageTable> apiTable_;    // registry_api only
};

}  // namespace tributary::storage
