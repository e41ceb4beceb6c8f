// One page of Quay's REST tag listing (registry-facts §D.3):
// GET /api/v1/repository/{ns}/{repo}/tag/?onlyActiveTags=true&limit=100&page=N ->
// {"tags":[{"name","start_ts"(unix s),"manifest_digest","end_ts"?,...}],"page":N,
//  "has_additional":bool}
// "Pushed" = start_ts. Tags with an end_ts in the past are dead (history) and skipped even if
// a server ignores onlyActiveTags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tributary/Status.h"

namespace tributary::quay {

struct QuayTag {
  std::string name;
  std::optional<int64_t> pushedAtMs;  // start_ts * 1000
  std::string digest;                 // manifest_digest
};

struct QuayTagPage {
  std::vector<QuayTag> tags;
  bool hasAdditional = false;

  /// `nowSeconds` decides which end_ts are past. kDataLoss when not the documented shape.
  static Result<QuayTagPage> parse(const std::string& body, int64_t nowSeconds);
};

}  // namespace tributary::quay
