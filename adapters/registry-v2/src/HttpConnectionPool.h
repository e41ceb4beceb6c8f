// Keep-alive connections per origin (scheme+host+port), shared by all threads of one
// RegistryClient, and the one TLS context they use.
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
#include "tributary/Status.h"

namespace tributary::registry {

struct ConnectionPoolOptions {
  std::string caFile;  // extra trusted CAs (PEM) besides the system store
  bool allowPrivateNetworks = false;
  int timeoutMs = 30000;
  size_t maxIdlePerOrigin = 8;
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
  const Status& tlsSetupStatus() const { return tlsStatus_; }

 private:
  ConnectionPoolOptions options_;
  AddressPolicy policy_;
  Poco::Net::Context::Ptr context_;
  Status tlsStatus_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<PooledSession>>> idle_;  // guarded by mu_
};

}  // namespace tributary::registry
