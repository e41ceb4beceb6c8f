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

HostStorage::HostStorage(PublishMode mode, std::unique_ptr<DistributionStorage> distribution)
    : mode_(mode),
      distribution_(std::move(distribution)),
      distributionTable_(makeStorageTable(*distribution_)) {}

Result<std::unique_ptr<HostStorage>> HostStorage::open(HostStorageOptions options) {
  TRIB_ASSIGN_OR_RETURN(auto distribution, DistributionStorage::open(options.rootDirectory, options.distribution));
  std::unique_ptr<HostStorage> host(new HostStorage(options.mode, std::move(distribution)));
  if (options.mode == PublishMode::kRegistryApi) {
    TRIB_ASSIGN_OR_RETURN(host->publisher_,
                          RegistryApiPublisher::open(std::move(options.registryApi)));
    host->apiTable_ =
        std::make_unique<RegistryApiStorageTable>(host->distributionTable_, *host->publisher_);
  }
  return host;
}

const rp_storage_v1* HostStorage::table() const {
  return apiTable_ ? apiTable_->table() : &distributionTable_;
}

std::string HostStorage::describe() const {
  if (publisher_)
    return "registry_api (blobs into storage, manifests and tags through " + publisher_->url() +
           ")";
  return "storage (blobs, manifests and tags into " + distribution_->v2Root() + ")";
}

}  // namespace tributary::storage
