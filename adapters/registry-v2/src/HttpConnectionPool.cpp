#include "HttpConnectionPool.h"

#include <Poco/Exception.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timespan.h>

namespace tributary::registry {

HttpConnectionPool::HttpConnectionPool(ConnectionPoolOptions options)
    : options_(std::move(options)), policy_(options_.allowPrivateNetworks, options_.resolver) {}

Result<Poco::Net::Context::Ptr> HttpConnectionPool::tlsContext() {
  std::lock_guard<std::mutex> lock(tlsMu_);
  if (!tlsTried_) {
    tlsTried_ = true;
    // OpenSSL's library set-up (it seeds the DRBG: a fifth of a plain-HTTP no-op's CPU) is
    // reference counted and, like the CA bundle, only paid once TLS is really used.
    Poco::Net::initializeSSL();
    sslInitialized_ = true;
    // One context per client, shared by its connections: building one loads the system CA
    // store, far too slow per request.
    try {
      Poco::Net::Context::Params params;
      params.caLocation = options_.caFile;
      params.loadDefaultCAs = true;
      params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
      params.verificationDepth = 9;
      params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
      context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      context_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    } catch (const Poco::Exception& e) {
      context_.reset();
      tlsStatus_ = failedPreconditionError(
          "cannot set up TLS" +
          (options_.caFile.empty() ? std::string() : " with CA file " + options_.caFile) + ": " +
          e.displayText());
    }
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
  // Connections and the context go before OpenSSL's set-up is released.
  idle_.clear();
  context_.reset();
  if (sslInitialized_) Poco::Net::uninitializeSSL();
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
  Poco::Timespan t(static_cast<long>(options_.timeoutMs / 1000),
                   static_cast<long>((options_.timeoutMs % 1000) * 1000));
  s->http().setTimeout(t, t, t);
  s->http().setKeepAlive(true);
  return s;
}

void HttpConnectionPool::giveBack(std::unique_ptr<PooledSession> session) {
  if (!session) return;
  session->markReused();
  std::lock_guard<std::mutex> lock(mu_);
  auto& list = idle_[session->key()];
  if (list.size() < options_.maxIdlePerOrigin) list.push_back(std::move(session));
}

}  // namespace tributary::registry
