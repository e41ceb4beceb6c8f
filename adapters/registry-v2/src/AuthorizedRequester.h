// Requests to one registry with authentication and redirects: adds the Authorization the
// TokenAuthenticator says (only towards the registry's own origin), re-authenticates once on a
// 401, and follows 301/302/303/307/308 up to 5 hops, never from https to http. Redirect
// targets and token realms pass the address policy when the pool connects to them.
//
// Thread rules: open() may be called from several threads at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "HttpTransport.h"
#include "TokenAuthenticator.h"
#include "Url.h"
#include "tributary/Status.h"

namespace tributary::registry {

class AuthorizedRequester {
 public:
  static constexpr int kMaxRedirects = 5;

  AuthorizedRequester(HttpTransport& transport, TokenAuthenticator& authenticator, Url registry);

  /// Sends `request` (retried by the transport for retryable failures) and returns the final
  /// response of any status except: a 401/403 saying insufficient_scope is kPermissionDenied,
  /// a 401 after re-authentication is returned as is. `scope` is what the request needs
  /// ("repository:<name>:pull"); `context` prefixes every error.
  Result<std::unique_ptr<HttpExchange>> open(HttpRequest request, const std::string& scope,
                                             const std::string& context);

  /// Sees every response from the registry's own origin (RegistryClientOptions::onRegistryResponse).
  void setResponseObserver(std::function<void(const std::string&, int,
                                              const std::map<std::string, std::string>&)> o) {
    observer_ = std::move(o);
  }

  const Url& registry() const { return registry_; }
  HttpTransport& transport() { return transport_; }

 private:
  HttpTransport& transport_;
  TokenAuthenticator& authenticator_;
  const Url registry_;
  std::function<void(const std::string&, int, const std::map<std::string, std::string>&)> observer_;
};

}  // namespace tributary::registry
