// Manifests and indexes as a source serves them: never crashes or hangs, and whatever it
// accepts has digests of the grammar and sizes a Go int64 holds.
#include "FuzzInput.h"
#include "tributary/Names.h"
#include "tributary/registry/ParsedManifest.h"

#include <cstdint>

using tributary::registry::Descriptor;
using tributary::registry::ParsedManifest;

namespace {
void checkDescriptor(const Descriptor& d, const std::string& input) {
  if (!tributary::validateDigest(d.digest).isOk())
    tributary::fuzz::propertyFailed("accepted a bad digest", input + "\n-> " + d.digest);
  if (d.size > static_cast<uint64_t>(INT64_MAX))
    tributary::fuzz::propertyFailed("accepted a size beyond int64", input);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = tributary::fuzz::asString(data, size);
  for (const char* type : {"", "application/vnd.oci.image.index.v1+json"}) {
    auto parsed = ParsedManifest::parse(text, type);
    if (!parsed.isOk()) continue;
    const ParsedManifest& m = parsed.value();
    if (m.kind == tributary::registry::ManifestKind::kImage) {
      checkDescriptor(m.config, text);
      for (const Descriptor& l : m.layers) checkDescriptor(l, text);
    } else if (m.kind == tributary::registry::ManifestKind::kIndex) {
      for (const Descriptor& c : m.children) checkDescriptor(c, text);
    }
  }
  return 0;
}
