// RegistryConfig: the parts of the host registry's own config.yml the sidecar needs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/Status.h"

namespace tributary::config {

/// A named credential from replication.credentials. Exactly one of password / passwordFile is
/// set; passwordFile is read when the secret is asked for, so rotating the file needs no
/// restart.
struct Credential {
  std::string username;
  std::optional<std::string> password;
  std::string passwordFile;  // absolute (relative paths are resolved against the config's dir)
  /// Optional `token_file`: an API token kept beside the password (Quay's OAuth token for its
  /// REST API); absolute like passwordFile. "" = none.
  std::string tokenFile;
};

/// storage.s3, the keys Distribution 2.8's `s3` driver reads (docs/reference.md). Checked by
/// RegistryConfig::parse: booleans as Go's strconv.ParseBool reads them, chunksize within
/// Distribution's 5 MiB..5 GiB, accesskey and secretkey present (credentials from the
/// environment or instance metadata are not supported), v4auth true (SigV4 only).
struct S3StorageConfig {
  std::string region;
  std::string regionEndpoint;  // "" = AWS (virtual-hosted); set = path-style at this endpoint
  std::string bucket;
  std::string accessKey;
  std::string secretKey;  // never printed: not in a message, a log line or an argument
  std::string rootDirectory;
  bool secure = true;
  bool skipVerify = false;
  bool encrypt = false;
  std::string keyId;         // KMS key with encrypt: true
  uint64_t chunkSize = 10u << 20;
  std::string storageClass;  // "" / STANDARD / NONE: no header; REDUCED_REDUNDANCY: sent
  std::string objectAcl;     // "" / private: no header; any other canned ACL: sent
  std::string userAgent;
};

/// Reads a Distribution config.yml with Tributary's `replication:` section (Distribution
/// ignores unknown top-level keys):
///
///   storage:
///     filesystem: { rootdirectory: /var/lib/docker-registry }
///   replication:
///     provider:
///       library: /usr/lib/tributary/libtributary.so   # optional
///       config: { ... }                                # optional, handed to the provider as JSON
///     credentials:
///       hub-readonly: { username: bot, password_file: /run/secrets/hub }
///     state_dir: /var/lib/tributary          # optional; default <rootdirectory>/tributary
///
/// The provider config gets `cache_dir: <state_dir>/cache` unless it sets its own.
/// Every key under `replication:` must be in ConfigKeys (else an error naming the file, the
/// path, the line and the closest known key); replication.provider.config is the provider's to
/// check. Immutable after load; safe to share between threads.
class RegistryConfig {
 public:
  /// Reads and parses `path`. Errors name the file and the key.
  static Result<RegistryConfig> load(const std::string& path);
  /// Parses YAML text; `sourceName` prefixes errors, `baseDirectory` resolves relative
  /// password_file paths.
  static Result<RegistryConfig> parse(const std::string& yamlText, const std::string& sourceName,
                                      const std::string& baseDirectory);

