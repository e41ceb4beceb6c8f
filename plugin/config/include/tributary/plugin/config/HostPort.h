// Grammar of a registry endpoint `host[:port]` as it appears in rules and provider config:
// a DNS name (labels of [a-z0-9-], not starting or ending with `-`), an IPv4 address or a
// bracketed IPv6 address, then an optional port 1..65535. No scheme, path or user info.
// Whether the address is allowed (loopback, private...) is the registry client's decision at
// connect time; this is only about the text.
#pragma once

#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary::plugin {

class HostPort {
 public:
  /// Returns the lower-cased endpoint, or kInvalidArgument naming what is wrong, prefixed with
  /// `what` ("source.domain").
  static Result<std::string> normalise(std::string_view text, std::string_view what);
};

}  // namespace tributary::plugin
