#include "tributary/plugin/config/ProviderConfig.h"

#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <vector>

#include <Poco/JSON/Parser.h>

#include "tributary/plugin/config/HostPort.h"
#include "tributary/plugin/config/JsonFieldReader.h"
#include "tributary/registry/VendorEndpoint.h"

namespace tributary::plugin {
namespace {

using Poco::JSON::Object;

// One parse: the reader over the root object, the problems, the config being filled.
class ConfigParser {
 public:
  ConfigParser(Object::Ptr root, ProviderConfig& config)
      : config_(config),
        fields_(std::move(root), "",
                {"allow_private_networks", "ca_files", "cache_dir", "cache_read_only", "concurrency",
                 "dockerhub_budget_reserve", "endpoints", "insecure_registries",
                 "low_speed_limit_bytes", "low_speed_time_seconds", "max_tag_list_bytes",
                 "max_tags", "mirrors", "range_parallelism", "range_part_bytes",
                 "range_threshold_bytes", "report_excluded_tags", "task_timeout_seconds",
                 "timeout_seconds"},
                problems_, "provider config key", /*nullIsAbsent=*/false) {}

  std::vector<std::string> parse() {
    readNumbers();
    fields_.boolean("allow_private_networks", config_.allowPrivateNetworks);
    fields_.boolean("report_excluded_tags", config_.reportExcludedTags);
    fields_.boolean("cache_read_only", config_.cacheReadOnly);
    readInsecureRegistries();
    readCaFiles();
    readCacheDir();
    readMirrors();
    readEndpoints();
    return problems_;
  }

 private:
  template <typename T>
  void number(const char* key, int64_t min, int64_t max, T& into) {
    int64_t v = 0;
    if (fields_.wholeNumber(key, min, max, v)) into = static_cast<T>(v);
  }

  void readNumbers() {
    number("concurrency", 1, ProviderConfig::kMaxConcurrency, config_.concurrency);
    number("range_threshold_bytes", 1, int64_t{1} << 50, config_.rangeThresholdBytes);
    number("range_part_bytes", static_cast<int64_t>(ProviderConfig::kMinRangePartBytes),
           static_cast<int64_t>(ProviderConfig::kMaxRangePartBytes), config_.rangePartBytes);
    number("range_parallelism", 1, ProviderConfig::kMaxRangeParallelism,
           config_.rangeParallelism);
    number("timeout_seconds", 1, ProviderConfig::kMaxTimeoutSeconds, config_.timeoutSeconds);
    number("low_speed_limit_bytes", 0, int64_t{1} << 40, config_.lowSpeedLimitBytes);
    number("low_speed_time_seconds", 1, ProviderConfig::kMaxTimeoutSeconds,
           config_.lowSpeedTimeSeconds);
    number("max_tags", 1, ProviderConfig::kMaxTagsLimit, config_.maxTags);
    number("max_tag_list_bytes", int64_t{1} << 20, int64_t{4} << 30, config_.maxTagListBytes);
    number("task_timeout_seconds", 0, ProviderConfig::kMaxTaskTimeoutSeconds,
           config_.taskTimeoutSeconds);
    number("dockerhub_budget_reserve", 0, ProviderConfig::kMaxBudgetReserve,
           config_.dockerhubBudgetReserve);
  }

  // "endpoints":{"dockerhub":{"registry","auth","hub_api"},"gcr":{"registry"},
  // "quay":{"registry","api"}}: each a scheme://host[:port] URL (auth may carry a path).
  void readEndpoints() {
    auto obj = fields_.object("endpoints",
                              "an object {\"dockerhub\": {\"registry\": \"https://...\"}, ...}");
    if (!obj) return;
    ProviderConfig::Endpoints& e = config_.endpoints;
    struct Slot {
      const char* key;
      std::string* into;
      bool pathAllowed;  // the token realm: only its origin must be well formed
    };
    struct Vendor {
      const char* name;
      std::vector<Slot> slots;
    };
    const Vendor vendors[] = {
        {"dockerhub", {{"auth", &e.dockerhubAuth, true},
                       {"hub_api", &e.dockerhubHubApi, false},
                       {"registry", &e.dockerhubRegistry, false}}},
        {"gcr", {{"registry", &e.gcrRegistry, false}}},
        {"quay", {{"api", &e.quayApi, false}, {"registry", &e.quayRegistry, false}}},
    };
    JsonFieldReader byVendor(obj, "endpoints.", {"dockerhub", "gcr", "quay"}, problems_,
                             "provider config key", /*nullIsAbsent=*/false);
    for (const Vendor& vendor : vendors) {
      auto inner = byVendor.object(vendor.name);
      if (!inner) continue;
      std::set<std::string> known;
      for (const Slot& slot : vendor.slots) known.insert(slot.key);
      const std::string path = std::string("endpoints.") + vendor.name + ".";
      JsonFieldReader fields(inner, path, known, problems_, "provider config key",
                             /*nullIsAbsent=*/false);
      for (const Slot& slot : vendor.slots) {
        std::string url;
        if (!fields.string(slot.key, url)) continue;
        std::string origin = url;
        if (slot.pathAllowed) {
          size_t hostStart = url.find("://");
          if (hostStart != std::string::npos)
            origin = url.substr(0, url.find('/', hostStart + 3));
        }
        auto parsed = registry::VendorEndpoint::parse(origin, path + slot.key);
        if (!parsed) problems_.push_back(parsed.status().message());
        else *slot.into = url;
      }
    }
  }

