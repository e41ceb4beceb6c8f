#include "tributary/sidecar/RegistryConfig.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "tributary/sidecar/YamlToJson.h"

namespace tributary::sidecar {
namespace {

// Keys under `storage:` that configure Distribution itself rather than name a driver
// (distribution configuration.go: Storage.Type() skips exactly these).
bool isStorageOption(const std::string& key) {
  return key == "cache" || key == "maintenance" || key == "delete" || key == "redirect" ||
         key == "tag";
}

Status keyError(const std::string& source, const std::string& key, const std::string& what) {
  return invalidArgumentError(source + ": " + key + " " + what);
}

// A scalar string at `key`, or an error naming the key.
Result<std::string> scalar(const YAML::Node& node, const std::string& source,
                           const std::string& key) {
  if (!node.IsScalar()) return keyError(source, key, "must be a string");
  return node.Scalar();
}

Result<std::map<std::string, Credential, std::less<>>> parseCredentials(
    const YAML::Node& node, const std::string& source, const std::string& baseDirectory) {
  std::map<std::string, Credential, std::less<>> credentials;
  if (!node.IsDefined() || node.IsNull()) return credentials;
  if (!node.IsMap()) return keyError(source, "replication.credentials", "must be a mapping");
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    const std::string key = "replication.credentials." + name;
    const YAML::Node& value = entry.second;
    if (!value.IsMap()) return keyError(source, key, "must be a mapping");
    Credential credential;
    if (!value["username"]) return keyError(source, key + ".username", "is missing");
    TRIB_ASSIGN_OR_RETURN(credential.username, scalar(value["username"], source, key + ".username"));
    const bool hasPassword = static_cast<bool>(value["password"]);
    const bool hasFile = static_cast<bool>(value["password_file"]);
    if (hasPassword == hasFile) {
      return keyError(source, key, "needs exactly one of password or password_file");
    }
    if (hasPassword) {
      TRIB_ASSIGN_OR_RETURN(credential.password,
                            scalar(value["password"], source, key + ".password"));
    } else {
      TRIB_ASSIGN_OR_RETURN(credential.passwordFile,
                            scalar(value["password_file"], source, key + ".password_file"));
      if (credential.passwordFile.empty()) {
        return keyError(source, key + ".password_file", "is empty");
      }
      if (credential.passwordFile.front() != '/' && !baseDirectory.empty()) {
        credential.passwordFile = baseDirectory + "/" + credential.passwordFile;
      }
    }
    if (value["token_file"]) {
      TRIB_ASSIGN_OR_RETURN(credential.tokenFile,
                            scalar(value["token_file"], source, key + ".token_file"));
      if (credential.tokenFile.empty()) return keyError(source, key + ".token_file", "is empty");
      if (credential.tokenFile.front() != '/' && !baseDirectory.empty())
        credential.tokenFile = baseDirectory + "/" + credential.tokenFile;
    }
    credentials.emplace(name, std::move(credential));
  }
  return credentials;
}

std::string directoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<RegistryConfig> RegistryConfig::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return invalidArgumentError("cannot read registry config `" + path + "`");
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return invalidArgumentError("cannot read registry config `" + path + "`");
  return parse(text.str(), path, directoryOf(path));
}

Result<RegistryConfig> RegistryConfig::parse(const std::string& yamlText,
                                             const std::string& sourceName,
                                             const std::string& baseDirectory) {
  YAML::Node loaded;
  try {
    loaded = YAML::Load(yamlText);
  } catch (const YAML::Exception& e) {
    return invalidArgumentError(sourceName + ": invalid YAML: " + e.what());
  }
  if (!loaded.IsMap()) return invalidArgumentError(sourceName + ": not a YAML mapping");
  // Const access: looking up a missing key must not insert it.
  const YAML::Node& root = loaded;

  try {
    RegistryConfig config;
    const YAML::Node storage = root["storage"];
    if (!storage || !storage.IsMap()) {
      return keyError(sourceName, "storage", "is missing (need storage.filesystem.rootdirectory)");
    }
    for (const auto& entry : storage) {
      const std::string driver = entry.first.Scalar();
      if (!isStorageOption(driver) && driver != "filesystem") {
        return invalidArgumentError(sourceName + ": storage driver `" + driver +
                                    "` is not supported: Tributary writes the filesystem "
                                    "driver's layout only");
      }
    }
    const YAML::Node filesystem = storage["filesystem"];
    if (!filesystem || !filesystem.IsMap() || !filesystem["rootdirectory"] ||
        filesystem["rootdirectory"].IsNull()) {
      return keyError(sourceName, "storage.filesystem.rootdirectory", "is missing");
    }
    TRIB_ASSIGN_OR_RETURN(config.rootDirectory_,
                          scalar(filesystem["rootdirectory"], sourceName,
                                 "storage.filesystem.rootdirectory"));
    if (config.rootDirectory_.empty()) {
      return keyError(sourceName, "storage.filesystem.rootdirectory", "is empty");
    }

    const YAML::Node replication = root["replication"];
    config.stateDirectory_ = config.rootDirectory_ + "/tributary";
    YAML::Node providerConfig(YAML::NodeType::Map);
    if (replication && !replication.IsNull()) {
      if (!replication.IsMap()) return keyError(sourceName, "replication", "must be a mapping");
      if (replication["state_dir"] && !replication["state_dir"].IsNull()) {
        TRIB_ASSIGN_OR_RETURN(config.stateDirectory_,
                              scalar(replication["state_dir"], sourceName,
                                     "replication.state_dir"));
        if (config.stateDirectory_.empty()) {
          return keyError(sourceName, "replication.state_dir", "is empty");
        }
        if (config.stateDirectory_.front() != '/') {
          config.stateDirectory_ = baseDirectory + "/" + config.stateDirectory_;
        }
      }
      const YAML::Node provider = replication["provider"];
      if (provider && !provider.IsNull()) {
        if (!provider.IsMap()) {
          return keyError(sourceName, "replication.provider", "must be a mapping");
        }
        if (provider["library"]) {
          TRIB_ASSIGN_OR_RETURN(config.providerLibrary_,
                                scalar(provider["library"], sourceName,
                                       "replication.provider.library"));
        }
        if (provider["config"] && !provider["config"].IsNull()) {
          if (!provider["config"].IsMap()) {
            return keyError(sourceName, "replication.provider.config", "must be a mapping");
          }
          providerConfig = YAML::Clone(provider["config"]);
        }
      }
      TRIB_ASSIGN_OR_RETURN(config.credentials_,
                            parseCredentials(replication["credentials"], sourceName,
                                             baseDirectory));
    }
    // Without a cache every one-shot run would GET each tag's manifest and config again just
    // to learn its `created` time; keep it under the state directory unless configured.
    if (!providerConfig["cache_dir"]) {
      config.defaultedCacheDirectory_ = config.stateDirectory_ + "/cache";
      providerConfig["cache_dir"] = config.defaultedCacheDirectory_;
    }
    config.providerConfigJson_ = yamlToJson(providerConfig);
    return config;
  } catch (const YAML::Exception& e) {
    // e.g. indexing into a scalar where a mapping was expected
    return invalidArgumentError(sourceName + ": unexpected structure: " + e.what());
  }
}

}  // namespace tributary::sidecar
