#include "tributary/plugin/ProviderConfig.h"

#include <sys/stat.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/plugin/HostPort.h"
#include "tributary/registry/VendorEndpoint.h"

namespace tributary::plugin {
namespace {

// Poco counts a JSON `true` as an integer (1); a config value of true is a mistake, not 1.
bool isWholeNumber(const Poco::Dynamic::Var& v) { return v.isInteger() && !v.isBoolean(); }

}  // namespace

Result<ProviderConfig> ProviderConfig::parse(const std::string& json) {
  ProviderConfig config;
  if (json.find_first_not_of(" \t\r\n") == std::string::npos) return config;
  Poco::JSON::Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(json);
    if (v.type() != typeid(Poco::JSON::Object::Ptr))
      return invalidArgumentError("provider config must be a JSON object");
    root = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return invalidArgumentError("provider config is not valid JSON: " + e.displayText());
  }
  std::vector<std::string> problems;
  for (const std::string& key : root->getNames()) {
    if (key != "concurrency" && key != "insecure_registries" && key != "allow_private_networks" &&
        key != "ca_files" && key != "cache_dir" && key != "mirrors" &&
        key != "range_threshold_bytes" && key != "range_part_bytes" &&
        key != "range_parallelism" && key != "timeout_seconds" && key != "endpoints" &&
        key != "dockerhub_budget_reserve")
      problems.push_back("unknown provider config key `" + key +
                         "` (known: concurrency, insecure_registries, allow_private_networks, "
                         "ca_files, cache_dir, mirrors, range_threshold_bytes, "
                         "range_part_bytes, range_parallelism, endpoints, "
                         "dockerhub_budget_reserve, timeout_seconds)");
  }
  if (root->has("concurrency")) {
    auto v = root->get("concurrency");
    if (!isWholeNumber(v) || v.convert<int64_t>() < 1 || v.convert<int64_t>() > kMaxConcurrency) {
      problems.push_back("concurrency must be a whole number 1.." +
                         std::to_string(kMaxConcurrency) + ", got " +
                         (v.isEmpty() ? std::string("null") : v.convert<std::string>()));
    } else {
      config.concurrency = static_cast<int>(v.convert<int64_t>());
    }
  }
  if (root->has("insecure_registries")) {
    auto arr = root->getArray("insecure_registries");
    if (!arr) {
      problems.push_back("insecure_registries must be an array of host[:port] strings");
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        auto e = arr->get(static_cast<unsigned>(i));
        const std::string what = "insecure_registries[" + std::to_string(i) + "]";
        if (!e.isString()) {
          problems.push_back(what + " must be a host[:port] string");
          continue;
        }
        auto hp = HostPort::normalise(e.convert<std::string>(), what);
        if (hp) config.insecureRegistries.insert(*hp); else problems.push_back(hp.status().message());
      }
    }
  }
  if (root->has("allow_private_networks")) {
    auto v = root->get("allow_private_networks");
    if (!v.isBoolean()) problems.push_back("allow_private_networks must be true or false");
    else config.allowPrivateNetworks = v.convert<bool>();
  }
  if (root->has("ca_files")) {
    auto obj = root->getObject("ca_files");
    if (!obj) {
      problems.push_back("ca_files must be an object {\"host[:port]\": \"/path/ca.crt\"}");
    } else {
      for (const std::string& host : obj->getNames()) {
        auto hp = HostPort::normalise(host, "ca_files key");
        auto v = obj->get(host);
        if (!hp) {
          problems.push_back(hp.status().message());
        } else if (!v.isString() || v.convert<std::string>().empty()) {
          problems.push_back("ca_files[`" + host + "`] must be a file path");
        } else {
          const std::string path = v.convert<std::string>();
          struct stat st {};
          if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            problems.push_back("ca_files[`" + host + "`]: `" + path + "` is not a readable file");
          else
            config.caFiles[*hp] = path;
        }
      }
    }
  }
  if (root->has("cache_dir")) {
    auto v = root->get("cache_dir");
    if (!v.isString()) {
      problems.push_back("cache_dir must be a directory path");
    } else {
      config.cacheDir = v.convert<std::string>();
      struct stat st {};
      if (!config.cacheDir.empty() &&
          (::stat(config.cacheDir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
        problems.push_back("cache_dir `" + config.cacheDir + "` is not an existing directory");
    }
  }
  if (root->has("mirrors")) {
    auto obj = root->getObject("mirrors");
    if (!obj) {
      problems.push_back(
          "mirrors must be an object {\"origin host[:port]\": [\"mirror host[:port]\", ...]}");
    } else {
      for (const std::string& origin : obj->getNames()) {
        auto from = HostPort::normalise(origin, "mirrors key");
        if (!from) {
          problems.push_back(from.status().message());
          continue;
        }
        const std::string what = "mirrors[`" + origin + "`]";
        auto arr = obj->getArray(origin);
        if (!arr || arr->size() == 0) {
          problems.push_back(what + " must be a non-empty array of host[:port] strings");
          continue;
        }
        std::vector<std::string>& list = config.mirrors[*from];
        for (size_t i = 0; i < arr->size(); ++i) {
          auto e = arr->get(static_cast<unsigned>(i));
          const std::string item = what + "[" + std::to_string(i) + "]";
          if (!e.isString()) {
            problems.push_back(item + " must be a host[:port] string");
            continue;
          }
          auto to = HostPort::normalise(e.convert<std::string>(), item);
          if (!to) {
            problems.push_back(to.status().message());
          } else if (*to == *from) {
            problems.push_back(item + " `" + *to + "` is the origin itself");
          } else if (std::find(list.begin(), list.end(), *to) != list.end()) {
            problems.push_back(what + " lists `" + *to + "` twice");
          } else {
            list.push_back(*to);
          }
        }
      }
    }
  }
  // A whole number in [min, max], else a problem naming the key and the range.
  auto wholeNumber = [&](const char* key, int64_t min, int64_t max, auto& into) {
    if (!root->has(key)) return;
    auto v = root->get(key);
    if (!isWholeNumber(v) || v.convert<int64_t>() < min || v.convert<int64_t>() > max) {
      problems.push_back(std::string(key) + " must be a whole number " + std::to_string(min) +
                         ".." + std::to_string(max) + ", got " +
                         (v.isEmpty() ? std::string("null") : v.convert<std::string>()));
    } else {
      into = static_cast<std::remove_reference_t<decltype(into)>>(v.convert<int64_t>());
    }
  };
  wholeNumber("range_threshold_bytes", 1, int64_t{1} << 50, config.rangeThresholdBytes);
  wholeNumber("range_part_bytes", static_cast<int64_t>(kMinRangePartBytes),
              static_cast<int64_t>(kMaxRangePartBytes), config.rangePartBytes);
  wholeNumber("range_parallelism", 1, kMaxRangeParallelism, config.rangeParallelism);
  wholeNumber("timeout_seconds", 1, kMaxTimeoutSeconds, config.timeoutSeconds);
  wholeNumber("dockerhub_budget_reserve", 0, kMaxBudgetReserve, config.dockerhubBudgetReserve);
  if (root->has("endpoints")) {
    auto obj = root->getObject("endpoints");
    struct Slot {
      const char* vendor;
      const char* key;
      std::string* into;
      bool pathAllowed;
    };
    const Slot slots[] = {
        {"dockerhub", "registry", &config.endpoints.dockerhubRegistry, false},
        {"dockerhub", "auth", &config.endpoints.dockerhubAuth, true},
        {"dockerhub", "hub_api", &config.endpoints.dockerhubHubApi, false},
        {"gcr", "registry", &config.endpoints.gcrRegistry, false},
        {"quay", "registry", &config.endpoints.quayRegistry, false},
        {"quay", "api", &config.endpoints.quayApi, false},
    };
    if (!obj) {
      problems.push_back("endpoints must be an object {\"dockerhub\": {\"registry\": \"https://...\"}, ...}");
    } else {
      for (const std::string& vendor : obj->getNames()) {
        auto inner = obj->getObject(vendor);
        if ((vendor != "dockerhub" && vendor != "gcr" && vendor != "quay") || !inner) {
          problems.push_back("endpoints.`" + vendor +
                             "` is not a vendor object (known: dockerhub, gcr, quay)");
          continue;
        }
        for (const std::string& key : inner->getNames()) {
          const Slot* slot = nullptr;
          for (const Slot& s : slots)
            if (vendor == s.vendor && key == s.key) slot = &s;
          const std::string what = "endpoints." + vendor + "." + key;
          if (slot == nullptr) {
            problems.push_back("unknown provider config key `" + what +
                               "` (known: dockerhub.registry, dockerhub.auth, dockerhub.hub_api, "
                               "gcr.registry, quay.registry, quay.api)");
            continue;
          }
          auto v = inner->get(key);
          std::string url = v.isString() ? v.convert<std::string>() : std::string();
          std::string origin = url;
          if (slot->pathAllowed) {  // the token realm: only its origin must be well formed
            size_t hostStart = url.find("://");
            if (hostStart != std::string::npos) origin = url.substr(0, url.find('/', hostStart + 3));
          }
          auto parsed = registry::VendorEndpoint::parse(origin, what);
          if (!parsed) problems.push_back(parsed.status().message());
          else *slot->into = url;
        }
      }
    }
  }
  if (!problems.empty()) {
    std::string joined;
    for (size_t i = 0; i < problems.size(); ++i) joined += (i ? "\n" : "") + problems[i];
    return invalidArgumentError(joined);
  }
  return config;
}

}  // namespace tributary::plugin
