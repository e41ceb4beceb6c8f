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
///
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
  /// replication.provider.config converted to JSON ("" when unset: provider defaults).
  const std::string& providerConfigJson() const { return providerConfigJson_; }
  const std::map<std::string, Credential, std::less<>>& credentials() const {
    return credentials_;
  }

 private:
  std::string rootDirectory_;
  std::string providerLibrary_;
  std::string providerConfigJson_;
  std::map<std::string, Credential, std::less<>> credentials_;
};

}  // namespace tributary::sidecar
