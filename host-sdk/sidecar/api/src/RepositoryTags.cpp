#include "tributary/api/RepositoryTags.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tributary/Names.h"

namespace tributary::api {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string data(limit, '\0');
  in.read(data.data(), static_cast<std::streamsize>(limit));
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

fs::path blobPath(const fs::path& v2, const std::string& digest) {
  auto parsed = parseDigest(digest);
  if (!parsed.isOk()) return {};
  const auto colon = digest.find(':');
  const std::string alg = digest.substr(0, colon), hex = digest.substr(colon + 1);
  return v2 / "blobs" / alg / hex.substr(0, 2) / hex / "data";
}

std::string platformOf(const Poco::JSON::Object::Ptr& p) {
  if (!p) return "";
  std::string s = p->optValue<std::string>("os", "") + "/" +
                  p->optValue<std::string>("architecture", "");
  const std::string variant = p->optValue<std::string>("variant", "");
  if (!variant.empty()) s += "/" + variant;
  return s;
}

void describe(const fs::path& v2, StoredTag& tag) {
  const std::string bytes = readFile(blobPath(v2, tag.digest), 4 << 20);
  if (bytes.empty()) return;
  try {
    Poco::JSON::Parser parser;
    auto manifest = parser.parse(bytes).extract<Poco::JSON::Object::Ptr>();
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
      const std::string configBytes =
          readFile(blobPath(v2, config->optValue<std::string>("digest", "")), 1 << 20);
      if (!configBytes.empty()) {
        Poco::JSON::Parser configParser;
        auto image = configParser.parse(configBytes).extract<Poco::JSON::Object::Ptr>();
        const std::string p = platformOf(image);
        if (p != "/") tag.platforms.push_back(p);
      }
    }
  } catch (const std::exception&) {
    // listed with what is known
  }
}

}  // namespace

Result<std::vector<StoredTag>> RepositoryTags::list(const std::string& rootDirectory,
                                                    const std::string& repository) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  const fs::path v2 = fs::path(rootDirectory) / "docker/registry/v2";
  const fs::path tagsDir = v2 / "repositories" / repository / "_manifests/tags";
  std::error_code ec;
  if (!fs::is_directory(tagsDir, ec)) {
    return notFoundError("repository `" + repository + "` has no tags in the storage");
  }
  std::vector<StoredTag> tags;
  for (const auto& entry : fs::directory_iterator(tagsDir, ec)) {
    StoredTag tag;
    tag.tag = entry.path().filename().string();
    if (!validateTag(tag.tag).isOk()) continue;
    tag.digest = readFile(entry.path() / "current/link", 200);
    if (tag.digest.empty() || !validateDigest(tag.digest).isOk()) continue;
    describe(v2, tag);
    tags.push_back(std::move(tag));
  }
  std::sort(tags.begin(), tags.end(),
            [](const StoredTag& a, const StoredTag& b) { return a.tag < b.tag; });
  return tags;
}

}  // namespace tributary::api
