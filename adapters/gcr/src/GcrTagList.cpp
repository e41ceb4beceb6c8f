#include "tributary/gcr/GcrTagList.h"

#include <cctype>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace tributary::gcr {
namespace {

// "1597767277119" (a string, as GCR sends it; a bare number is accepted too) -> ms; nullopt
// for anything else and for 0 (Artifact Registry's "unknown").
std::optional<int64_t> msOf(const Poco::JSON::Object::Ptr& o, const char* key) {
  if (!o || !o->has(key)) return std::nullopt;
  auto v = o->get(key);
  std::string s;
  if (v.isString()) s = v.convert<std::string>();
  else if (v.isInteger()) s = v.convert<std::string>();
  else return std::nullopt;
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  int64_t ms = std::stoll(s);
  if (ms <= 0) return std::nullopt;
  return ms;
}

}  // namespace

Result<GcrTagList> GcrTagList::parse(const std::string& body) {
  GcrTagList out;
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (!root) return dataLossError("tags/list is not a JSON object");
    if (auto tags = root->getArray("tags")) {
      for (size_t i = 0; i < tags->size(); ++i) {
        auto v = tags->get(static_cast<unsigned>(i));
        if (v.isString()) out.tags.push_back(v.convert<std::string>());
      }
    }
    if (auto manifests = root->getObject("manifest")) {
      out.hasManifestMap = true;
      for (const std::string& digest : manifests->getNames()) {
        auto m = manifests->getObject(digest);
        if (!m) continue;
        GcrManifestInfo info;
        if (auto up = msOf(m, "timeUploadedMs")) {
          info.timeMs = up;
          info.timestampSource = "gcr.timeUploadedMs";
        } else if (auto created = msOf(m, "timeCreatedMs")) {
          info.timeMs = created;
          info.timestampSource = "gcr.timeCreatedMs";
        }
        if (auto tagNames = m->getArray("tag")) {
          for (size_t i = 0; i < tagNames->size(); ++i) {
            auto v = tagNames->get(static_cast<unsigned>(i));
            if (v.isString()) out.digestOfTag[v.convert<std::string>()] = digest;
          }
        }
        out.manifests[digest] = std::move(info);
      }
    }
  } catch (const std::exception& e) {
    return dataLossError(std::string("tags/list is not valid JSON: ") + e.what());
  }
  return out;
}

void GcrTagList::merge(GcrTagList&& page) {
  for (std::string& t : page.tags) tags.push_back(std::move(t));
  hasManifestMap = hasManifestMap || page.hasManifestMap;
  for (auto& [tag, digest] : page.digestOfTag) digestOfTag[tag] = digest;
  for (auto& [digest, info] : page.manifests) manifests[digest] = info;
}

std::string GcrTagList::nextLink(const std::string& linkHeader) {
  // <url>; rel="next"[, <url>; rel="prev"]
  size_t pos = 0;
  while ((pos = linkHeader.find('<', pos)) != std::string::npos) {
    size_t close = linkHeader.find('>', pos);
    if (close == std::string::npos) return "";
    std::string url = linkHeader.substr(pos + 1, close - pos - 1);
    size_t end = linkHeader.find('<', close);
    std::string params = linkHeader.substr(close + 1, end == std::string::npos ? std::string::npos
                                                                                : end - close - 1);
    if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos)
      return url;
    pos = close;
  }
  return "";
}

}  // namespace tributary::gcr
