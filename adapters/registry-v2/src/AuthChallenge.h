// One WWW-Authenticate challenge (RFC 7235), parsed the way Distribution's reference client
// does (registry/client/auth/challenge/authchallenge.go): scheme lower-cased, parameters as
// key=value with keys lower-cased and values a token or a quoted-string with `\` escapes.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tributary::registry {

struct AuthChallenge {
  std::string scheme;                         // "bearer", "basic", ...
  std::map<std::string, std::string> params;  // "realm", "service", "scope", "error", ...

  /// The parameter's value, "" when absent.
  std::string param(const std::string& key) const;

  /// Parses every challenge in one header value ("Bearer realm=..., Basic realm=...").
  /// Malformed trailing parts are skipped rather than failing the whole header.
  static std::vector<AuthChallenge> parseHeader(const std::string& value);

  /// Parses all WWW-Authenticate header values of a response, in order.
  static std::vector<AuthChallenge> parseHeaders(const std::vector<std::string>& values);
};

}  // namespace tributary::registry
