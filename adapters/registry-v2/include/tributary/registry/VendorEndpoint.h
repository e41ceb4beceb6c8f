// A configured vendor endpoint ("https://hub.docker.com", "https://127.0.0.1:5443"): the host
// a RegistryClient talks to and whether it is plain http, plus the guard every "next page"
// link of a vendor API must pass — it must stay on the same origin (an API answer must not
// steer the next request, with its credentials, to another host).
#pragma once

#include <string>

#include "tributary/Status.h"

namespace tributary::registry {

struct VendorEndpoint {
  std::string origin;      // "https://hub.docker.com" (no trailing slash, no path)
  std::string host;        // "hub.docker.com" or "127.0.0.1:5443"
  bool plainHttp = false;  // http:// (allowed only when the host is in insecure_registries)

  /// `url` is scheme://host[:port] with an optional "/" path; other paths, userinfo, query or
  /// fragment are refused. `what` names the setting in errors.
  static Result<VendorEndpoint> parse(const std::string& url, const std::string& what);

  /// The path+query of `link` (absolute on this origin, or starting with one "/").
  Result<std::string> targetOf(const std::string& link) const;
};

}  // namespace tributary::registry
