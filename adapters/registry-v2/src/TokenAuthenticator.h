// Authentication towards one registry host (registry-facts §C.1): learns the scheme from the
// first 401 challenge, then sends Basic on every request (Basic-only registries) or fetches
// Bearer tokens from the realm — OAuth2 POST with password credentials (GET fallback on 404),
// else GET with optional Basic — caches them per scope until shortly before they expire.
// A ready token from the credentials is sent as Bearer as-is.
//
// Thread rules: all methods may be called from several threads; the challenge and the token
// cache are guarded by mu_, token fetches are serialised by fetchMu_.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "HttpTransport.h"
#include "Url.h"
#include "tributary/Status.h"
#include "tributary/registry/RegistryClient.h"

namespace tributary::registry {

class TokenAuthenticator {
 public:
  /// Tokens are refreshed this long before they expire.
  static constexpr std::chrono::seconds kRefreshMargin{10};
  /// Tokens that say they live shorter (or do not say) are taken to live this long.
  static constexpr std::chrono::seconds kMinimumLifetime{60};

  /// `insecureHosts`: host[:port] (lower case) of the provider's insecure_registries; a realm
  /// on plain http gets credentials only when its own host:port is listed there.
  TokenAuthenticator(HttpTransport& transport, Credentials credentials, Url registry,
                     std::set<std::string> insecureHosts = {});

  /// The Authorization value for a registry request needing `scope`
  /// ("repository:<name>:pull"); "" to send none (anonymous until a challenge says otherwise).
  Result<std::string> authorization(const std::string& scope);

  /// Handles a 401: parses its challenges and obtains fresh credentials for `scope` (merged
  /// with the challenge's scopes). Returns the Authorization value for the one retry — used
  /// as is, even when the token is already inside the refresh margin.
  /// `sentBasic`: the refused request carried our Basic credentials. False when it went out
  /// anonymously because another thread had not learned the scheme yet: then a Basic challenge
  /// is answered with Basic again rather than taken as a rejection.
  Result<std::string> onUnauthorized(const std::vector<std::string>& wwwAuthenticate,
                                     const std::string& scope, bool sentBasic = true);

  /// True when a challenge says error="insufficient_scope" (RFC 6750).
  static bool isInsufficientScope(const std::vector<std::string>& wwwAuthenticate);

  /// Token requests made so far (for tests and metrics).
  int tokenRequests() const;

 private:
  enum class Scheme { kUnknown, kBasic, kBearer };
  struct CachedToken {
    std::string token;
    std::chrono::system_clock::time_point expiresAt;
    std::vector<std::string> scopes;
  };

  Result<CachedToken> fetchToken(const std::string& realm, const std::string& service,
                                 const std::vector<std::string>& scopes);
  Result<CachedToken> parseTokenResponse(const std::string& body, const std::string& context);
  std::string basicHeader() const;
  bool listedInsecure(const Url& url) const;
  bool hasPassword() const { return !credentials_.username.empty() || !credentials_.password.empty(); }
  /// Whether the username/password may be sent to `realm` (Credentials::realmOrigins).
  bool mayReceiveCredentials(const Url& realm) const;

  HttpTransport& transport_;
  const Credentials credentials_;
  const Url registry_;
  const std::set<std::string> insecureHosts_;

  mutable std::mutex mu_;
  Scheme scheme_ = Scheme::kUnknown;             // guarded by mu_
  std::string realm_;                            // guarded by mu_
  std::string service_;                          // guarded by mu_
  std::map<std::string, CachedToken> tokens_;    // by requested scope; guarded by mu_
  bool postUnsupported_ = false;                 // realm answered 404 to POST; guarded by mu_
  int tokenRequests_ = 0;                        // guarded by mu_

  std::mutex fetchMu_;  // one token fetch at a time: concurrent workers share the result
};

}  // namespace tributary::registry
