// RegistryConfig: the parts of the host registry's own config.yml the sidecar needs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary::sidecar {

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
/// Immutable after load; safe to share between threads.
class RegistryConfig {
 public:
  /// Reads and parses `path`. Errors name the file and the key.
  static Result<RegistryConfig> load(const std::string& path);
  /// Parses YAML text; `sourceName` prefixes errors, `baseDirectory` resolves relative
  /// password_file paths.
  static Result<RegistryConfig> parse(const std::string& yamlText, const std::string& sourceName,
                                      const std::string& baseDirectory);

  /// storage.filesystem.rootdirectory.
  const std::string& rootDirectory() const { return rootDirectory_; }
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
  const std::map<std::string, Credential, std::less<>>& credentials() const {
    return credentials_;
  }

 private:
  std::string rootDirectory_;
  std::string providerLibrary_;
  std::string providerConfigJson_;
  std::string stateDirectory_;
  std::string defaultedCacheDirectory_;
  std::map<std::string, Credential, std::less<>> credentials_;
};

}  // namespace tributary::sidecar