  /// storage.filesystem.rootdirectory ("" with storage.s3).
  const std::string& rootDirectory() const { return rootDirectory_; }
  /// The storage driver Tributary writes for: "filesystem" or "s3".
  const std::string& storageDriver() const { return storageDriver_; }
  /// storage.s3, when that is the driver.
  const std::optional<S3StorageConfig>& s3Storage() const { return s3Storage_; }
  /// Tributary's own: S3 part uploads in flight at once, across every blob
  /// (replication.s3_concurrency, default 8).
  int s3Concurrency() const { return s3Concurrency_; }
  /// Tributary's own: incomplete multipart uploads under the root older than this are a
  /// killed run's and aborted at open (replication.s3_stale_upload_seconds, default a day).
  long s3StaleUploadSeconds() const { return s3StaleUploadSeconds_; }
  /// replication.provider.library, or "" when unset.
  const std::string& providerLibrary() const { return providerLibrary_; }
  /// replication.state_dir, default `<rootdirectory>/tributary` (outside docker/, which is
  /// all Distribution reads); relative paths are resolved against the config's folder.
  const std::string& stateDirectory() const { return stateDirectory_; }
  /// `<state_dir>/cache` when the provider config had no cache_dir of its own (the host
  /// creates it), else "".
  const std::string& defaultedCacheDirectory() const { return defaultedCacheDirectory_; }
  /// replication.provider.config converted to JSON, with cache_dir defaulted.
  const std::string& providerConfigJson() const { return providerConfigJson_; }
  /// replication.provider.config without any cache_dir: what a dry run hands the provider when
  /// no cache directory exists yet, so that its caches are memory-only and nothing is created.
  const std::string& providerConfigJsonForDryRun() const { return providerConfigJsonForDryRun_; }
  /// For a dry run when the cache directory already exists: the provider reads its caches
  /// (cache_read_only: true), so a plan knows what the last run learnt, and writes nothing.
  const std::string& providerConfigJsonForDryRunWithCache() const {
    return providerConfigJsonForDryRunWithCache_;
  }
  /// The provider's cache_dir (configured or defaulted), "" when it is not a plain path.
  const std::string& cacheDirectory() const { return cacheDirectory_; }
  const std::map<std::string, Credential, std::less<>>& credentials() const {
    return credentials_;
  }
  /// Things worth telling the operator that do not stop a run (a top-level key that looks
  /// like a misspelt `replication`), each naming the file.
  const std::vector<std::string>& warnings() const { return warnings_; }
  /// The file name errors are prefixed with.
  const std::string& sourceName() const { return sourceName_; }

  /// The provider's refusal of replication.provider.config (`providerMessage`, one problem a
  /// line) with each line prefixed `<file>: replication.provider.config.<key>: ` for the key it
  /// is about (a key named in backquotes after "key", else the key the line starts with or
  /// mentions), or `…config: ` when no key of the config is recognised.
  std::string describeProviderConfigRefusal(const std::string& providerMessage) const;

  // ---- Publishing mode (docs/harbor.md) ----
  //   replication:
  //     publish: registry_api            # storage (default) | registry_api
  //     registry_api:
  //       url: https://harbor.example.org  # the registry's external URL: scheme://host[:port]
  //       credential: harbor-robot         # a name in replication.credentials (push permission)
  //       ca_file: /etc/tributary/ca.crt   # optional, for an https url (relative: config dir)
  /// The known keys of this block, for a strict reader: under replication:, and under
  /// replication.registry_api:.
  static constexpr const char* kPublishKeys[] = {"publish", "registry_api"};
  static constexpr const char* kRegistryApiKeys[] = {"url", "credential", "ca_file"};
  /// replication.publish: "storage" (default) or "registry_api".
  const std::string& publishMode() const { return publishMode_; }
  /// replication.registry_api.url / .credential / .ca_file ("" when unset).
  const std::string& registryApiUrl() const { return registryApiUrl_; }
  const std::string& registryApiCredential() const { return registryApiCredential_; }
  const std::string& registryApiCaFile() const { return registryApiCaFile_; }

 private:
  std::string rootDirectory_;
  std::string storageDriver_ = "filesystem";
  std::optional<S3StorageConfig> s3Storage_;
  int s3Concurrency_ = 8;
  long s3StaleUploadSeconds_ = 86400;
  std::string providerLibrary_;
  std::string providerConfigJson_;
  std::string providerConfigJsonForDryRun_;
  std::string providerConfigJsonForDryRunWithCache_;
  std::string cacheDirectory_;
  std::string stateDirectory_;
  std::string defaultedCacheDirectory_;
  std::map<std::string, Credential, std::less<>> credentials_;
  std::vector<std::string> warnings_;
  std::vector<std::string> providerConfigKeys_;  // top-level keys of the provider config
  std::string sourceName_;
  // Publishing mode block.
  std::string publishMode_ = "storage";
  std::string registryApiUrl_;
  std::string registryApiCredential_;
  std::string registryApiCaFile_;
};

}  // namespace tributary::config
