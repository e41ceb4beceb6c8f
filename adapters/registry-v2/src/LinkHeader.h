// RFC 8288 Link header, as used for tags/list pagination: `<url>; rel="next"`.
#pragma once

#include <string>

namespace tributary::registry {

class LinkHeader {
 public:
  /// The URL reference of the first link whose rel contains `next`; "" when there is none.
  static std::string nextReference(const std::string& headerValue);
};

}  // namespace tributary::registry
