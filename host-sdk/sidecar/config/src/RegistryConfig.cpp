#include "tributary/config/RegistryConfig.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tributary/config/ConfigKeys.h"
#include "tributary/config/YamlToJson.h"

namespace tributary::config {
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

// Go's strconv.ParseBool, which Distribution's driver parameters go through.
Result<bool> goBool(const YAML::Node& node, const std::string& source, const std::string& key) {
  if (!node.IsScalar()) return keyError(source, key, "must be true or false");
  const std::string& v = node.Scalar();
  if (v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "false" || v == "False")
    return false;
  return keyError(source, key, "is `" + v + "`; expected true or false");
}

std::string joined(const std::vector<std::string>& names, const char* separator = ", ") {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : separator) + name;
  return text;
}

// Checks every key of the mapping `node` at `path` (a table path, `*` for user-chosen names)
// against ConfigKeys, recursing into mappings; `shownPath` is the path with the real names.
void checkKnownKeys(const YAML::Node& node, const std::string& path, const std::string& shownPath,
                    const std::string& source, std::vector<std::string>& problems) {
  const ConfigKey* key = findConfigKey(path);
  if (key == nullptr || !node.IsMap()) return;  // shapes are checked where the value is read
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    const std::string shown = shownPath + "." + name;
    if (key->kind == ConfigKeyKind::kNamedMap) {
      checkKnownKeys(entry.second, path + ".*", shown, source, problems);
      continue;
    }
    if (key->kind != ConfigKeyKind::kMapping) continue;
    const std::string childPath = path + "." + name;
    if (findConfigKey(childPath) != nullptr) {
      checkKnownKeys(entry.second, childPath, shown, source, problems);
      continue;
    }
    const std::vector<std::string> known = childKeyNames(path);
    std::string problem = source + ": " + shown + " is not a known key (line " +
                          std::to_string(entry.first.Mark().line + 1) + ")";
    const std::string close = closestMatch(name, known);
    if (!close.empty()) problem += "; did you mean `" + shownPath + "." + close + "`?";
    problem += " Known under " + shownPath + ": " + joined(known);
    problems.push_back(std::move(problem));
  }
}

