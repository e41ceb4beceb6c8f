// WWW-Authenticate values from a source (hostile or broken): never crashes, and every
// challenge it returns has a lower-case scheme of token characters.
#include "AuthChallenge.h"
#include "FuzzInput.h"

#include <cctype>

using tributary::registry::AuthChallenge;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = tributary::fuzz::asString(data, size);
  for (const AuthChallenge& c : AuthChallenge::parseHeader(text)) {
    if (c.scheme.empty()) tributary::fuzz::propertyFailed("empty scheme", text);
    for (char ch : c.scheme)
      if (std::isupper(static_cast<unsigned char>(ch)) || std::isspace(static_cast<unsigned char>(ch)))
        tributary::fuzz::propertyFailed("scheme not normalised", text + " -> " + c.scheme);
    (void)c.param("realm");
  }
  return 0;
}
