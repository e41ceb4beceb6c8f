#include "tributary/registry/ParsedManifest.h"

#include "StrictJson.h"
#include "tributary/Names.h"

namespace tributary::registry {
namespace {

// Decodes JSON the way Go's encoding/json fills Distribution 2.8's manifest structs, refusing
// what Go would refuse (so a stock registry never gets a manifest it answers 500 for) and what
// Go would read differently from us (case-insensitive or duplicated keys).
class GoStyleDecoder {
 public:
  // Go matches a JSON key to a struct field case-insensitively (with two Unicode folds: the
  // Kelvin sign is `k`, the long s is `s`); an exact match wins but the last matching key
  // sets the value.
  static std::string fold(const std::string& key) {
    std::string out;
    for (size_t i = 0; i < key.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(key[i]);
      if (c >= 'A' && c <= 'Z') {
        out += static_cast<char>(c - 'A' + 'a');
      } else if (key.compare(i, 3, "\xe2\x84\xaa") == 0) {  // U+212A KELVIN SIGN
        out += 'k';
        i += 2;
      } else if (key.compare(i, 2, "\xc5\xbf") == 0) {  // U+017F LATIN SMALL LETTER LONG S
        out += 's';
        i += 1;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out;
  }

  static std::string path(const std::string& where, const char* name) {
    return where.empty() ? std::string(name) : where + "." + name;
  }

  /// The member Go would decode into field `name`; nullptr when absent or null.
  static Result<const JsonValue*> member(const JsonValue& object, const char* name,
                                         const std::string& where) {
    const std::string wanted = fold(name);
    const JsonValue* found = nullptr;
    for (const auto& [key, value] : object.members) {
      if (fold(key) != wanted) continue;
      if (key != name)
        return invalidArgumentError("manifest field `" + path(where, key.c_str()) +
                                    "` would be read as `" + name +
                                    "` by Distribution (Go matches JSON keys case-insensitively)");
      if (found != nullptr)
        return invalidArgumentError("manifest field `" + path(where, name) +
                                    "` appears more than once");
      found = &value;
    }
    if (found != nullptr && found->type == JsonValue::Type::kNull) return nullptr;
    return found;
  }

  static Status typeError(const std::string& field, const char* expected, const JsonValue& v) {
    return invalidArgumentError("manifest field `" + field + "` must be " + expected + ", got " +
                                v.describe() + " (Distribution 2.8 cannot decode it)");
  }

  static Status string(const JsonValue& object, const char* name, const std::string& where,
                       std::string& out) {
    out.clear();
    TRIB_ASSIGN_OR_RETURN(const JsonValue* v, member(object, name, where));
    if (v == nullptr) return Status();
    if (v->type != JsonValue::Type::kString) return typeError(path(where, name), "a string", *v);
    out = v->text;
    return Status();
  }

  /// Go int/int64: an integer token (no fraction, no exponent) within int64.
  static Status integer(const JsonValue& object, const char* name, const std::string& where,
                        bool& present, long long& out) {
    present = false;
    out = 0;
    TRIB_ASSIGN_OR_RETURN(const JsonValue* v, member(object, name, where));
    if (v == nullptr) return Status();
    if (v->type != JsonValue::Type::kNumber || !StrictJson::toInt64(v->text, out))
      return typeError(path(where, name), "an integer within int64", *v);
    present = true;
    return Status();
  }

  static Status stringArray(const JsonValue& object, const char* name, const std::string& where,
                            std::vector<std::string>* out) {
    TRIB_ASSIGN_OR_RETURN(const JsonValue* v, member(object, name, where));
    if (v == nullptr) return Status();
    if (v->type != JsonValue::Type::kArray)
      return typeError(path(where, name), "an array of strings", *v);
    for (size_t i = 0; i < v->items.size(); ++i) {
      const JsonValue& e = v->items[i];
      if (e.type == JsonValue::Type::kNull) {
        if (out) out->emplace_back();
        continue;
      }
      if (e.type != JsonValue::Type::kString)
        return typeError(path(where, name) + "[" + std::to_string(i) + "]", "a string", e);
      if (out) out->push_back(e.text);
    }
    return Status();
  }

  static Status stringMap(const JsonValue& object, const char* name, const std::string& where,
                          std::map<std::string, std::string>* out) {
    TRIB_ASSIGN_OR_RETURN(const JsonValue* v, member(object, name, where));
    if (v == nullptr) return Status();
    if (v->type != JsonValue::Type::kObject)
      return typeError(path(where, name), "an object of strings", *v);
    for (const auto& [key, value] : v->members) {
      if (value.type == JsonValue::Type::kNull) {
        if (out) (*out)[key] = "";
        continue;
      }
      if (value.type != JsonValue::Type::kString)
        return typeError(path(where, name) + "." + key, "a string", value);
      if (out) (*out)[key] = value.text;
    }
    return Status();
  }

  /// image-spec v1.Platform (descriptors of an image manifest) or manifestlist.PlatformSpec
  /// (children of an index, which adds `features`).
  static Status platform(const JsonValue& descriptor, const std::string& where, bool listSpec,
                         Descriptor& d) {
    TRIB_ASSIGN_OR_RETURN(const JsonValue* p, member(descriptor, "platform", where));
    if (p == nullptr) return Status();
    const std::string at = path(where, "platform");
    if (p->type != JsonValue::Type::kObject) return typeError(at, "an object", *p);
    d.hasPlatform = true;
    std::string ignored;
    TRIB_RETURN_IF_ERROR(string(*p, "architecture", at, d.platform.architecture));
    TRIB_RETURN_IF_ERROR(string(*p, "os", at, d.platform.os));
    TRIB_RETURN_IF_ERROR(string(*p, "os.version", at, ignored));
    TRIB_RETURN_IF_ERROR(stringArray(*p, "os.features", at, nullptr));
    TRIB_RETURN_IF_ERROR(string(*p, "variant", at, d.platform.variant));
    if (listSpec) TRIB_RETURN_IF_ERROR(stringArray(*p, "features", at, nullptr));
    return Status();
  }

  /// distribution.Descriptor (+ manifestlist.PlatformSpec for index children).
  static Result<Descriptor> descriptor(const JsonValue* o, const std::string& where,
                                       bool listSpec) {
    if (o == nullptr || o->type != JsonValue::Type::kObject)
      return invalidArgumentError("manifest field `" + where + "` must be an object, got " +
                                  (o == nullptr ? std::string("nothing") : o->describe()));
    Descriptor d;
    TRIB_RETURN_IF_ERROR(string(*o, "mediaType", where, d.mediaType));
    TRIB_RETURN_IF_ERROR(string(*o, "digest", where, d.digest));
    auto digest = parseDigest(d.digest);
    if (!digest) return digest.status().withContext("manifest field `" + where + ".digest`");
    bool present = false;
    long long size = 0;
    TRIB_RETURN_IF_ERROR(integer(*o, "size", where, present, size));
    if (!present) return invalidArgumentError("manifest field `" + where + ".size` is missing");
    if (size < 0)
      return invalidArgumentError("manifest field `" + where + ".size` is negative (" +
                                  std::to_string(size) + ")");
    d.size = static_cast<uint64_t>(size);
    TRIB_RETURN_IF_ERROR(stringArray(*o, "urls", where, &d.urls));
    TRIB_RETURN_IF_ERROR(stringMap(*o, "annotations", where, &d.annotations));
    TRIB_RETURN_IF_ERROR(platform(*o, where, listSpec, d));
    return d;
  }

  static Result<std::vector<Descriptor>> descriptors(const JsonValue& root, const char* name,
                                                     bool listSpec, bool& present) {
    present = false;
    TRIB_ASSIGN_OR_RETURN(const JsonValue* arr, member(root, name, ""));
    if (arr == nullptr) return std::vector<Descriptor>();
    if (arr->type != JsonValue::Type::kArray)
      return typeError(name, "an array of descriptors", *arr);
    present = true;
    std::vector<Descriptor> out;
    for (size_t i = 0; i < arr->items.size(); ++i) {
      TRIB_ASSIGN_OR_RETURN(Descriptor d,
                            descriptor(&arr->items[i],
                                       std::string(name) + "[" + std::to_string(i) + "]",
                                       listSpec));
      out.push_back(std::move(d));
    }
    return out;
  }
};

std::string schema1CreatedOf(const JsonValue& root) {
  // Optional information (a schema1 manifest is skipped anyway): any shape problem is "".
  for (const auto& [key, history] : root.members) {
    if (key != "history" || history.type != JsonValue::Type::kArray || history.items.empty())
      continue;
    for (const auto& [k, compat] : history.items[0].members) {
      if (k != "v1Compatibility" || compat.type != JsonValue::Type::kString) continue;
      auto v1 = StrictJson::parse(compat.text);
      if (!v1.isOk()) return "";
      for (const auto& [name, created] : v1->members)
        if (name == "created" && created.type == JsonValue::Type::kString) return created.text;
    }
  }
  return "";
}

}  // namespace

bool Descriptor::isAttestation() const {
  auto it = annotations.find("vnd.docker.reference.type");
  if (it != annotations.end() && it->second == "attestation-manifest") return true;
  return hasPlatform && platform.os == "unknown" && platform.architecture == "unknown";
}

bool Descriptor::isNonDistributable() const {
  return mediaType == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" ||
         mediaType.rfind("application/vnd.oci.image.layer.nondistributable.", 0) == 0;
}

Result<ParsedManifest> ParsedManifest::parse(const std::string& bytes,
                                             const std::string& contentType) {
  using D = GoStyleDecoder;
  auto json = StrictJson::parse(bytes);
  if (!json.isOk()) return json.status().withContext("manifest is not valid JSON");
  const JsonValue& root = *json;
  if (root.type != JsonValue::Type::kObject)
    return invalidArgumentError(std::string("manifest is ") + root.typeName() +
                                ", not a JSON object");
  ParsedManifest m;
  TRIB_RETURN_IF_ERROR(D::string(root, "mediaType", "", m.mediaType));
  const std::string type = m.mediaType.empty() ? contentType : m.mediaType;
  bool hasVersion = false;
  long long schemaVersion = 0;
  TRIB_RETURN_IF_ERROR(D::integer(root, "schemaVersion", "", hasVersion, schemaVersion));
  if (schemaVersion == 1 || type.rfind("application/vnd.docker.distribution.manifest.v1", 0) == 0) {
    m.kind = ManifestKind::kSchema1;
    if (m.mediaType.empty()) m.mediaType = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    m.schema1Created = schema1CreatedOf(root);
    return m;
  }
  if (schemaVersion != 2)
    return invalidArgumentError("manifest schemaVersion " +
                                (hasVersion ? std::to_string(schemaVersion) : std::string("(absent)")) +
                                " is not supported (expected 2)");
  const bool isIndexType = type == kDockerManifestList || type == kOciIndex;
  const bool isImageType = type == kDockerManifestV2 || type == kOciManifest;
  TRIB_ASSIGN_OR_RETURN(const JsonValue* manifests, D::member(root, "manifests", ""));
  TRIB_ASSIGN_OR_RETURN(const JsonValue* config, D::member(root, "config", ""));
  TRIB_ASSIGN_OR_RETURN(const JsonValue* layers, D::member(root, "layers", ""));
  bool index = isIndexType;
  if (!isIndexType && !isImageType) {
    if (!m.mediaType.empty())
      return invalidArgumentError("manifest media type `" + m.mediaType + "` is not supported");
    // OCI allows mediaType to be absent: decide by shape, as Distribution does.
    if (manifests != nullptr) {
      index = true;
      m.mediaType = kOciIndex;
    } else if (config != nullptr) {
      m.mediaType = kOciManifest;
    } else {
      return invalidArgumentError("manifest has neither `manifests` nor `config`");
    }
  } else if (m.mediaType.empty()) {
    m.mediaType = type;
  }
  // Distribution refuses these mixtures on push (ocischema validateManifest / validateIndex);
  // a manifest a push would refuse is not one to publish either.
  if (m.mediaType == kOciManifest && manifests != nullptr)
    return invalidArgumentError("OCI image manifest has a `manifests` field (an index's)");
  if (m.mediaType == kOciIndex && (config != nullptr || layers != nullptr))
    return invalidArgumentError("OCI index has a `config` or `layers` field (an image's)");
  if (index) {
    m.kind = ManifestKind::kIndex;
    bool present = false;
    TRIB_ASSIGN_OR_RETURN(m.children, D::descriptors(root, "manifests", true, present));
    if (!present) return invalidArgumentError("index has no `manifests` array");
    return m;
  }
  m.kind = ManifestKind::kImage;
  TRIB_ASSIGN_OR_RETURN(m.config, D::descriptor(config, "config", false));
  bool present = false;
  TRIB_ASSIGN_OR_RETURN(m.layers, D::descriptors(root, "layers", false, present));
  if (!present) return invalidArgumentError("image manifest has no `layers` array");
  if (m.mediaType == kOciManifest) TRIB_RETURN_IF_ERROR(D::stringMap(root, "annotations", "", nullptr));
  return m;
}

}  // namespace tributary::registry
