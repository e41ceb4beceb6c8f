// Shared by the libFuzzer targets: the input as a string, and a check that fails loudly (a
// crash is what libFuzzer records) when a property of the code under test does not hold.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tributary::fuzz {

inline std::string asString(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

[[noreturn]] inline void propertyFailed(const char* what, const std::string& detail) {
  std::fprintf(stderr, "property failed: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace tributary::fuzz
