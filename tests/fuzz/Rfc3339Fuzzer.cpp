// RFC 3339 timestamps (Docker Hub, Quay and image config times): never crashes, and whatever
// it accepts survives a format/parse round trip to the same millisecond.
#include "FuzzInput.h"
#include "tributary/registry/Rfc3339.h"

using tributary::registry::Rfc3339;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = tributary::fuzz::asString(data, size);
  auto ms = Rfc3339::parseMs(text);
  if (!ms) return 0;
  const std::string formatted = Rfc3339::formatMs(*ms);
  auto again = Rfc3339::parseMs(formatted);
  if (!again || *again != *ms)
    tributary::fuzz::propertyFailed("format/parse round trip", text + " -> " + formatted);
  return 0;
}
