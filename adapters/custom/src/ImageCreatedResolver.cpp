#include "tributary/custom/ImageCreatedResolver.h"

#include "tributary/registry/ImageConfig.h"
#include "tributary/registry/MemoryBlobSink.h"
#include "tributary/registry/ParsedManifest.h"
#include "tributary/registry/Rfc3339.h"

namespace tributary::custom {

Result<std::optional<int64_t>> ImageCreatedResolver::imageCreatedMs(
    const std::string& repository, const std::string& configDigest, uint64_t configSize) {
  if (configSize > kMaxConfigBytes) return std::optional<int64_t>();
  registry::MemoryBlobSink sink(kMaxConfigBytes);
  TRIB_RETURN_IF_ERROR(reader_.fetchBlob(repository, configDigest, configSize, sink)
                           .withContext("fetching config " + configDigest));
  TRIB_RETURN_IF_ERROR(sink.verify(configDigest));
  auto config = registry::ImageConfig::parse(sink.bytes());
  if (!config) return std::optional<int64_t>();  // not an image config (an artifact): no time
  return config->createdMs;
}

Result<std::optional<int64_t>> ImageCreatedResolver::createdMs(
    const std::string& repository, const registry::Manifest& manifest) {
  TRIB_ASSIGN_OR_RETURN(registry::ParsedManifest parsed,
                        registry::ParsedManifest::parse(manifest.bytes, manifest.mediaType));
  switch (parsed.kind) {
    case registry::ManifestKind::kSchema1:
      return parsed.schema1Created.empty() ? std::optional<int64_t>()
                                           : registry::Rfc3339::parseMs(parsed.schema1Created);
    case registry::ManifestKind::kImage:
      return imageCreatedMs(repository, parsed.config.digest, parsed.config.size);
    case registry::ManifestKind::kIndex:
      break;
  }
  std::optional<int64_t> newest;
  for (const registry::Descriptor& child : parsed.children) {
    if (child.isAttestation()) continue;
    TRIB_ASSIGN_OR_RETURN(registry::Manifest childManifest,
                          reader_.getManifest(repository, child.digest));
    TRIB_ASSIGN_OR_RETURN(registry::ParsedManifest childParsed,
                          registry::ParsedManifest::parse(childManifest.bytes, childManifest.mediaType));
    if (childParsed.kind != registry::ManifestKind::kImage) continue;  // nested index: ignore
    TRIB_ASSIGN_OR_RETURN(std::optional<int64_t> t,
                          imageCreatedMs(repository, childParsed.config.digest,
                                         childParsed.config.size));
    if (t && (!newest || *t > *newest)) newest = t;
  }
  return newest;
}

}  // namespace tributary::custom
