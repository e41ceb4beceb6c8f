#include "tributary/quay/QuayTagPage.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace tributary::quay {
namespace {

std::optional<int64_t> integer(const Poco::JSON::Object::Ptr& o, const char* key) {
  if (!o || !o->has(key)) return std::nullopt;
  auto v = o->get(key);
  if (!v.isNumeric()) return std::nullopt;
  return static_cast<int64_t>(v.convert<double>());
}

}  // namespace

Result<QuayTagPage> QuayTagPage::parse(const std::string& body, int64_t nowSeconds) {
  QuayTagPage page;
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (!root) return dataLossError("Quay tag page is not a JSON object");
    auto tags = root->getArray("tags");
    if (!tags) return dataLossError("Quay tag page has no `tags` array");
    if (root->has("has_additional")) {
      auto v = root->get("has_additional");
      page.hasAdditional = v.isBoolean() && v.convert<bool>();
    }
    for (size_t i = 0; i < tags->size(); ++i) {
      auto t = tags->getObject(static_cast<unsigned>(i));
      if (!t || !t->has("name") || !t->get("name").isString()) continue;
      auto end = integer(t, "end_ts");
      if (end && *end <= nowSeconds) continue;  // expired / history
      QuayTag tag;
      tag.name = t->getValue<std::string>("name");
      if (auto start = integer(t, "start_ts"); start && *start > 0) tag.pushedAtMs = *start * 1000;
      if (t->has("manifest_digest") && t->get("manifest_digest").isString())
        tag.digest = t->getValue<std::string>("manifest_digest");
      page.tags.push_back(std::move(tag));
    }
  } catch (const std::exception& e) {
    return dataLossError(std::string("Quay tag page is not valid JSON: ") + e.what());
  }
  return page;
}

}  // namespace tributary::quay
