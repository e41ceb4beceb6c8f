#include "AuthorizedRequester.h"

#include <algorithm>

namespace tributary::registry {

namespace {
bool isRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}
}  // namespace

AuthorizedRequester::AuthorizedRequester(HttpTransport& transport,
                                         TokenAuthenticator& authenticator, Url registry)
    : transport_(transport), authenticator_(authenticator), registry_(std::move(registry)) {}

Result<std::unique_ptr<HttpExchange>> AuthorizedRequester::open(HttpRequest request,
                                                                const std::string& scope,
                                                                const std::string& context) {
  const auto baseHeaders = request.headers;
  bool reauthenticated = false;
  std::string freshAuthorization;  // from the re-authentication, for the one retry
  int hops = 0;
  while (true) {
    request.headers = baseHeaders;
    const bool toRegistry = request.url.sameOrigin(registry_);
    // Authorization only ever goes to the registry's own origin: a CDN or presigned URL must
    // neither see the token nor get two auth mechanisms (S3 refuses that).
    if (toRegistry && !freshAuthorization.empty()) {
      request.headers.emplace_back("Authorization", freshAuthorization);
    } else if (toRegistry) {
      auto auth = authenticator_.authorization(scope);
      if (!auth.isOk()) return auth.status().withContext(context);
      if (!auth->empty()) request.headers.emplace_back("Authorization", *auth);
    }
    TRIB_ASSIGN_OR_RETURN(auto ex, transport_.send(request, context));
    const int status = ex->status();
    if (toRegistry && observer_) observer_(request.method, status, ex->head().headers);
    if ((status == 401 || status == 403) &&
        TokenAuthenticator::isInsufficientScope(ex->head().wwwAuthenticate) &&
        (reauthenticated || !toRegistry || status == 403)) {
      return permissionDeniedError(context + ": the registry says the credentials lack scope `" +
                                   scope + "` (insufficient_scope); they may not pull this repository");
    }
    if (status == 401 && toRegistry && !reauthenticated) {
      reauthenticated = true;
      auto challenges = ex->head().wwwAuthenticate;
      ex->discard();
      auto fresh = authenticator_.onUnauthorized(challenges, scope);
      if (!fresh.isOk()) return fresh.status().withContext(context);
      freshAuthorization = *fresh;
      continue;
    }
    if (isRedirect(status)) {
      std::string location = ex->head().header("location");
      ex->discard();
      if (location.empty())
        return failedPreconditionError(context + ": HTTP " + std::to_string(status) +
                                       " redirect without a Location header");
      if (++hops > kMaxRedirects)
        return failedPreconditionError(context + ": more than " + std::to_string(kMaxRedirects) +
                                       " redirects");
      auto next = request.url.resolve(location);
      if (!next.isOk())
        return failedPreconditionError(context + ": unusable redirect: " + next.status().message());
      if (request.url.isHttps() && !next->isHttps())
        return permissionDeniedError(context + ": refusing redirect from https to plain http (" +
                                     next->origin() + ")");
      if (status == 303 && request.method != "HEAD") {
        request.method = "GET";
        request.body.clear();
      }
      request.url = *next;
      continue;
    }
    return ex;
  }
}

}  // namespace tributary::registry
