#include "TokenAuthenticator.h"

#include <cctype>
#include <algorithm>
#include <sstream>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "AuthChallenge.h"
#include "HttpErrorMapping.h"

namespace tributary::registry {

namespace {

std::string base64(const std::string& in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) |
                 uint8_t(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
    i += 3;
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string formEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::vector<std::string> splitScopes(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string one;
  while (in >> one) out.push_back(one);
  return out;
}

void addUnique(std::vector<std::string>& to, const std::string& scope) {
  if (!scope.empty() && std::find(to.begin(), to.end(), scope) == to.end()) to.push_back(scope);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

}  // namespace

TokenAuthenticator::TokenAuthenticator(HttpTransport& transport, Credentials credentials,
                                       Url registry, std::set<std::string> insecureHosts)
    : transport_(transport),
      credentials_(std::move(credentials)),
      registry_(std::move(registry)),
      insecureHosts_(std::move(insecureHosts)) {}

bool TokenAuthenticator::listedInsecure(const Url& url) const {
  std::string authority = url.authority(), withPort = authority;
  if (authority.find(':') == std::string::npos || authority.back() == ']')
    withPort += ":" + std::to_string(url.port());
  // "host:*" lists every port of one host (the registry_api publisher's http:// registry and
  // its token service beside it).
  std::string anyPort = withPort.substr(0, withPort.rfind(':')) + ":*";
  for (std::string* s : {&authority, &withPort, &anyPort})
    for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return insecureHosts_.count(authority) > 0 || insecureHosts_.count(withPort) > 0 ||
         insecureHosts_.count(anyPort) > 0;
}

std::string TokenAuthenticator::basicHeader() const {
  return "Basic " + base64(credentials_.username + ":" + credentials_.password);
}

bool TokenAuthenticator::mayReceiveCredentials(const Url& realm) const {
  if (credentials_.realmOrigins.empty()) return true;
  for (const std::string& origin : credentials_.realmOrigins) {
    auto allowed = Url::parse(origin);
    if (allowed.isOk() && allowed->sameOrigin(realm)) return true;
  }
  return false;
}

int TokenAuthenticator::tokenRequests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokenRequests_;
}

bool TokenAuthenticator::isInsufficientScope(const std::vector<std::string>& wwwAuthenticate) {
  for (const auto& c : AuthChallenge::parseHeaders(wwwAuthenticate)) {
    if (c.param("error") == "insufficient_scope") return true;
  }
  return false;
}

Result<std::string> TokenAuthenticator::authorization(const std::string& scope) {
  if (!credentials_.token.empty()) return "Bearer " + credentials_.token;
  std::string realm, service;
  std::vector<std::string> scopes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (scheme_ == Scheme::kUnknown) return std::string();
    if (scheme_ == Scheme::kBasic)
      return hasPassword() && credentials_.realmOrigins.empty() ? basicHeader() : std::string();
    auto it = tokens_.find(scope);
    auto now = std::chrono::system_clock::now();
    if (it != tokens_.end() && now + kRefreshMargin < it->second.expiresAt)
      return "Bearer " + it->second.token;
    realm = realm_;
    service = service_;
    scopes = it != tokens_.end() ? it->second.scopes : std::vector<std::string>{};
    addUnique(scopes, scope);
  }
  std::lock_guard<std::mutex> fetchLock(fetchMu_);
  {
    // Another thread may have refreshed it while we waited.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(scope);
    if (it != tokens_.end() && std::chrono::system_clock::now() + kRefreshMargin < it->second.expiresAt)
      return "Bearer " + it->second.token;
  }
  TRIB_ASSIGN_OR_RETURN(CachedToken token, fetchToken(realm, service, scopes));
  token.scopes = scopes;
  std::string header = "Bearer " + token.token;
  std::lock_guard<std::mutex> lock(mu_);
  tokens_[scope] = std::move(token);
  return header;
}

Result<std::string> TokenAuthenticator::onUnauthorized(const std::vector<std::string>& wwwAuthenticate,
                                          const std::string& scope, bool sentBasic) {
  const std::string where = "registry " + registry_.authority();
  if (!credentials_.token.empty())
    return unauthenticatedError(where + " rejected the configured token");
  auto challenges = AuthChallenge::parseHeaders(wwwAuthenticate);
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic = nullptr;
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  if (!bearer && basic) {
    if (!hasPassword() || !credentials_.realmOrigins.empty())  // pinned: token service only
      return unauthenticatedError(where +
                                  " requires HTTP Basic authentication; no credentials are configured");
    std::lock_guard<std::mutex> lock(mu_);
    if (scheme_ == Scheme::kBasic && sentBasic)
      return unauthenticatedError(where + " rejected the configured credentials (Basic)");
    scheme_ = Scheme::kBasic;
    return basicHeader();
  }
  if (!bearer)
    return unauthenticatedError(where + " answered 401 without a Bearer or Basic challenge");
  std::string realm = bearer->param("realm");
  if (realm.empty())
    return unauthenticatedError(where + " sent a Bearer challenge without a realm");
  std::string service = bearer->param("service");  // optional (some Artifact Registry hosts)

  std::vector<std::string> scopes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(scope);
    if (it != tokens_.end()) scopes = it->second.scopes;
  }
  addUnique(scopes, scope);
  for (const auto& s : splitScopes(bearer->param("scope"))) addUnique(scopes, s);