  // The host[:port] strings of an array, each with its label ("what[i]") for messages.
  std::vector<std::pair<std::string, std::string>> hosts(const Poco::JSON::Array::Ptr& arr,
                                                         const std::string& what) {
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t i = 0; i < arr->size(); ++i) {
      auto e = arr->get(static_cast<unsigned>(i));
      const std::string item = what + "[" + std::to_string(i) + "]";
      if (!e.isString()) {
        problems_.push_back(item + " must be a host[:port] string");
        continue;
      }
      auto hp = HostPort::normalise(e.convert<std::string>(), item);
      if (hp) out.emplace_back(item, *hp); else problems_.push_back(hp.status().message());
    }
    return out;
  }

  void readInsecureRegistries() {
    if (!fields_.has("insecure_registries")) return;
    auto arr = fields_.array("insecure_registries", "an array of host[:port] strings");
    if (!arr) return;
    for (auto& [item, host] : hosts(arr, "insecure_registries"))
      config_.insecureRegistries.insert(std::move(host));
  }

  void readCaFiles() {
    auto obj = fields_.object("ca_files", "an object {\"host[:port]\": \"/path/ca.crt\"}");
    if (!obj) return;
    for (const std::string& host : obj->getNames()) {
      auto hp = HostPort::normalise(host, "ca_files key");
      auto v = obj->get(host);
      if (!hp) {
        problems_.push_back(hp.status().message());
      } else if (!v.isString() || v.convert<std::string>().empty()) {
        problems_.push_back("ca_files[`" + host + "`] must be a file path");
      } else {
        const std::string path = v.convert<std::string>();
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
          problems_.push_back("ca_files[`" + host + "`]: `" + path + "` is not a readable file");
        else
          config_.caFiles[*hp] = path;
      }
    }
  }

  void readCacheDir() {
    if (!fields_.string("cache_dir", config_.cacheDir)) return;
    struct stat st {};
    if (!config_.cacheDir.empty() &&
        (::stat(config_.cacheDir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
      problems_.push_back("cache_dir `" + config_.cacheDir + "` is not an existing directory");
  }

  void readMirrors() {
    auto obj = fields_.object(
        "mirrors", "an object {\"origin host[:port]\": [\"mirror host[:port]\", ...]}");
    if (!obj) return;
    for (const std::string& origin : obj->getNames()) {
      auto from = HostPort::normalise(origin, "mirrors key");
      if (!from) {
        problems_.push_back(from.status().message());
        continue;
      }
      const std::string what = "mirrors[`" + origin + "`]";
      auto arr = obj->getArray(origin);
      if (!arr || arr->size() == 0) {
        problems_.push_back(what + " must be a non-empty array of host[:port] strings");
        continue;
      }
      std::vector<std::string>& list = config_.mirrors[*from];
      for (const auto& [item, to] : hosts(arr, what)) {
        if (to == *from)
          problems_.push_back(item + " `" + to + "` is the origin itself");
        else if (std::find(list.begin(), list.end(), to) != list.end())
          problems_.push_back(what + " lists `" + to + "` twice");
        else
          list.push_back(to);
      }
    }
  }

  ProviderConfig& config_;
  std::vector<std::string> problems_;
  JsonFieldReader fields_;
};

}  // namespace

Result<ProviderConfig> ProviderConfig::parse(const std::string& json) {
  ProviderConfig config;
  if (json.find_first_not_of(" \t\r\n") == std::string::npos) return config;
  Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(json);
    if (v.type() != typeid(Object::Ptr))
      return invalidArgumentError("provider config must be a JSON object");
    root = v.extract<Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return invalidArgumentError("provider config is not valid JSON: " + e.displayText());
  }
  TRIB_RETURN_IF_ERROR(JsonFieldReader::verdict(ConfigParser(root, config).parse()));
  return config;
}

}  // namespace tributary::plugin
