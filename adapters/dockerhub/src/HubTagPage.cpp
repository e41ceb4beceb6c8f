#include "tributary/dockerhub/HubTagPage.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/registry/Rfc3339.h"

namespace tributary::dockerhub {
namespace {

std::string stringOf(const Poco::JSON::Object::Ptr& o, const char* key) {
  if (!o || !o->has(key)) return "";
  auto v = o->get(key);
  return v.isString() ? v.convert<std::string>() : std::string();
}

}  // namespace

Result<HubTagPage> HubTagPage::parse(const std::string& body) {
  HubTagPage page;
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (!root) return dataLossError("Hub tags page is not a JSON object");
    auto results = root->getArray("results");
    if (!results) return dataLossError("Hub tags page has no `results` array");
    page.next = stringOf(root, "next");  // null on the last page
    for (size_t i = 0; i < results->size(); ++i) {
      auto t = results->getObject(static_cast<unsigned>(i));
      if (!t) continue;
      HubTag tag;
      tag.name = stringOf(t, "name");
      if (tag.name.empty()) continue;
      tag.digest = stringOf(t, "digest");
      if (auto pushed = registry::Rfc3339::parseMs(stringOf(t, "tag_last_pushed"))) {
        tag.pushedAtMs = pushed;
        tag.timestampSource = "hub.tag_last_pushed";
      } else if (auto updated = registry::Rfc3339::parseMs(stringOf(t, "last_updated"))) {
        tag.pushedAtMs = updated;
        tag.timestampSource = "hub.last_updated";
      }
      if (auto imgs = t->getArray("images")) {
        for (size_t k = 0; k < imgs->size(); ++k) {
          auto img = imgs->getObject(static_cast<unsigned>(k));
          if (!img) continue;
          registry::DescriptorPlatform p;
          p.os = stringOf(img, "os");
          p.architecture = stringOf(img, "architecture");
          p.variant = stringOf(img, "variant");
          tag.platforms.push_back(std::move(p));
        }
      }
      page.tags.push_back(std::move(tag));
    }
  } catch (const std::exception& e) {
    return dataLossError(std::string("Hub tags page is not valid JSON: ") + e.what());
  }
  return page;
}

}  // namespace tributary::dockerhub