  std::lock_guard<std::mutex> fetchLock(fetchMu_);
  TRIB_ASSIGN_OR_RETURN(CachedToken token, fetchToken(realm, service, scopes));
  token.scopes = scopes;
  std::string header = "Bearer " + token.token;
  std::lock_guard<std::mutex> lock(mu_);
  scheme_ = Scheme::kBearer;
  realm_ = realm;
  service_ = service;
  tokens_[scope] = std::move(token);
  return header;
}

Result<TokenAuthenticator::CachedToken> TokenAuthenticator::fetchToken(
    const std::string& realm, const std::string& service, const std::vector<std::string>& scopes) {
  auto realmUrl = Url::parse(realm);
  if (!realmUrl.isOk())
    return unauthenticatedError("registry " + registry_.authority() + " sent an unusable token realm: " +
                                realmUrl.status().message());
  const std::string context = "requesting a token from " + realmUrl->origin() + " for " +
                              (scopes.empty() ? std::string("no scope") : join(scopes, " "));
  // Credentials (or a token usable against an https registry) must not travel in clear text.
  if (registry_.isHttps() && !realmUrl->isHttps())
    return permissionDeniedError(context + ": the realm is plain http while the registry is https; refused");
  // A plain-http registry may name any realm: credentials go there in clear text only when the
  // operator listed that very host:port as insecure, not because the registry was.
  if (!realmUrl->isHttps() && hasPassword() && !listedInsecure(*realmUrl))
    return permissionDeniedError(context + ": the realm is plain http and " +
                                 realmUrl->authority() +
                                 " is not in insecure_registries; credentials are not sent "
                                 "there in clear text");

  // A realm other than the pinned token service gets an anonymous request: the registry (or
  // whoever answers in its name) must not be able to steer the credentials elsewhere.
  const bool withCredentials = hasPassword() && mayReceiveCredentials(*realmUrl);
  bool tryPost = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tryPost = withCredentials && !postUnsupported_;
  }
  if (tryPost) {
    HttpRequest req;
    req.method = "POST";
    req.url = *realmUrl;
    req.contentType = "application/x-www-form-urlencoded";
    req.body = "grant_type=password&client_id=tributary";
    if (!service.empty()) req.body += "&service=" + formEncode(service);
    if (!scopes.empty()) req.body += "&scope=" + formEncode(join(scopes, " "));
    req.body += "&username=" + formEncode(credentials_.username) +
                "&password=" + formEncode(credentials_.password);
    req.headers.emplace_back("Accept", "application/json");
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++tokenRequests_;
    }
    TRIB_ASSIGN_OR_RETURN(auto ex, transport_.send(req, context));
    if (ex->status() == 404 || ex->status() == 405) {
      ex->discard();
      std::lock_guard<std::mutex> lock(mu_);
      postUnsupported_ = true;  // the realm only speaks the GET token protocol
    } else {
      TRIB_ASSIGN_OR_RETURN(std::string body, ex->readAll(1 << 20, "token response"));
      if (ex->status() == 200) return parseTokenResponse(body, context);
      if (ex->status() == 401 || ex->status() == 400)
        return unauthenticatedError(context + ": the token service rejected the configured credentials (HTTP " +
                                    std::to_string(ex->status()) + ")");
      return HttpErrorMapping::fromHttpStatus(ex->status(), ex->head().reason, body, context);
    }
  }

  std::string target = realmUrl->target();
  std::string query;
  if (!service.empty()) query += "service=" + formEncode(service);
  for (const auto& s : scopes) query += (query.empty() ? "" : "&") + std::string("scope=") + formEncode(s);
  if (withCredentials) query += (query.empty() ? "" : "&") + std::string("account=") + formEncode(credentials_.username);
  if (!query.empty()) target += (target.find('?') == std::string::npos ? "?" : "&") + query;
  HttpRequest req;
  req.url = *realmUrl->resolve(target);
  req.headers.emplace_back("Accept", "application/json");
  if (withCredentials) req.headers.emplace_back("Authorization", basicHeader());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++tokenRequests_;
  }
  TRIB_ASSIGN_OR_RETURN(auto ex, transport_.send(req, context));
  TRIB_ASSIGN_OR_RETURN(std::string body, ex->readAll(1 << 20, "token response"));
  if (ex->status() == 200) return parseTokenResponse(body, context);
  if (ex->status() == 401) {
    return unauthenticatedError(context + (withCredentials
                                               ? ": the token service rejected the configured credentials"
                                               : ": the token service requires credentials; none are configured"));
  }
  return HttpErrorMapping::fromHttpStatus(ex->status(), ex->head().reason, body, context);
}

