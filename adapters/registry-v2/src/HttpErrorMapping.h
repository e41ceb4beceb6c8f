// Turning HTTP statuses, registry error bodies and Poco exceptions into Status codes, with
// the context (host, repository, what was fetched) the caller supplies. Never includes
// request headers, so credentials and tokens cannot leak into messages.
#pragma once

#include <exception>
#include <string>

#include "tributary/Status.h"

namespace tributary::registry {

class HttpErrorMapping {
 public:
  /// "MANIFEST_UNKNOWN: manifest unknown; ..." from a registry error body
  /// (`{"errors":[{"code":..,"message":..}]}`); "" when the body is not one.
  static std::string registryErrors(const std::string& body);

  /// Code for a final HTTP status: 401 kUnauthenticated, 403 kPermissionDenied, 404 kNotFound,
  /// 429 kResourceExhausted, 5xx kUnavailable, 408 kDeadlineExceeded, other 4xx
  /// kFailedPrecondition. The message is "<context>: HTTP <status>[: <registry errors>]".
  static Status fromHttpStatus(int status, const std::string& reason, const std::string& body,
                               const std::string& context);

  /// Timeouts kDeadlineExceeded, certificate problems kFailedPrecondition (not retryable: the
  /// CA configuration must change), other network errors kUnavailable. `httpsHost` is the
  /// host[:port] of an https request: a TLS error that means "this is a plain-HTTP server"
  /// (wrong version number, ...) then names the insecure_registries fix.
  static Status fromException(const std::exception& e, const std::string& context,
                              const std::string& httpsHost = "");

  /// True for OpenSSL errors seen when TLS talks to a plain-HTTP server.
  static bool looksLikePlainHttp(const std::string& errorText);
};

}  // namespace tributary::registry
