// Lets BOOST_TEST print StatusCode values in failure messages.
#pragma once

#include <ostream>

#include "tributary/Status.h"

namespace tributary {
inline std::ostream& operator<<(std::ostream& os, StatusCode code) {
  return os << statusCodeName(code);
}
}  // namespace tributary
