#include "tributary/sidecar/StorageFactory.h"

#include "tributary/sidecar/HostServices.h"

namespace tributary::sidecar {

Result<std::unique_ptr<storage::HostStorage>> openHostStorage(const RegistryConfig& config,
                                                              bool readOnly) {
  storage::HostStorageOptions options;
  options.rootDirectory = config.rootDirectory();
  options.distribution.readOnly = readOnly;
  auto mode = storage::parsePublishMode(config.publishMode());
  if (!mode)
    return invalidArgumentError("replication.publish `" + config.publishMode() +
                                "` is not storage or registry_api");
  options.mode = *mode;
  if (options.mode == storage::PublishMode::kRegistryApi) {
    options.registryApi.url = config.registryApiUrl();
    options.registryApi.caFile = config.registryApiCaFile();
    const std::string& name = config.registryApiCredential();
    if (!name.empty()) {
      auto found = config.credentials().find(name);
      if (found == config.credentials().end())
        return invalidArgumentError("replication.registry_api.credential `" + name +
                                    "` is not in replication.credentials");
      options.registryApi.username = found->second.username;
      TRIB_ASSIGN_OR_RETURN(options.registryApi.password,
                            HostServices::passwordOf(name, found->second));
    }
  }
  auto opened = storage::HostStorage::open(std::move(options));
  if (!opened.isOk()) {
    const std::string key = opened.status().message().find("registry_api") != std::string::npos
                                ? "replication.registry_api"
                                : "storage.filesystem.rootdirectory `" + config.rootDirectory() +
                                      "`";
    return Status(opened.status().code(), key + " cannot be used: " + opened.status().message());
  }
  return opened;
}

}  // namespace tributary::sidecar
