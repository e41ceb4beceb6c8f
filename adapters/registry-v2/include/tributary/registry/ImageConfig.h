// The fields of an image config blob the sync reads: platform and creation time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tributary/Status.h"

namespace tributary::registry {

struct ImageConfig {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string created;               // as written
  std::optional<int64_t> createdMs;  // parsed; empty when absent or not RFC 3339

  static Result<ImageConfig> parse(const std::string& bytes);
};

}  // namespace tributary::registry
