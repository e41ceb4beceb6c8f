// One configured provider instance: what rp_provider_v1's functions do, in C++ terms. The ABI
// boundary (ProviderAbi.cpp) owns one of these per rp_provider_ptr.
//
// Thread rules: every method may be called from several threads at once (the caches are
// synchronised; everything else is per call).
#pragma once

#include <memory>
#include <string>

#include "tributary/registry/JsonFileCache.h"
#include "tributary/plugin/host/Logger.h"
#include "tributary/plugin/config/ProviderConfig.h"
#include "tributary/plugin/config/Rule.h"
#include "tributary/plugin/host/SecretStore.h"
#include "tributary/plugin/host/Storage.h"
#include "tributary/plugin/host/TaskContext.h"
#include "tributary/registry/RegistryClient.h"

namespace tributary::plugin {

class Provider {
 public:
  static constexpr const char* kName = "tributary";
  static constexpr const char* kVersion = "0.1.0";

  Provider(ProviderConfig config, Storage& storage, Logger& logger, SecretStore& secrets);

  /// {"name","version","source_types":[{"type","max_latest_n","requires_domain"}],
  ///  "rule_schema":{...}}
  static std::string info();

  /// The normalised rule JSON.
  Result<std::string> validateRule(const std::string& ruleJson) const;
  /// Plan JSON (see PlanReport).
  Result<std::string> plan(const std::string& ruleJson, TaskContext& task);
  /// Report JSON (see SyncReport).
  Result<std::string> execute(const std::string& ruleJson, TaskContext& task);

 private:
  Result<registry::Credentials> credentialsFor(const Rule& rule);

  const ProviderConfig config_;
  Storage& storage_;
  Logger& logger_;
  SecretStore& secrets_;
  registry::JsonFileCache createdCache_;  // manifest digest -> image created ms (custom)
  registry::JsonFileCache choiceCache_;   // index digest|platform -> chosen child digest
};

}  // namespace tributary::plugin
