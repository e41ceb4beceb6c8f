#include "tributary/api/RepositoryTags.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <optional>

#include "tributary/Names.h"
#include "tributary/WorkerPool.h"

namespace tributary::api {
namespace {

// Distribution refuses manifest pushes over 4 MiB; an image config is far smaller.
constexpr size_t kMaxManifestBytes = 4u << 20;
constexpr size_t kMaxConfigBytes = 1u << 20;

// Absent, too large or damaged: the tag is listed with what is known. Anything else (the
// storage cannot be read) fails the listing.
bool describable(const Status& status) {
  const StatusCode code = status.code();
  return code == StatusCode::kNotFound || code == StatusCode::kOutOfRange ||
         code == StatusCode::kDataLoss;
}

std::string platformOf(const Poco::JSON::Object::Ptr& p) {
  if (!p) return "";
  std::string s = p->optValue<std::string>("os", "") + "/" +
                  p->optValue<std::string>("architecture", "");
  const std::string variant = p->optValue<std::string>("variant", "");
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Poco::JSON::Object::Ptr parseObject(const std::string& bytes) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(bytes).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    return nullptr;  // listed with what is known
  }
}

Status describe(storage::StorageReader& storage, StoredTag& tag) {
  Result<std::string> bytes = storage.readBlob(tag.digest, kMaxManifestBytes);
  if (!bytes.isOk()) return describable(bytes.status()) ? Status() : bytes.status();
  Poco::JSON::Object::Ptr manifest = parseObject(*bytes);
  if (!manifest) return Status();
  try {
    tag.mediaType = manifest->optValue<std::string>("mediaType", "");
    if (auto children = manifest->getArray("manifests")) {
      if (tag.mediaType.empty()) tag.mediaType = "application/vnd.oci.image.index.v1+json";
      for (size_t i = 0; i < children->size(); ++i) {
        auto child = children->getObject(static_cast<unsigned>(i));
        const std::string p = platformOf(child ? child->getObject("platform") : nullptr);
        if (!p.empty() && p != "/" && p.find("unknown") == std::string::npos) {
          tag.platforms.push_back(p);
        }
      }
    } else if (auto config = manifest->getObject("config")) {
      const std::string configDigest = config->optValue<std::string>("digest", "");
      if (!validateDigest(configDigest).isOk()) return Status();
      Result<std::string> configBytes = storage.readBlob(configDigest, kMaxConfigBytes);
      if (!configBytes.isOk())
        return describable(configBytes.status()) ? Status() : configBytes.status();
      const std::string p = platformOf(parseObject(*configBytes));
      if (!p.empty() && p != "/") tag.platforms.push_back(p);
    }
  } catch (const std::exception&) {
    // a member of an unexpected JSON type: listed with what is known
  }
  return Status();
}

}  // namespace

Result<std::vector<StoredTag>> RepositoryTags::list(storage::StorageReader& storage,
                                                    const std::string& repository,
                                                    int parallelism) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string> names, storage.listTags(repository));
  // One slot per name, each written by its own job only; names come sorted, so the tags do too.
  std::vector<std::optional<StoredTag>> slots(names.size());
  Status read = WorkerPool::run(names.size(), std::max(1, parallelism), [&](size_t i) -> Status {
    const std::string& name = names[i];
    if (!validateTag(name).isOk()) return Status();
    Result<std::string> digest = storage.readTagLink(repository, name);
    if (!digest.isOk()) {
      // A tag whose current/link vanished since the listing, or is damaged: the registry
      // serves nothing for it either.
      if (digest.status().code() == StatusCode::kNotFound ||
          digest.status().code() == StatusCode::kDataLoss)
        return Status();
      return digest.status().withContext("reading tag " + name + " of " + repository);
    }
    StoredTag tag;
    tag.tag = name;
    tag.digest = std::move(digest).value();
    TRIB_RETURN_IF_ERROR(
        describe(storage, tag).withContext("describing " + repository + ":" + tag.tag));
    slots[i] = std::move(tag);
    return Status();
  });
  TRIB_RETURN_IF_ERROR(read);
  std::vector<StoredTag> tags;
  tags.reserve(slots.size());
  for (auto& slot : slots)
    if (slot) tags.push_back(std::move(*slot));
  return tags;
}

}  // namespace tributary::api
