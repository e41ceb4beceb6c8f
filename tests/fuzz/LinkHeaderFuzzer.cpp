// Link headers of tag-list pages: never crashes; a next reference it finds is a substring of
// the header (it is taken from the header, never invented) with no surrounding brackets.
#include "FuzzInput.h"
#include "LinkHeader.h"

using tributary::registry::LinkHeader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = tributary::fuzz::asString(data, size);
  const std::string next = LinkHeader::nextReference(text);
  if (next.empty()) return 0;
  if (text.find(next) == std::string::npos)
    tributary::fuzz::propertyFailed("next reference not taken from the header", text + " -> " + next);
  if (next.front() == '<' || next.back() == '>')
    tributary::fuzz::propertyFailed("brackets kept", text + " -> " + next);
  return 0;
}
