// "When was this image made", for sources with no push-time metadata: the image config's
// `created`. For an index / manifest list, the newest among its children's configs
// (attestation children skipped: they carry no meaningful time).
//
// Thread rules: stateless apart from the reader it borrows; safe to share if the reader is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tributary/Status.h"
#include "tributary/registry/RegistryReader.h"

namespace tributary::custom {

class ImageCreatedResolver {
 public:
  /// Config blobs above this size are not read (they are never that big in practice).
  static constexpr size_t kMaxConfigBytes = 4u << 20;

  explicit ImageCreatedResolver(registry::RegistryReader& reader) : reader_(reader) {}

  /// `manifest` was fetched from `repository`. nullopt = no usable `created` anywhere.
  Result<std::optional<int64_t>> createdMs(const std::string& repository,
                                           const registry::Manifest& manifest);

 private:
  Result<std::optional<int64_t>> imageCreatedMs(const std::string& repository,
                                                const std::string& configDigest,
                                                uint64_t configSize);

  registry::RegistryReader& reader_;
};

}  // namespace tributary::custom