Result<TokenAuthenticator::CachedToken> TokenAuthenticator::parseTokenResponse(
    const std::string& body, const std::string& context) {
  CachedToken out;
  auto now = std::chrono::system_clock::now();
  try {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (!obj) return unauthenticatedError(context + ": token response is not a JSON object");
    out.token = obj->optValue<std::string>("token", "");
    if (out.token.empty()) out.token = obj->optValue<std::string>("access_token", "");
    if (out.token.empty())
      return unauthenticatedError(context + ": token response has neither `token` nor `access_token`");
    if (credentials_.onIssuedToken) credentials_.onIssuedToken(out.token);
    long long expiresIn = 0;
    if (obj->has("expires_in")) {
      try {
        expiresIn = obj->get("expires_in").convert<long long>();
      } catch (const Poco::Exception&) {
        expiresIn = 0;
      }
    }
    auto lifetime = std::max<std::chrono::seconds>(kMinimumLifetime, std::chrono::seconds(expiresIn));
    auto issued = now;
    std::string issuedAt = obj->optValue<std::string>("issued_at", "");
    if (!issuedAt.empty()) {
      Poco::DateTime dt;
      int tz = 0;
      if (Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, issuedAt, dt, tz) ||
          Poco::DateTimeParser::tryParse(issuedAt, dt, tz)) {
        dt.makeUTC(tz);
        auto micros = dt.timestamp().epochMicroseconds();
        auto parsed = std::chrono::system_clock::time_point(std::chrono::microseconds(micros));
        // A server clock far ahead of ours must not make a token look valid for longer.
        if (parsed < now) issued = parsed;
      }
    }
    out.expiresAt = issued + lifetime;
  } catch (const Poco::Exception& e) {
    return unauthenticatedError(context + ": token response is not valid JSON (" + e.displayText() + ")");
  }
  return out;
}

}  // namespace tributary::registry