// storage.s3 (its keys were checked against ConfigKeys already).
Result<S3StorageConfig> parseS3(const YAML::Node& node, const std::string& source) {
  S3StorageConfig s3;
  const std::string base = "storage.s3";
  auto text = [&](const char* name, std::string& out) -> Status {
    const YAML::Node value = node[name];
    if (!value || value.IsNull()) return Status();
    TRIB_ASSIGN_OR_RETURN(out, scalar(value, source, base + "." + name));
    return Status();
  };
  auto flag = [&](const char* name, bool& out) -> Status {
    const YAML::Node value = node[name];
    if (!value || value.IsNull()) return Status();
    TRIB_ASSIGN_OR_RETURN(out, goBool(value, source, base + "." + name));
    return Status();
  };
  TRIB_RETURN_IF_ERROR(text("region", s3.region));
  TRIB_RETURN_IF_ERROR(text("regionendpoint", s3.regionEndpoint));
  TRIB_RETURN_IF_ERROR(text("bucket", s3.bucket));
  TRIB_RETURN_IF_ERROR(text("accesskey", s3.accessKey));
  TRIB_RETURN_IF_ERROR(text("secretkey", s3.secretKey));
  TRIB_RETURN_IF_ERROR(text("rootdirectory", s3.rootDirectory));
  TRIB_RETURN_IF_ERROR(text("keyid", s3.keyId));
  TRIB_RETURN_IF_ERROR(text("storageclass", s3.storageClass));
  TRIB_RETURN_IF_ERROR(text("objectacl", s3.objectAcl));
  TRIB_RETURN_IF_ERROR(text("useragent", s3.userAgent));
  TRIB_RETURN_IF_ERROR(flag("secure", s3.secure));
  TRIB_RETURN_IF_ERROR(flag("skipverify", s3.skipVerify));
  TRIB_RETURN_IF_ERROR(flag("encrypt", s3.encrypt));
  bool v4auth = true;
  TRIB_RETURN_IF_ERROR(flag("v4auth", v4auth));
  if (!v4auth)
    return keyError(source, base + ".v4auth",
                    "is false; Tributary signs with AWS Signature Version 4 only");
  if (s3.region.empty()) return keyError(source, base + ".region", "is missing");
  if (s3.bucket.empty()) return keyError(source, base + ".bucket", "is missing");
  if (s3.accessKey.empty() || s3.secretKey.empty())
    return keyError(source, s3.accessKey.empty() ? base + ".accesskey" : base + ".secretkey",
                    "is missing; Tributary takes S3 credentials from the config only (not from "
                    "the environment or instance metadata)");
  if (!s3.keyId.empty() && !s3.encrypt)
    return keyError(source, base + ".keyid", "is set but storage.s3.encrypt is not true");
  const YAML::Node chunk = node["chunksize"];
  if (chunk && !chunk.IsNull()) {
    TRIB_ASSIGN_OR_RETURN(std::string value, scalar(chunk, source, base + ".chunksize"));
    char* end = nullptr;
    errno = 0;
    const long long parsed = std::strtoll(value.c_str(), &end, 0);  // Go's ParseInt(v, 0, 64)
    if (value.empty() || *end != '\0' || errno != 0)
      return keyError(source, base + ".chunksize", "is `" + value + "`; expected a number of bytes");
    constexpr long long kMin = 5ll << 20, kMax = 5ll << 30;
    if (parsed < kMin || parsed > kMax)
      return keyError(source, base + ".chunksize",
                      "is " + value + "; expected " + std::to_string(kMin) + ".." +
                          std::to_string(kMax) + " (S3's part size limits, as Distribution)");
    s3.chunkSize = static_cast<uint64_t>(parsed);
  }
  std::string storageClass = s3.storageClass;
  for (char& c : storageClass) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!storageClass.empty() && storageClass != "STANDARD" && storageClass != "NONE" &&
      storageClass != "REDUCED_REDUNDANCY")
    return keyError(source, base + ".storageclass",
                    "is `" + s3.storageClass + "`; expected STANDARD, REDUCED_REDUNDANCY or NONE");
  s3.storageClass = storageClass;
  return s3;
}

// replication.publish and replication.registry_api (the publishing-mode block).
struct Publishing {
  std::string mode = "storage";
  std::string url;
  std::string credential;
  std::string caFile;
};

