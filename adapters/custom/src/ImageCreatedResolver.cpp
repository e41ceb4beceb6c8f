#include "tributary/custom/ImageCreatedResolver.h"

#include "tributary/custom/ImageConfig.h"
#include "tributary/custom/MemoryBlobSink.h"
#include "tributary/custom/ParsedManifest.h"
#include "tributary/custom/Rfc3339.h"

namespace tributary::custom {

Result<std::optional<int64_t>> ImageCreatedResolver::imageCreatedMs(
    const std::string& repository, const std::string& configDigest, uint64_t configSize) {
  if (configSize > kMaxConfigBytes) return std::optional<int64_t>();
  MemoryBlobSink sink(kMaxConfigBytes);
  TRIB_RETURN_IF_ERROR(reader_.fetchBlob(repository, configDigest, configSize, sink)
                           .withContext("fetching config " + configDigest));
  TRIB_RETURN_IF_ERROR(sink.verify(configDigest));
  auto config = ImageConfig::parse(sink.bytes());
  if (!config) return std::optional<int64_t>();  // not an image config (an artifact): no time
  return config->createdMs;
}

Result<std::optional<int64_t>> ImageCreatedResolver::createdMs(
    const std::string& repository, const registry::Manifest& manifest) {
  TRIB_ASSIGN_OR_RETURN(ParsedManifest parsed,
                        ParsedManifest::parse(manifest.bytes, manifest.mediaType));
  switch (parsed.kind) {
    case ManifestKind::kSchema1:
      return parsed.schema1Created.empty() ? std::optional<int64_t>()
                                           : Rfc3339::parseMs(parsed.schema1Created);
    case ManifestKind::kImage:
      return imageCreatedMs(repository, parsed.config.digest, parsed.config.size);
    case ManifestKind::kIndex:
      break;
  }
  std::optional<int64_t> newest;
  for (const Descriptor& child : parsed.children) {
    if (child.isAttestation()) continue;
    TRIB_ASSIGN_OR_RETURN(registry::Manifest childManifest,
                          reader_.getManifest(repository, child.digest));
    TRIB_ASSIGN_OR_RETURN(ParsedManifest childParsed,
                          ParsedManifest::parse(childManifest.bytes, childManifest.mediaType));
    if (childParsed.kind != ManifestKind::kImage) continue;  // nested index: ignore
    TRIB_ASSIGN_OR_RETURN(std::optional<int64_t> t,
                          imageCreatedMs(repository, childParsed.config.digest,
                                         childParsed.config.size));
    if (t && (!newest || *t > *newest)) newest = t;
  }
  return newest;
}

}  // namespace tributary::custom
