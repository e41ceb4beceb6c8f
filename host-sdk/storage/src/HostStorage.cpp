#include "tributary/storage/HostStorage.h"

#include "tributary/storage/StorageTable.h"

namespace tributary::storage {

std::string_view publishModeName(PublishMode mode) {
  switch (mode) {
    case PublishMode::kStorage: return "storage";
    case PublishMode::kRegistryApi: return "registry_api";
  }
  return "storage";
}

std::optional<PublishMode> parsePublishMode(std::string_view name) {
  if (name == "storage") return PublishMode::kStorage;
  if (name == "registry_api") return PublishMode::kRegistryApi;
  return std::nullopt;
}

HostStorage::HostStorage(PublishMode mode, std::unique_ptr<DistributionStorage> distribution,
                         std::unique_ptr<s3::DistributionS3Storage> s3)
    : mode_(mode), distribution_(std::move(distribution)), s3_(std::move(s3)) {
  distributionTable_ = makeStorageTable(backend());
}

StorageBackend& HostStorage::backend() {
  if (distribution_) return *distribution_;
  return *s3_;
}

StorageReader& HostStorage::reader() {
  if (distribution_) return *distribution_;
  return *s3_;
}

Result<std::unique_ptr<HostStorage>> HostStorage::open(HostStorageOptions options) {
  std::unique_ptr<DistributionStorage> distribution;
  std::unique_ptr<s3::DistributionS3Storage> bucket;
  if (options.s3) {
    TRIB_ASSIGN_OR_RETURN(bucket, s3::DistributionS3Storage::open(std::move(*options.s3)));
  } else {
    TRIB_ASSIGN_OR_RETURN(distribution,
                          DistributionStorage::open(options.rootDirectory, options.distribution));
  }
  std::unique_ptr<HostStorage> host(
      new HostStorage(options.mode, std::move(distribution), std::move(bucket)));
  if (options.mode == PublishMode::kRegistryApi) {
    TRIB_ASSIGN_OR_RETURN(host->publisher_,
                          RegistryApiPublisher::open(std::move(options.registryApi)));
    // Blobs into the registry's storage (filesystem or bucket), manifests and tags through
    // its API: the same composition whatever the driver.
    host->apiTable_ = std::make_unique<RegistryApiStorageTable>(host->backend(), *host->publisher_);
  }
  return host;
}

const rp_storage_v1* HostStorage::table() const {
  return apiTable_ ? apiTable_->table() : &distributionTable_;
}

std::string HostStorage::describe() const {
  if (publisher_)
    return "registry_api (blobs into " + (distribution_ ? "storage" : s3_->describe()) +
           ", manifests and tags through " + publisher_->url() + ")";
  return "storage (blobs, manifests and tags into " +
         (distribution_ ? distribution_->v2Root() : s3_->describe()) + ")";
}

}  // namespace tributary::storage
