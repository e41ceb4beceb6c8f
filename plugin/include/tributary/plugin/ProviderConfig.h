// Provider configuration, given to rp_provider_v1.create as JSON:
// {"concurrency":4,"insecure_registries":["127.0.0.1:5001"],"allow_private_networks":false,
//  "ca_files":{"host:port":"/path/ca.crt"},"cache_dir":"/path"}
// Every key is optional; empty text or {} = defaults. Unknown keys are errors.
#pragma once

#include <map>
#include <set>
#include <string>

#include "tributary/Status.h"

namespace tributary::plugin {

struct ProviderConfig {
  static constexpr int kMaxConcurrency = 64;

  int concurrency = 4;                          // blob workers per execute, 1..64
  std::set<std::string> insecureRegistries;     // host[:port] spoken to over plain http
  bool allowPrivateNetworks = false;            // allow loopback/private/link-local sources
  std::map<std::string, std::string> caFiles;   // host[:port] -> PEM file
  std::string cacheDir;                         // "" = memory-only caches

  /// kInvalidArgument listing every problem, one per line.
  static Result<ProviderConfig> parse(const std::string& json);
};

}  // namespace tributary::plugin
