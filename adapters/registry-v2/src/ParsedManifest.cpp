#include "tributary/registry/ParsedManifest.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/Names.h"

namespace tributary::registry {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string stringMember(const Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key)) return "";
  auto v = o->get(key);
  return v.isString() ? v.convert<std::string>() : "";
}

Result<Descriptor> parseDescriptor(const Object::Ptr& o, const std::string& where) {
  if (!o) return invalidArgumentError(where + " is not an object");
  Descriptor d;
  d.mediaType = stringMember(o, "mediaType");
  d.digest = stringMember(o, "digest");
  auto digest = parseDigest(d.digest);
  if (!digest) return digest.status().withContext(where);
  if (!o->has("size")) return invalidArgumentError(where + " has no size");
  try {
    auto size = o->get("size");
    if (!size.isNumeric()) return invalidArgumentError(where + " size is not a number");
    int64_t s = size.convert<int64_t>();
    if (s < 0) return invalidArgumentError(where + " size is negative");
    d.size = static_cast<uint64_t>(s);
  } catch (const Poco::Exception&) {
    return invalidArgumentError(where + " size is not an integer");
  }
  if (auto urls = o->getArray("urls")) {
    for (size_t i = 0; i < urls->size(); ++i) d.urls.push_back(urls->getElement<std::string>(i));
  }
  if (auto p = o->getObject("platform")) {
    d.hasPlatform = true;
    d.platform.os = stringMember(p, "os");
    d.platform.architecture = stringMember(p, "architecture");
    d.platform.variant = stringMember(p, "variant");
  }
  if (auto a = o->getObject("annotations")) {
    for (const auto& name : a->getNames()) d.annotations[name] = stringMember(a, name);
  }
  return d;
}

}  // namespace

bool Descriptor::isAttestation() const {
  auto it = annotations.find("vnd.docker.reference.type");
  if (it != annotations.end() && it->second == "attestation-manifest") return true;
  return hasPlatform && platform.os == "unknown" && platform.architecture == "unknown";
}

Result<ParsedManifest> ParsedManifest::parse(const std::string& bytes,
                                             const std::string& contentType) {
  Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    root = parser.parse(bytes).extract<Object::Ptr>();
  } catch (const std::exception& e) {
    return invalidArgumentError(std::string("manifest is not a JSON object: ") + e.what());
  }
  ParsedManifest m;
  m.mediaType = stringMember(root, "mediaType");
  const std::string type = m.mediaType.empty() ? contentType : m.mediaType;
  int schemaVersion = 0;
  try {
    if (root->has("schemaVersion")) schemaVersion = root->getValue<int>("schemaVersion");
  } catch (const Poco::Exception&) {
    return invalidArgumentError("manifest schemaVersion is not an integer");
  }
  if (schemaVersion == 1 || type.rfind("application/vnd.docker.distribution.manifest.v1", 0) == 0) {
    m.kind = ManifestKind::kSchema1;
    if (m.mediaType.empty()) m.mediaType = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    try {
      auto history = root->getArray("history");
      if (history && history->size() > 0) {
        auto entry = history->getObject(0);
        std::string compat = stringMember(entry, "v1Compatibility");
        Poco::JSON::Parser parser;
        auto v1 = parser.parse(compat).extract<Object::Ptr>();
        m.schema1Created = stringMember(v1, "created");
      }
    } catch (const std::exception&) {
      // created is optional information; a schema1 manifest is skipped anyway
    }
    return m;
  }
  if (schemaVersion != 2)
    return invalidArgumentError("manifest schemaVersion " + std::to_string(schemaVersion) +
                                " is not supported (expected 2)");
  const bool isIndexType = type == kDockerManifestList || type == kOciIndex;
  const bool isImageType = type == kDockerManifestV2 || type == kOciManifest;
  bool index = isIndexType;
  if (!isIndexType && !isImageType) {
    if (!m.mediaType.empty())
      return invalidArgumentError("manifest media type `" + m.mediaType + "` is not supported");
    // OCI allows mediaType to be absent: decide by shape, as Distribution does.
    if (root->has("manifests")) {
      index = true;
      m.mediaType = kOciIndex;
    } else if (root->has("config")) {
      m.mediaType = kOciManifest;
    } else {
      return invalidArgumentError("manifest has neither `manifests` nor `config`");
    }
  } else if (m.mediaType.empty()) {
    m.mediaType = type;
  }
  if (index) {
    m.kind = ManifestKind::kIndex;
    auto children = root->getArray("manifests");
    if (!children) return invalidArgumentError("index has no `manifests` array");
    for (size_t i = 0; i < children->size(); ++i) {
      TRIB_ASSIGN_OR_RETURN(Descriptor d,
                            parseDescriptor(children->getObject(i),
                                            "manifests[" + std::to_string(i) + "]"));
      m.children.push_back(std::move(d));
    }
    return m;
  }
  m.kind = ManifestKind::kImage;
  TRIB_ASSIGN_OR_RETURN(m.config, parseDescriptor(root->getObject("config"), "config"));
  auto layers = root->getArray("layers");
  if (!layers) return invalidArgumentError("image manifest has no `layers` array");
  for (size_t i = 0; i < layers->size(); ++i) {
    TRIB_ASSIGN_OR_RETURN(Descriptor d, parseDescriptor(layers->getObject(i),
                                                        "layers[" + std::to_string(i) + "]"));
    m.layers.push_back(std::move(d));
  }
  return m;
}

}  // namespace tributary::registry
