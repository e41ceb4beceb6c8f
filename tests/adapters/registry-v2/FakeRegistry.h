// An in-memory source registry for white-box tests: manifests and blobs by digest, tags per
// repository, and counters for every kind of request so tests can assert "no GET happened".
// Helpers build real Docker/OCI JSON so digests are genuine sha256 of the bytes.
// Shared by tests/adapters/custom and tests/plugin.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "tributary/registry/RegistryReader.h"

namespace tributary::testing {

inline std::string sha256(const std::string& bytes) {
  Poco::SHA2Engine e(Poco::SHA2Engine::SHA_256);
  e.update(bytes.data(), bytes.size());
  return "sha256:" + Poco::DigestEngine::digestToHex(e.digest());
}

struct ChildSpec {
  std::string digest;
  std::string os;
  std::string arch;
  std::string variant;
  bool attestation = false;
};

class FakeRegistry final : public registry::RegistryReader {
 public:
  // ---- building content ----
  std::string addBlob(const std::string& bytes) {
    std::lock_guard<std::mutex> l(m_);
    std::string d = sha256(bytes);
    blobs_[d] = bytes;
    return d;
  }
  std::string addManifest(const std::string& bytes, const std::string& mediaType) {
    std::lock_guard<std::mutex> l(m_);
    std::string d = sha256(bytes);
    manifests_[d] = {bytes, mediaType};
    return d;
  }
  void tag(const std::string& repo, const std::string& tag, const std::string& digest) {
    std::lock_guard<std::mutex> l(m_);
    tags_[repo][tag] = digest;
  }
  void untag(const std::string& repo, const std::string& tag) {
    std::lock_guard<std::mutex> l(m_);
    tags_[repo].erase(tag);
  }
  /// A config blob with platform and created time ("" = no created field).
  std::string addConfig(const std::string& os, const std::string& arch, const std::string& variant,
                        const std::string& created, const std::string& salt = "") {
    std::string json = "{\"architecture\":\"" + arch + "\",\"os\":\"" + os + "\"";
    if (!variant.empty()) json += ",\"variant\":\"" + variant + "\"";
    if (!created.empty()) json += ",\"created\":\"" + created + "\"";
    json += ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"salt\":\"" + salt + "\"}";
    return addBlob(json);
  }
  /// A Docker schema2 image manifest over existing blobs. `foreignLayers` get `urls`.
  std::string addImage(const std::string& configDigest, const std::vector<std::string>& layers,
                       const std::vector<std::string>& foreignLayers = {},
                       bool oci = false, bool omitMediaType = false) {
    const char* type = oci ? "application/vnd.oci.image.manifest.v1+json"
                           : "application/vnd.docker.distribution.manifest.v2+json";
    std::string json = "{\"schemaVersion\":2,";
    if (!omitMediaType) json += std::string("\"mediaType\":\"") + type + "\",";
    json += "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":" +
            std::to_string(blobSize(configDigest)) + ",\"digest\":\"" + configDigest + "\"},\"layers\":[";
    bool first = true;
    for (const std::string& l : layers) {
      json += std::string(first ? "" : ",") +
              "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":" +
              std::to_string(blobSize(l)) + ",\"digest\":\"" + l + "\"}";
      first = false;
    }
    for (const std::string& l : foreignLayers) {
      json += std::string(first ? "" : ",") +
              "{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"size\":1234,\"digest\":\"" +
              l + "\",\"urls\":[\"https://example.invalid/layer\"]}";
      first = false;
    }
    json += "]}";
    return addManifest(json, omitMediaType ? "" : type);
  }
  /// A manifest list (or OCI index) over existing child manifests.
  std::string addIndex(const std::vector<ChildSpec>& children, bool oci = false) {
    const char* type = oci ? "application/vnd.oci.image.index.v1+json"
                           : "application/vnd.docker.distribution.manifest.list.v2+json";
    std::string json = std::string("{\"schemaVersion\":2,\"mediaType\":\"") + type + "\",\"manifests\":[";
    bool first = true;
    for (const ChildSpec& c : children) {
      json += std::string(first ? "" : ",") + "{\"mediaType\":\"" + mediaTypeOf(c.digest) +
              "\",\"size\":" + std::to_string(manifestSize(c.digest)) + ",\"digest\":\"" +
              c.digest + "\",\"platform\":{\"architecture\":\"" + c.arch + "\",\"os\":\"" + c.os +
              "\"" + (c.variant.empty() ? "" : ",\"variant\":\"" + c.variant + "\"") + "}" +
              (c.attestation ? ",\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\",\"vnd.docker.reference.digest\":\"" + children.front().digest + "\"}" : "") +
              "}";
      first = false;
    }
    json += "]}";
    return addManifest(json, type);
  }
  /// A single-layer image with its own config; returns the manifest digest.
  std::string addSimpleImage(const std::string& os, const std::string& arch,
                             const std::string& variant, const std::string& created,
                             const std::string& layerBytes) {
    std::string cfg = addConfig(os, arch, variant, created, layerBytes);
    std::string layer = addBlob(layerBytes);
    return addImage(cfg, {layer});
  }

