// One configured provider instance: what rp_provider_v1's functions do, in C++ terms. The ABI
// boundary (ProviderAbi.cpp) owns one of these per rp_provider_ptr.
//
// Thread rules: every method may be called from several threads at once (the caches are
// synchronised; everything else is per call).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "tributary/Version.h"
#include "tributary/JsonFileCache.h"
#include "tributary/custom/TagListMemory.h"
#include "tributary/plugin/host/Logger.h"
#include "tributary/plugin/config/ProviderConfig.h"
#include "tributary/plugin/config/Rule.h"
#include "tributary/plugin/host/SecretStore.h"
#include "tributary/SecretRedactor.h"
#include "tributary/plugin/host/Storage.h"
#include "tributary/plugin/host/TaskContext.h"
#include "tributary/plugin/report/RunReport.h"
#include "tributary/registry/IdleConnections.h"
#include "tributary/registry/RegistryClient.h"
#include "tributary/registry/TlsContexts.h"

namespace tributary::plugin {

class Provider {
 public:
  static constexpr const char* kName = "tributary";
  static constexpr const char* kVersion = TRIBUTARY_VERSION;

  Provider(ProviderConfig config, Storage& storage, Logger& logger, SecretStore& secrets);

  /// {"name","version","source_types":[{"type","max_latest_n","requires_domain"}],
  ///  "rule_schema":{...}}
  static std::string info();

  /// The normalised rule JSON.
  Result<std::string> validateRule(const std::string& ruleJson) const;
  /// A dry run or an execute: the plan, then (execute) applying it. `status` is OK when the
  /// run reached the end (tags may have failed: see the report's status) and says why when it
  /// could not happen at all; `report` is set whenever the rule was valid, so a run that could
  /// not happen is still reported (status failed; the ABI boundary adds its error).
  struct Run {
    Status status;
    std::optional<RunReport> report;
  };
  Run plan(const std::string& ruleJson, TaskContext& task);
  Run execute(const std::string& ruleJson, TaskContext& task);

  /// Every secret this provider has handled (credentials looked up, tokens issued for them):
  /// whatever leaves the provider — log lines, error messages, reports, progress — goes
  /// through redact() at the ABI boundary.
  const SecretRedactor& redactor() const { return redactor_; }

 private:
  Run run(const std::string& ruleJson, TaskContext& task, bool dryRun);
  /// The plan's first half and, unless a dry run, its application.
  Result<RunReport> planAndApply(const Rule& rule, TaskContext& task, bool dryRun,
                                 RunReport::Source& source);
  Result<registry::Credentials> credentialsFor(const Rule& rule);
  void logAcceleration(const Rule& rule, const std::string& originHost);

  const ProviderConfig config_;
  Storage& storage_;
  Logger& logger_;
  SecretStore& secrets_;
  SecretRedactor redactor_;
  JsonFileCache createdCache_;  // manifest digest -> image created ms (custom)
  JsonFileCache choiceCache_;   // index digest|platform -> chosen child digest
  custom::TagListMemory tagMemory_;  // a rule's last listing, HEADed early by the next (custom)
  // TLS contexts of every run's clients: the system CA store is parsed once per provider.
  std::shared_ptr<registry::TlsContexts> tlsContexts_ = std::make_shared<registry::TlsContexts>();
  // Keep-alive connections one run leaves for the next (after tlsContexts_: closed first).
  std::shared_ptr<registry::IdleConnections> idleConnections_ =
      std::make_shared<registry::IdleConnections>();
};

}  // namespace tributary::plugin
