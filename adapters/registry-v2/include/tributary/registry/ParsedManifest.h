// The parts of a manifest the sync needs, read from its exact bytes (which stay untouched).
//
// Decoding is as strict as Distribution 2.8's Go types (what a stock registry runs on every
// manifest GET): a manifest it cannot decode would make it answer 500 for the tag, so it is
// refused here with the field named. Sizes are integer tokens within int64 and not negative,
// schemaVersion is the integer 2 (1: schema1), every string field is a string (or null),
// urls/os.features are arrays of strings, annotations map strings to strings, platform fields
// are strings; JSON keys that Go would match case-insensitively to a known field, and
// duplicated known fields, are refused too (Go would silently use another value than ours).
// Unknown fields are ignored, as Go does. The bytes are never re-serialised.
//
// Kinds: Docker schema2 and OCI image manifests are kImage; Docker manifest lists and OCI
// indexes are kIndex (OCI may omit mediaType: `manifests` means index, `config` means image,
// as Distribution decides, registry-facts §A.4); schema1 is kSchema1 (never stored).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tributary/Status.h"

namespace tributary::registry {

inline constexpr const char* kDockerManifestV2 = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";

enum class ManifestKind { kImage, kIndex, kSchema1 };

struct DescriptorPlatform {
  std::string os;
  std::string architecture;
  std::string variant;
};

struct Descriptor {
  std::string mediaType;
  std::string digest;
  uint64_t size = 0;
  std::vector<std::string> urls;  // non-empty: foreign / non-distributable layer
  bool hasPlatform = false;
  DescriptorPlatform platform;
  std::map<std::string, std::string> annotations;

  /// Docker foreign and OCI non-distributable layer media types: the only layers whose bytes
  /// may be left to their `urls` (registry-facts §E); any other layer is stored, urls or not.
  bool isNonDistributable() const;

  /// Buildkit attestation children of an index: platform unknown/unknown or annotation
  /// vnd.docker.reference.type=attestation-manifest.
  bool isAttestation() const;
};

struct ParsedManifest {
  ManifestKind kind = ManifestKind::kImage;
  std::string mediaType;  // from the body, else the Content-Type, else inferred
  Descriptor config;      // kImage
  std::vector<Descriptor> layers;    // kImage
  std::vector<Descriptor> children;  // kIndex
  std::string schema1Created;        // kSchema1: history[0].v1Compatibility.created, if any

  /// `contentType` is the HTTP Content-Type (may be ""). Errors are kInvalidArgument with a
  /// message naming what is wrong; every digest is checked against the grammar in Names.h.
  static Result<ParsedManifest> parse(const std::string& bytes, const std::string& contentType);
};

}  // namespace tributary::registry
