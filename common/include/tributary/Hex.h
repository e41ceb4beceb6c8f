// The one lowercase hex encoder (digests, random file names).
#pragma once

#include <cstddef>
#include <string>

namespace tributary {

inline std::string hexEncode(const unsigned char* bytes, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(len * 2, '0');
  for (size_t i = 0; i < len; ++i) {
    hex[2 * i] = kDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return hex;
}

}  // namespace tributary
