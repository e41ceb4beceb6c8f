// Builds what one plan/execute needs to read a rule's source: the registry client (TLS,
// insecure and private-network settings, CA file, credentials and cancellation from the
// provider config and task), a reader over it, and the rule type's SourceAdapter.
// Only `custom` is implemented here; the other types answer kUnimplemented until their
// adapters land.
#pragma once

#include <functional>
#include <memory>

#include "tributary/registry/JsonFileCache.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/plugin/ProviderConfig.h"
#include "tributary/plugin/Rule.h"
#include "tributary/registry/RegistryClient.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

/// Members are destroyed bottom-up: the adapter and reader before the client they borrow.
struct SourceSession {
  std::unique_ptr<registry::RegistryClient> client;
  std::unique_ptr<registry::RegistryReader> reader;
  std::unique_ptr<registry::SourceAdapter> adapter;
};

class SourceFactory {
 public:
  static Result<std::unique_ptr<SourceSession>> open(const Rule& rule,
                                                     const ProviderConfig& config,
                                                     registry::Credentials credentials,
                                                     std::function<bool()> isCancelled,
                                                     registry::JsonFileCache& createdCache);
};

}  // namespace tributary::plugin
