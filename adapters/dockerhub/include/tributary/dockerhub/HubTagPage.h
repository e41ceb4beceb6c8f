// One page of the Docker Hub tags API (registry-facts §D.1):
// GET /v2/namespaces/{ns}/repositories/{repo}/tags?page_size=100 ->
// {"count","next","previous","results":[{"name","tag_last_pushed","last_updated","digest",
//   "images":[{"architecture","os","variant",...}],...}]}
// "Pushed" = tag_last_pushed, falling back to last_updated (RFC 3339 either).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tributary/Status.h"
#include "tributary/registry/ParsedManifest.h"

namespace tributary::dockerhub {

struct HubTag {
  std::string name;
  std::optional<int64_t> pushedAtMs;
  std::string timestampSource;  // "hub.tag_last_pushed" | "hub.last_updated" | ""
  std::string digest;           // as the API says (informational; the registry HEAD decides)
  std::vector<registry::DescriptorPlatform> platforms;  // from `images`
};

struct HubTagPage {
  std::vector<HubTag> tags;
  std::string next;  // "" = last page

  /// kDataLoss when `body` is not the documented shape.
  static Result<HubTagPage> parse(const std::string& body);
};

}  // namespace tributary::dockerhub
