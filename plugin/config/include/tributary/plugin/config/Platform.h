// An os/arch[/variant] platform, in canonical form.
//
// Normalisation follows containerd's platforms.Normalize, which is what docker pull uses:
// aarch64 = arm64 and arm64/v8 = arm64 (v8 is arm64's only baseline); x86_64 = amd64 and
// amd64/v1 = amd64; armhf = arm/v7, armel = arm/v6, and a bare `arm` means arm/v7 (containerd
// defaults the arm variant to v7). Distinct variants stay distinct: linux/arm/v7 != linux/arm/v6.
#pragma once

#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary::plugin {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  // "" = none

  /// Canonical form of any spelling (lower-cased, aliases resolved, defaults applied).
  static Platform normalised(std::string_view os, std::string_view architecture,
                             std::string_view variant);

  /// Parses "os/arch[/variant]" (each part [a-z0-9._-]+, case-insensitive) and normalises it.
  /// The error quotes the text and says which part is wrong.
  static Result<Platform> parse(std::string_view text);

  /// "linux/arm/v7", "linux/amd64".
  std::string toString() const;

  bool operator==(const Platform& o) const {
    return os == o.os && architecture == o.architecture && variant == o.variant;
  }
  bool operator!=(const Platform& o) const { return !(*this == o); }
};

}  // namespace tributary::plugin