Result<Publishing> parsePublishing(const YAML::Node& replication, const std::string& source,
                                   const std::string& baseDirectory,
                                   const std::map<std::string, Credential, std::less<>>& credentials) {
  Publishing p;
  const YAML::Node publish = replication["publish"];
  if (publish && !publish.IsNull()) {
    TRIB_ASSIGN_OR_RETURN(p.mode, scalar(publish, source, "replication.publish"));
    if (p.mode != "storage" && p.mode != "registry_api")
      return keyError(source, "replication.publish",
                      "is `" + p.mode + "`; expected storage or registry_api");
  }
  const YAML::Node api = replication["registry_api"];
  if (api && !api.IsNull()) {
    if (!api.IsMap()) return keyError(source, "replication.registry_api", "must be a mapping");
    if (api["url"] && !api["url"].IsNull()) {
      TRIB_ASSIGN_OR_RETURN(p.url, scalar(api["url"], source, "replication.registry_api.url"));
    }
    if (api["credential"] && !api["credential"].IsNull()) {
      TRIB_ASSIGN_OR_RETURN(p.credential, scalar(api["credential"], source,
                                                 "replication.registry_api.credential"));
    }
    if (api["ca_file"] && !api["ca_file"].IsNull()) {
      TRIB_ASSIGN_OR_RETURN(p.caFile,
                            scalar(api["ca_file"], source, "replication.registry_api.ca_file"));
      if (!p.caFile.empty() && p.caFile.front() != '/' && !baseDirectory.empty())
        p.caFile = baseDirectory + "/" + p.caFile;
    }
  }
  if (p.mode == "registry_api" && p.url.empty())
    return keyError(source, "replication.registry_api.url",
                    "is missing (replication.publish is registry_api: manifests are pushed "
                    "to this URL)");
  if (!p.credential.empty() && credentials.find(p.credential) == credentials.end())
    return keyError(source, "replication.registry_api.credential",
                    "names `" + p.credential + "`, which is not in replication.credentials");
  return p;
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
  if (!file) {
    return invalidArgumentError("cannot read registry config `" + path +
                                "`: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return invalidArgumentError("cannot read registry config `" + path +
                                "`: " + std::strerror(errno));
  }
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
      return keyError(sourceName, "storage",
                      "is missing (need storage.filesystem.rootdirectory or storage.s3)");
    }
    std::vector<std::string> drivers;
    for (const auto& entry : storage) {
      const std::string driver = entry.first.Scalar();
      if (isStorageOption(driver)) continue;
      if (driver != "filesystem" && driver != "s3") {
        return invalidArgumentError(sourceName + ": storage driver `" + driver +
                                    "` is not supported: Tributary writes the filesystem "
                                    "and s3 drivers' layouts only");
      }
      drivers.push_back(driver);
    }
    if (drivers.size() > 1)
      return invalidArgumentError(sourceName + ": storage names more than one driver (" +
                                  joined(drivers) + "); Distribution uses exactly one");
    if (!drivers.empty() && drivers.front() == "s3") {
      const YAML::Node s3 = storage["s3"];
      if (!s3.IsMap()) return keyError(sourceName, "storage.s3", "must be a mapping");
      std::vector<std::string> problems;
      checkKnownKeys(s3, "storage.s3", "storage.s3", sourceName, problems);
      if (!problems.empty()) return invalidArgumentError(joined(problems, "\n"));
      TRIB_ASSIGN_OR_RETURN(config.s3Storage_, parseS3(s3, sourceName));
      config.storageDriver_ = "s3";
    } else {
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
    }

    // Distribution ignores unknown top-level keys, and so must we; but a near miss of
    // `replication` would silently drop the whole section.
    for (const auto& entry : root) {
      const std::string name = entry.first.Scalar();
      const size_t distance = editDistance(name, "replication");
      if (distance > 0 && distance <= 3) {
        config.warnings_.push_back(sourceName + ": top-level key `" + name + "` (line " +
                                   std::to_string(entry.first.Mark().line + 1) +
                                   ") is ignored; did you mean `replication`?");
      }
    }

    const YAML::Node replication = root["replication"];
    if (replication && replication.IsMap()) {
      std::vector<std::string> problems;
      checkKnownKeys(replication, "replication", "replication", sourceName, problems);
      if (!problems.empty()) return invalidArgumentError(joined(problems, "\n"));
    }
    config.sourceName_ = sourceName;
    // With S3 there is no local storage root to keep host state under: state_dir is required.
    if (!config.rootDirectory_.empty()) config.stateDirectory_ = config.rootDirectory_ + "/tributary";
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
      const YAML::Node concurrency = replication["s3_concurrency"];
      if (concurrency && !concurrency.IsNull()) {
        TRIB_ASSIGN_OR_RETURN(std::string value,
                              scalar(concurrency, sourceName, "replication.s3_concurrency"));
        char* end = nullptr;
        const long parsed = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || parsed < 1 || parsed > 64)
          return keyError(sourceName, "replication.s3_concurrency",
                          "is `" + value + "`; expected 1..64");
        config.s3Concurrency_ = static_cast<int>(parsed);
      }
      const YAML::Node staleAge = replication["s3_stale_upload_seconds"];
      if (staleAge && !staleAge.IsNull()) {
        TRIB_ASSIGN_OR_RETURN(std::string value, scalar(staleAge, sourceName,
                                                        "replication.s3_stale_upload_seconds"));
        char* end = nullptr;
        const long parsed = std::strtol(value.c_str(), &end, 10);
        // 0 = every upload under the root: only for a root no other writer uses (tests).
        if (value.empty() || *end != '\0' || parsed < 0 || parsed > 30L * 86400)
          return keyError(sourceName, "replication.s3_stale_upload_seconds",
                          "is `" + value + "`; expected 0..2592000");
        config.s3StaleUploadSeconds_ = parsed;
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
      TRIB_ASSIGN_OR_RETURN(Publishing publishing,
                            parsePublishing(replication, sourceName, baseDirectory,
                                            config.credentials_));
      config.publishMode_ = publishing.mode;
      config.registryApiUrl_ = publishing.url;
      config.registryApiCredential_ = publishing.credential;
      config.registryApiCaFile_ = publishing.caFile;
    }
    if (config.stateDirectory_.empty())
      return keyError(sourceName, "replication.state_dir",
                      "is missing; with storage.s3 there is no local storage root to keep "
                      "Tributary's state under, so name a directory");
    // Without a cache every one-shot run would GET each tag's manifest and config again just
    // to learn its `created` time; keep it under the state directory unless configured.
    {
      // A dry run hands the provider no cache directory: its caches are then memory-only and
      // it writes nothing, whatever the provider does with a cache it was given.
      YAML::Node withoutCache = YAML::Clone(providerConfig);
      withoutCache.remove("cache_dir");
      config.providerConfigJsonForDryRun_ = yamlToJson(withoutCache);
    }
    if (!providerConfig["cache_dir"]) {
      config.defaultedCacheDirectory_ = config.stateDirectory_ + "/cache";
      providerConfig["cache_dir"] = config.defaultedCacheDirectory_;
    }
    for (const auto& entry : providerConfig) {
      config.providerConfigKeys_.push_back(entry.first.Scalar());
    }
    config.providerConfigJson_ = yamlToJson(providerConfig);
    {
      YAML::Node readOnly = YAML::Clone(providerConfig);
      readOnly["cache_read_only"] = true;
      config.providerConfigJsonForDryRunWithCache_ = yamlToJson(readOnly);
      if (providerConfig["cache_dir"].IsScalar())
        config.cacheDirectory_ = providerConfig["cache_dir"].Scalar();
    }
    return config;
  } catch (const YAML::Exception& e) {
    // e.g. indexing into a scalar where a mapping was expected
    return invalidArgumentError(sourceName + ": unexpected structure: " + e.what());
  }
}

