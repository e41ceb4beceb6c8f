#include "tributary/registry/ImageConfig.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/registry/Rfc3339.h"

namespace tributary::registry {

Result<ImageConfig> ImageConfig::parse(const std::string& bytes) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(bytes).extract<Poco::JSON::Object::Ptr>();
    auto str = [&](const char* key) -> std::string {
      if (!root->has(key)) return "";
      auto v = root->get(key);
      return v.isString() ? v.convert<std::string>() : "";
    };
    ImageConfig c;
    c.os = str("os");
    c.architecture = str("architecture");
    c.variant = str("variant");
    c.created = str("created");
    if (!c.created.empty()) c.createdMs = Rfc3339::parseMs(c.created);
    return c;
  } catch (const std::exception& e) {
    return invalidArgumentError(std::string("image config is not a JSON object: ") + e.what());
  }
}

}  // namespace tributary::registry