  // ---- registry::RegistryReader ----
  Result<std::vector<std::string>> listTags(const std::string& repository) override {
    std::lock_guard<std::mutex> l(m_);
    ++listCalls;
    if (failList) return unavailableError("listing failed (fake)");
    std::vector<std::string> out;
    for (const auto& [t, d] : tags_[repository]) out.push_back(t);
    return out;
  }
  Result<registry::ManifestDescriptor> headManifest(const std::string& repository,
                                                    const std::string& reference) override {
    std::lock_guard<std::mutex> l(m_);
    ++headCalls;
    if (unreachable) return unavailableError("connection refused (fake)");
    std::string digest = resolve(repository, reference);
    auto it = manifests_.find(digest);
    if (it == manifests_.end()) return notFoundError("manifest " + reference + " not found (fake)");
    return registry::ManifestDescriptor{digest, it->second.mediaType, it->second.bytes.size()};
  }
  /// As Distribution: a 304 (notModified, nothing but the digest) when the reference still
  /// names `knownDigest`, else headManifest's answer.
  Result<registry::ManifestDescriptor> headManifestIfChanged(
      const std::string& repository, const std::string& reference,
      const std::string& knownDigest) override {
    {
      std::lock_guard<std::mutex> l(m_);
      if (!unreachable && resolve(repository, reference) == knownDigest &&
          manifests_.count(knownDigest)) {
        ++headCalls;
        ++notModifiedAnswers;
        registry::ManifestDescriptor unchanged;
        unchanged.digest = knownDigest;
        unchanged.notModified = true;
        return unchanged;
      }
    }
    return headManifest(repository, reference);
  }
  Result<registry::Manifest> getManifest(const std::string& repository,
                                         const std::string& reference) override {
    std::lock_guard<std::mutex> l(m_);
    ++getCalls;
    if (reference.find(':') == std::string::npos) ++getByTagCalls;
    if (unreachable) return unavailableError("connection refused (fake)");
    std::string digest = resolve(repository, reference);
    auto it = manifests_.find(digest);
    if (it == manifests_.end()) return notFoundError("manifest " + reference + " not found (fake)");
    return registry::Manifest{digest, it->second.mediaType, it->second.bytes};
  }
  Status fetchBlob(const std::string&, const std::string& digest, uint64_t expectedSize,
                   registry::BlobSink& sink) override {
    std::string bytes;
    {
      std::lock_guard<std::mutex> l(m_);
      ++blobFetches[digest];
      if (unreachable) return unavailableError("connection refused (fake)");
      auto it = blobs_.find(digest);
      if (it == blobs_.end()) return notFoundError("blob " + digest + " not found (fake)");
      bytes = it->second;
    }
    {
      std::lock_guard<std::mutex> l(m_);
      auto damaged = damageNextFetches.find(digest);
      if (damaged != damageNextFetches.end() && damaged->second > 0 && !bytes.empty()) {
        --damaged->second;
        bytes[bytes.size() / 2] ^= 0x20;  // one byte flipped on the way
      }
    }
    if (bytes.size() > expectedSize) return dataLossError("blob larger than expected (fake)");
    // Two chunks, so sinks see more than one write.
    size_t half = bytes.size() / 2;
    TRIB_RETURN_IF_ERROR(sink.write(bytes.data(), half));
    return sink.write(bytes.data() + half, bytes.size() - half);
  }

