// Lets Boost.Test print a StatusCode when a comparison fails.
#pragma once

#include <ostream>

#include "tributary/Status.h"

namespace tributary {
inline std::ostream& operator<<(std::ostream& out, StatusCode code) {
  return out << statusCodeName(code);
}
}  // namespace tributary