std::string RegistryConfig::describeProviderConfigRefusal(
    const std::string& providerMessage) const {
  const std::string base = sourceName_ + ": replication.provider.config";
  auto isKeyChar = [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'); };
  auto keyOf = [&](const std::string& line) -> std::string {
    // "unknown key `foo`", "unknown provider config key `foo`": the key the user wrote.
    for (size_t at = line.find("key `"); at != std::string::npos; at = line.find("key `", at + 1)) {
      const size_t start = at + 5;
      const size_t end = line.find('`', start);
      if (end != std::string::npos && end > start) return line.substr(start, end - start);
    }
    size_t length = 0;
    while (length < line.size() && isKeyChar(line[length])) ++length;
    const std::string leading = line.substr(0, length);
    for (const auto& key : providerConfigKeys_) {
      if (key == leading) return key;
    }
    for (const auto& key : providerConfigKeys_) {  // a key named anywhere, as a whole word
      for (size_t at = line.find(key); at != std::string::npos; at = line.find(key, at + 1)) {
        const bool startsWord = at == 0 || !isKeyChar(line[at - 1]);
        const bool endsWord = at + key.size() == line.size() || !isKeyChar(line[at + key.size()]);
        if (startsWord && endsWord) return key;
      }
    }
    return "";
  };
  std::string described;
  std::istringstream lines(providerMessage);
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string key = keyOf(line);
    if (!described.empty()) described += '\n';
    described += (key.empty() ? base : base + "." + key) + ": " + line;
  }
  return described.empty() ? base + ": refused by the provider (no reason given)" : described;
}

}  // namespace tributary::config
