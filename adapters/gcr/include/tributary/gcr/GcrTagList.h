// GCR / Artifact Registry's tags/list extension (registry-facts §D.2):
// {"name","tags":[...],"child":[...],
//  "manifest":{"sha256:...":{"tag":["a","b"],"timeUploadedMs":"1597767277119",
//                            "timeCreatedMs":"1595895577054","mediaType":...,...}}}
// All numbers are strings of ms. "Uploaded" = timeUploadedMs, falling back to a non-zero
// timeCreatedMs (Artifact Registry was seen sending "0" for the latter). Untagged digests
// ("tag":[]) are ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tributary/Status.h"

namespace tributary::gcr {

struct GcrManifestInfo {
  std::optional<int64_t> timeMs;
  std::string timestampSource;  // "gcr.timeUploadedMs" | "gcr.timeCreatedMs" | ""
};

struct GcrTagList {
  std::vector<std::string> tags;
  bool hasManifestMap = false;                           // the vendor extension was present
  std::map<std::string, std::string> digestOfTag;        // tag -> manifest digest
  std::map<std::string, GcrManifestInfo> manifests;      // digest -> times

  /// kDataLoss when `body` is not a tags/list object.
  static Result<GcrTagList> parse(const std::string& body);
  /// Adds another page (tags appended, maps merged).
  void merge(GcrTagList&& page);
  /// The rel="next" target of a Link header, "" when none.
  static std::string nextLink(const std::string& linkHeader);
};

}  // namespace tributary::gcr