  /// Byte ranges only when `honourRange` is set; else kUnimplemented like a server that
  /// answers 200 to a Range request.
  Status fetchBlobRange(const std::string&, const std::string& digest, uint64_t offset,
                        uint64_t length, registry::BlobSink& sink) override {
    std::string bytes;
    {
      std::lock_guard<std::mutex> l(m_);
      ++rangeFetches[digest];
      if (unreachable) return unavailableError("connection refused (fake)");
      if (!honourRange) return unimplementedError("ignores Range (fake)");
      auto it = blobs_.find(digest);
      if (it == blobs_.end()) return notFoundError("blob " + digest + " not found (fake)");
      if (offset + length > it->second.size()) return failedPreconditionError("416 (fake)");
      bytes = it->second.substr(offset, length);
    }
    return sink.write(bytes.data(), bytes.size());
  }

  /// Serves `bytes` under `digest` although they hash to something else (a bad mirror).
  void putBlobAs(const std::string& digest, const std::string& bytes) {
    std::lock_guard<std::mutex> l(m_);
    blobs_[digest] = bytes;
  }
  void putManifestAs(const std::string& digest, const std::string& bytes,
                     const std::string& mediaType) {
    std::lock_guard<std::mutex> l(m_);
    manifests_[digest] = {bytes, mediaType};
  }

  void removeBlob(const std::string& digest) {
    std::lock_guard<std::mutex> l(m_);
    blobs_.erase(digest);
  }
  uint64_t blobSize(const std::string& digest) {
    auto it = blobs_.find(digest);
    return it == blobs_.end() ? 0 : it->second.size();
  }
  uint64_t manifestSize(const std::string& digest) {
    auto it = manifests_.find(digest);
    return it == manifests_.end() ? 0 : it->second.bytes.size();
  }
  std::string mediaTypeOf(const std::string& digest) {
    auto it = manifests_.find(digest);
    return it == manifests_.end() ? "" : it->second.mediaType;
  }
  std::string manifestBytes(const std::string& digest) { return manifests_[digest].bytes; }
  int totalBlobFetches() {
    std::lock_guard<std::mutex> l(m_);
    int n = 0;
    for (const auto& [d, c] : blobFetches) n += c;
    return n;
  }
  void resetCounters() {
    std::lock_guard<std::mutex> l(m_);
    listCalls = headCalls = getCalls = getByTagCalls = notModifiedAnswers = 0;
    blobFetches.clear();
    rangeFetches.clear();
  }

  int listCalls = 0;
  int headCalls = 0;
  int notModifiedAnswers = 0;  // conditional HEADs answered "still that digest"
  int getCalls = 0;
  int getByTagCalls = 0;
  std::map<std::string, int> blobFetches;
  std::map<std::string, int> rangeFetches;
  std::map<std::string, int> damageNextFetches;  // digest -> fetches served with a flipped byte
  bool failList = false;
  bool honourRange = false;  // fetchBlobRange serves parts (else: "ignores Range")
  bool unreachable = false;  // every request but listTags fails like a dead host

 private:
  struct StoredManifest {
    std::string bytes;
    std::string mediaType;
  };
  std::string resolve(const std::string& repo, const std::string& reference) {
    if (reference.rfind("sha256:", 0) == 0) return reference;
    auto r = tags_.find(repo);
    if (r == tags_.end()) return "";
    auto t = r->second.find(reference);
    return t == r->second.end() ? "" : t->second;
  }

  std::mutex m_;
  std::map<std::string, std::string> blobs_;
  std::map<std::string, StoredManifest> manifests_;
  std::map<std::string, std::map<std::string, std::string>> tags_;
};

}  // namespace tributary::testing
