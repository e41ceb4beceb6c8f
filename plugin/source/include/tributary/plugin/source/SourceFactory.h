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
// Vendor types: the registry host comes from the provider config's `endpoints` (defaults: the
// real hosts; gcr: the rule's Google host, gcr.io replaceable); the credentials are pinned to
// the vendor's token service (Credentials::realmOrigins). dockerhub adds a pull budget read
// from every registry response, a reader that spends it on manifest GETs, no repeat of a 429,
// and a Hub API client; quay a REST API client (the secret's `token` goes only there). Every
// vendor source gets a custom adapter over the same reader as its created-order fallback.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "tributary/dockerhub/DockerHubPullBudget.h"
#include "tributary/registry/ContentStore.h"
#include "tributary/JsonFileCache.h"
#include "tributary/custom/TagListMemory.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/plugin/host/Logger.h"
#include "tributary/plugin/config/ProviderConfig.h"
#include "tributary/plugin/config/Rule.h"
#include "tributary/plugin/source/SourceEndpoints.h"
#include "tributary/registry/RegistryClient.h"
#include "tributary/registry/IdleConnections.h"
#include "tributary/registry/SourceAdapter.h"
#include "tributary/registry/TlsContexts.h"

namespace tributary::plugin {

/// Members are destroyed bottom-up: the adapter and readers before the clients they borrow.
struct SourceSession {
  /// Docker Hub only: outlives the client whose response observer feeds it.
  std::unique_ptr<dockerhub::DockerHubPullBudget> budget;
  std::unique_ptr<registry::RegistryClient> client;  // the origin
  std::unique_ptr<registry::RegistryClient> apiClient;  // vendor REST API (Hub, Quay)
  std::unique_ptr<registry::RegistryReader> rawOriginReader;  // under the budget gate
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
  std::unique_ptr<registry::SourceAdapter> fallback;  // vendor types: created order
  std::unique_ptr<registry::SourceAdapter> adapter;
  /// Set by any 401 from the source or its mirrors during this run (custom sources: a listing
  /// that was challenged is not remembered, see TagListMemory). Shared with the clients'
  /// response observers, so it outlives them.
  std::shared_ptr<std::atomic<bool>> challenged = std::make_shared<std::atomic<bool>>(false);
};

class SourceFactory {
 public:
  static Result<std::unique_ptr<SourceSession>> open(const Rule& rule,
                                                     const ProviderConfig& config,
                                                     registry::Credentials credentials,
                                                     std::function<bool()> isCancelled,
                                                     JsonFileCache& createdCache,
                                                     Logger& logger,
                                                     custom::TagListMemory* tagMemory = nullptr,
                                                     std::shared_ptr<registry::TlsContexts> tls =
                                                         nullptr,
                                                     std::shared_ptr<registry::IdleConnections>
                                                         idle = nullptr);
};

}  // namespace tributary::plugin
