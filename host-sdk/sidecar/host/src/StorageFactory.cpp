#include "tributary/host/StorageFactory.h"

#include "tributary/host/HostServices.h"

namespace tributary::host {

using config::RegistryConfig;
using config::S3StorageConfig;

namespace {

// storage.s3 as the S3 storage's options: the driver's keys mapped as Distribution maps them.
storage::s3::DistributionS3StorageOptions s3Options(const S3StorageConfig& s3, int concurrency,
                                                    long staleUploadSeconds, bool readOnly) {
  storage::s3::DistributionS3StorageOptions options;
  options.client.region = s3.region;
  options.client.regionEndpoint = s3.regionEndpoint;
  options.client.bucket = s3.bucket;
  options.client.accessKey = s3.accessKey;
  options.client.secretKey = s3.secretKey;
  options.client.secure = s3.secure;
  options.client.skipVerify = s3.skipVerify;
  options.client.userAgent = s3.userAgent;
  // The headers Distribution's driver sends with every object it writes, when they differ
  // from S3's defaults (STANDARD storage, private ACL, no encryption).
  if (s3.encrypt) {
    options.client.objectHeaders.emplace_back("x-amz-server-side-encryption",
                                              s3.keyId.empty() ? "AES256" : "aws:kms");
    if (!s3.keyId.empty())
      options.client.objectHeaders.emplace_back("x-amz-server-side-encryption-aws-kms-key-id",
                                                s3.keyId);
  }
  if (s3.storageClass == "REDUCED_REDUNDANCY")
    options.client.objectHeaders.emplace_back("x-amz-storage-class", s3.storageClass);
  if (!s3.objectAcl.empty() && s3.objectAcl != "private")
    options.client.objectHeaders.emplace_back("x-amz-acl", s3.objectAcl);
  options.rootDirectory = s3.rootDirectory;
  options.chunkSize = s3.chunkSize;
  options.concurrency = concurrency;
  options.readOnly = readOnly;
  options.abortUploadsOlderThan = std::chrono::seconds(staleUploadSeconds);
  return options;
}

}  // namespace

Result<std::unique_ptr<storage::HostStorage>> openHostStorage(const RegistryConfig& config,
                                                              bool readOnly) {
  storage::HostStorageOptions options;
  options.rootDirectory = config.rootDirectory();
  options.distribution.readOnly = readOnly;
  if (config.s3Storage())
    options.s3 = s3Options(*config.s3Storage(), config.s3Concurrency(),
                           config.s3StaleUploadSeconds(), readOnly);
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
    std::string key;
    if (opened.status().message().find("registry_api") != std::string::npos) {
      key = "replication.registry_api";
    } else if (config.s3Storage()) {
      key = "storage.s3 (bucket `" + config.s3Storage()->bucket + "`)";
    } else {
      key = "storage.filesystem.rootdirectory `" + config.rootDirectory() + "`";
    }
    return Status(opened.status().code(), key + " cannot be used: " + opened.status().message());
  }
  return opened;
}

}  // namespace tributary::host
