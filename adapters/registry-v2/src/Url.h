// An absolute http(s) URL kept byte-exact: the request target (path + query) is never decoded
// or re-encoded, because presigned blob URLs (S3, CloudFront, GCS) are signed over those bytes.
#pragma once

#include <cstdint>
#include <string>

#include "tributary/Status.h"

namespace tributary::registry {

class Url {
 public:
  Url() = default;

  /// Parses `http://host[:port]/target` or `https://...`. Other schemes, userinfo and empty
  /// hosts are refused with kInvalidArgument.
  static Result<Url> parse(const std::string& text);

  /// Resolves `reference` (absolute, `//host/..`, `/path`, `?query` or a relative path) against
  /// this URL, as a browser would for a Location or Link header.
  Result<Url> resolve(const std::string& reference) const;

  const std::string& scheme() const { return scheme_; }  // "http" | "https"
  const std::string& host() const { return host_; }      // no brackets for IPv6
  uint16_t port() const { return port_; }
  const std::string& target() const { return target_; }  // "/v2/...?..." as given
  bool isHttps() const { return scheme_ == "https"; }

  /// "host" or "host:port" (port shown only when not the scheme default), IPv6 bracketed.
  std::string authority() const;
  /// "scheme://authority" — the unit of connection pooling and credential scoping.
  std::string origin() const;
  std::string toString() const { return origin() + target_; }
  bool sameOrigin(const Url& other) const {
    return scheme_ == other.scheme_ && host_ == other.host_ && port_ == other.port_;
  }

 private:
  std::string scheme_;
  std::string host_;
  uint16_t port_ = 0;
  std::string target_ = "/";
};

}  // namespace tributary::registry
