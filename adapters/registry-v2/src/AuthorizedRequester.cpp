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
                                                                const std::string& originContext) {
  // After a redirect every message names where it went: the target is what failed, not the
  // registry (origin only, never the path: presigned URLs carry credentials in the query).
  std::string context = originContext;
  const auto baseHeaders = request.headers;
  bool reauthenticated = false;
  std::string freshAuthorization;  // from the re-authentication, for the one retry
  int hops = 0;
  while (true) {
    request.headers = baseHeaders;
    const bool toRegistry = request.url.sameOrigin(registry_);
    bool sentBasic = false;  // concurrent first requests may go out before the scheme is known
    // Authorization only ever goes to the registry's own origin: a CDN or presigned URL must
    // neither see the token nor get two auth mechanisms (S3 refuses that).
    if (toRegistry && !freshAuthorization.empty()) {
      request.headers.emplace_back("Authorization", freshAuthorization);
    } else if (toRegistry) {
      auto auth = authenticator_.authorization(scope);
      if (!auth.isOk()) return auth.status().withContext(context);
      if (!auth->empty()) request.headers.emplace_back("Authorization", *auth);
      sentBasic = auth->rfind("Basic ", 0) == 0;
    }
    auto sent = transport_.send(request, context);
    if (!sent.isOk()) {
      // Connection-level refusals (the address policy) do not carry the context themselves.
      if (hops > 0 && sent.status().message().find(context) == std::string::npos)
        return sent.status().withContext(context);
      return sent.status();
    }
    auto ex = std::move(sent).value();
    if (hops > 0) ex->setRedirectedTo(request.url.origin());
    const int status = ex->status();
    if (toRegistry && observer_) observer_(request.method, status, ex->head().headers);
    if ((status == 401 || status == 403) &&
        TokenAuthenticator::isInsufficientScope(ex->head().wwwAuthenticate) &&
        (reauthenticated || !toRegistry || status == 403)) {
      // The actions are the scope's last field ("repository:<name>:pull,push").
      return permissionDeniedError(context + ": the registry says the credentials lack scope `" +
                                   scope + "` (insufficient_scope); they are not allowed `" +
                                   scope.substr(scope.rfind(':') + 1) + "` on this repository");
    }
    if (status == 401 && toRegistry && !reauthenticated) {
      reauthenticated = true;
      auto challenges = ex->head().wwwAuthenticate;
      ex->discard();
      auto fresh = authenticator_.onUnauthorized(challenges, scope, sentBasic);
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
      context = originContext + " (redirected to " + next->origin() + ")";
      continue;
    }
    return ex;
  }
}

}  // namespace tributary::registry
