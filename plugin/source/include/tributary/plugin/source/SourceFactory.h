// Builds what one plan/execute needs to read a rule's source: the registry client (TLS,
// insecure and private-network settings, CA file, socket timeout, credentials and
// cancellation from the provider config and task), a reader over it, and the rule type's SourceAdapter.
// With `acceleration` on and mirrors configured for the source host, one client per mirror
// (its own insecure/CA settings, no credentials: the rule's secret belongs to the origin, and
// one try per request: the origin is the fallback), and the reader becomes a
// MirroredRegistryReader. Without acceleration mirrors are not used.
// Every session has a ContentStore: the reader given to the adapter, planner and engine is a
// CachingRegistryReader over it, so each manifest and config is fetched once per run, and the
// blob transfer writes configs it already holds from memory.
// Only `custom` is implemented here; the other types answer kUnimplemented until their
// adapters land.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "tributary/registry/ContentStore.h"
#include "tributary/JsonFileCache.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/plugin/host/Logger.h"
#include "tributary/plugin/config/ProviderConfig.h"
#include "tributary/plugin/config/Rule.h"
#include "tributary/plugin/source/SourceEndpoints.h"
#include "tributary/registry/RegistryClient.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::plugin {

/// Members are destroyed bottom-up: the adapter and readers before the clients they borrow.
struct SourceSession {
  std::unique_ptr<registry::RegistryClient> client;  // the origin
  std::vector<std::unique_ptr<registry::RegistryClient>> mirrorClients;
  std::unique_ptr<registry::RegistryReader> originReader;
  std::vector<std::unique_ptr<registry::RegistryReader>> mirrorReaders;
  std::unique_ptr<SourceEndpoints> endpoints;  // mirrors (when in use), then the origin
  /// Manifests and configs of this run (before the readers that use it).
  std::unique_ptr<registry::ContentStore> contents;
  /// Mirrored when mirrors are in use, else the origin; not cached.
  std::unique_ptr<registry::RegistryReader> directReader;
  /// For tags, manifests and configs: `directReader` through `contents`.
  std::unique_ptr<registry::RegistryReader> reader;
  std::unique_ptr<registry::SourceAdapter> adapter;
};

class SourceFactory {
 public:
  static Result<std::unique_ptr<SourceSession>> open(const Rule& rule,
                                                     const ProviderConfig& config,
                                                     registry::Credentials credentials,
                                                     std::function<bool()> isCancelled,
                                                     JsonFileCache& createdCache,
                                                     Logger& logger);
};

}  // namespace tributary::plugin
