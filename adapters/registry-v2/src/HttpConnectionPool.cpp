#include "HttpConnectionPool.h"

#include <cstdio>

#include <Poco/Exception.h>
#include <Poco/Timespan.h>

namespace tributary::registry {

HttpConnectionPool::HttpConnectionPool(ConnectionPoolOptions options)
    : options_(std::move(options)), policy_(options_.allowPrivateNetworks, options_.resolver) {
  // Without a provider's contexts the pool keeps its own (cheap until TLS is used).
  if (!options_.tlsContexts) options_.tlsContexts = std::make_shared<TlsContexts>();
}

Result<Poco::Net::Context::Ptr> HttpConnectionPool::tlsContext() {
  std::lock_guard<std::mutex> lock(tlsMu_);
  if (!tlsTried_) {
    tlsTried_ = true;
    // One context per client at least, shared by its connections: building one loads the
    // system CA store, far too slow per request (and, with a provider's TlsContexts, per run).
    auto context = options_.tlsContexts->get(options_.caFile);
    if (context.isOk()) context_ = *context;
    else tlsStatus_ = context.status();
  }
  if (!tlsStatus_.isOk()) return tlsStatus_;
  return context_;
}

Status HttpConnectionPool::tlsSetupStatus() { return tlsContext().status(); }

bool HttpConnectionPool::tlsContextBuilt() const {
  std::lock_guard<std::mutex> lock(tlsMu_);
  return !context_.isNull();
}

HttpConnectionPool::~HttpConnectionPool() {
  if (options_.idleConnections && !options_.resolver) {
    Poco::Net::Context::Ptr context;
    {
      std::lock_guard<std::mutex> lock(tlsMu_);
      context = context_;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [origin, list] : idle_) {
      const bool https = origin.rfind("https://", 0) == 0;
      for (auto& session : list)
        options_.idleConnections->put(sharedKey(origin, https ? context.get() : nullptr),
                                      std::move(session));
    }
  }
  // Connections and the context go before the TlsContexts (options_, destroyed last), which
  // releases OpenSSL's set-up when it is the pool's own.
  idle_.clear();
  context_.reset();
}

Result<std::unique_ptr<PooledSession>> HttpConnectionPool::checkout(const Url& url) {
  const std::string key = url.origin();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(key);
    if (it != idle_.end() && !it->second.empty()) {
      auto s = std::move(it->second.back());
      it->second.pop_back();
      return s;
    }
  }
  if (options_.idleConnections && !options_.resolver) {
    Poco::Net::Context::Ptr context;
    if (url.isHttps()) {
      TRIB_ASSIGN_OR_RETURN(context, tlsContext());
    }
    if (auto s = options_.idleConnections->take(sharedKey(key, context.get()))) {
      prepare(*s);
      return s;
    }
  }
  // A new connection: this is where a host (registry, realm or redirect target) is vetted,
  // and the session connects to exactly the address that passed (no second lookup).
  TRIB_ASSIGN_OR_RETURN(Poco::Net::IPAddress address, policy_.vet(url.host(), "host"));
  std::unique_ptr<PooledSession> s;
  if (url.isHttps()) {
    TRIB_ASSIGN_OR_RETURN(Poco::Net::Context::Ptr context, tlsContext());
    s = PooledSession::createTls(key, url.host(), address, url.port(), std::move(context));
  } else {
    s = PooledSession::createPlain(key, url.host(), address, url.port());
  }
  prepare(*s);
  return s;
}

void HttpConnectionPool::prepare(PooledSession& session) const {
  Poco::Timespan t(static_cast<long>(options_.timeoutMs / 1000),
                   static_cast<long>((options_.timeoutMs % 1000) * 1000));
  session.http().setTimeout(t, t, t);
  session.http().setKeepAlive(true);
}

std::string HttpConnectionPool::sharedKey(const std::string& origin,
                                          const Poco::Net::Context* context) const {
  // A context stays alive while a connection made with it is kept, so its address is not
  // reused by another context meanwhile.
  char ctx[32] = "";
  if (context != nullptr) std::snprintf(ctx, sizeof(ctx), "%p", static_cast<const void*>(context));
  return origin + (options_.allowPrivateNetworks ? " private-ok " : " public-only ") + ctx;
}

void HttpConnectionPool::giveBack(std::unique_ptr<PooledSession> session) {
  if (!session) return;
  session->markReused();
  std::lock_guard<std::mutex> lock(mu_);
  auto& list = idle_[session->key()];
  if (list.size() < options_.maxIdlePerOrigin) list.push_back(std::move(session));
}

}  // namespace tributary::registry
