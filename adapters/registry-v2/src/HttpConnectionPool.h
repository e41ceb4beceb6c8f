// Keep-alive connections per origin (scheme+host+port), shared by all threads of one
// RegistryClient, and the one TLS context they use. The context is asked for on the first
// https connection, not up front: building it parses the whole system CA bundle (tens of ms,
// most of a no-op run's CPU), which a plain-HTTP source never needs. It comes from the
// provider's TlsContexts when the options carry one (built once for every run), else from the
// pool's own.
//
// With an IdleConnections (a provider's) in the options, a checkout that finds no idle
// connection of its own takes one a previous client left there, and the pool leaves its idle
// connections there when it goes: consecutive runs against one registry reuse connections.
// Not with an injected resolver (tests that play a rebinding DNS expect each client to look
// its hosts up itself).
//
// Thread rules: checkout/giveBack may be called from any thread (internally locked). A checked
// out session belongs to the caller until it is given back or destroyed.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>

#include "AddressPolicy.h"
#include "PooledSession.h"
#include "Url.h"
#include "tributary/registry/IdleConnections.h"
#include "tributary/registry/TlsContexts.h"
#include "tributary/Status.h"

namespace tributary::registry {

struct ConnectionPoolOptions {
  std::string caFile;  // extra trusted CAs (PEM) besides the system store
  bool allowPrivateNetworks = false;
  int timeoutMs = 30000;
  size_t maxIdlePerOrigin = 8;
  /// Empty = the system resolver. Each new connection resolves its host once, through this.
  AddressPolicy::Resolver resolver;
  /// Shared TLS contexts (a provider's); null = the pool keeps its own.
  std::shared_ptr<TlsContexts> tlsContexts;
  /// Connections shared with the provider's other clients, before and after this one; null =
  /// this pool's connections end with it.
  std::shared_ptr<IdleConnections> idleConnections;
};

class HttpConnectionPool {
 public:
  explicit HttpConnectionPool(ConnectionPoolOptions options);
  ~HttpConnectionPool();

  /// A connection to `url`'s origin: an idle one, or a new one after the address policy
  /// accepted the host. Fails when TLS could not be set up (bad CA file) or the host is refused.
  Result<std::unique_ptr<PooledSession>> checkout(const Url& url);

  /// Returns a connection whose last response was read completely and may be kept alive.
  void giveBack(std::unique_ptr<PooledSession> session);

  const AddressPolicy& addressPolicy() const { return policy_; }

  /// Non-OK when the TLS context could not be built (reported by every checkout of https).
  /// Builds the context if no https connection has done so yet.
  Status tlsSetupStatus();

  /// True once the TLS context exists (for tests: plain-HTTP use must never build it).
  bool tlsContextBuilt() const;

 private:
  /// The shared context, built once on first use (thread-safe); an error if that failed.
  Result<Poco::Net::Context::Ptr> tlsContext();
  /// The IdleConnections key of `origin`: the origin, the address policy and, for https, the
  /// TLS context (a CA file rebuilt since gives another key).
  std::string sharedKey(const std::string& origin, const Poco::Net::Context* context) const;
  /// The options' timeouts and keep-alive on a session about to be handed out.
  void prepare(PooledSession& session) const;

  ConnectionPoolOptions options_;
  AddressPolicy policy_;
  mutable std::mutex tlsMu_;  // held while the context is built, so it is built once
  bool tlsTried_ = false;            // guarded by tlsMu_
  Poco::Net::Context::Ptr context_;  // guarded by tlsMu_
  Status tlsStatus_;                 // guarded by tlsMu_
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<PooledSession>>> idle_;  // guarded by mu_
};

}  // namespace tributary::registry
