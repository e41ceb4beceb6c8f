// The read side of a source registry, as the sync engine and the custom adapter need it.
//
// Why an interface when RegistryClient exists: RegistryClient is a concrete network client, so
// code written against this small abstract class can be tested with an in-memory fake.
// ClientRegistryReader forwards to a RegistryClient. (Candidate to move into registry-v2 so
// every adapter shares it.)
//
// Thread rules: implementations must allow concurrent calls (blob jobs run on a worker pool).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tributary/Status.h"
#include "tributary/registry/BlobSink.h"
#include "tributary/registry/RegistryClient.h"

namespace tributary::registry {

class RegistryReader {
 public:
  virtual ~RegistryReader() = default;

  virtual Result<std::vector<std::string>> listTags(const std::string& repository) = 0;
  /// Only the tags `keep` accepts. Readers over a RegistryClient filter page by page, so only
  /// candidates are held in memory (issue #7); the default filters the whole list.
  virtual Result<std::vector<std::string>> listTagsMatching(
      const std::string& repository, const std::function<bool(const std::string&)>& keep) {
    TRIB_ASSIGN_OR_RETURN(std::vector<std::string> all, listTags(repository));
    std::vector<std::string> kept;
    for (std::string& t : all)
      if (!keep || keep(t)) kept.push_back(std::move(t));
    return kept;
  }
  /// kNotFound when absent.
  virtual Result<registry::ManifestDescriptor> headManifest(const std::string& repository,
                                                            const std::string& reference) = 0;
  /// headManifest for a reference last seen naming `knownDigest`: a reader over a network
  /// client asks with If-None-Match (RegistryClient::headManifest), so an unchanged tag costs
  /// the source only its tag lookup, and answers `notModified` with digest = knownDigest.
  /// The default is a plain HEAD, always a correct answer; readers that forward to another
  /// reader forward this too, or the saving is lost.
  virtual Result<registry::ManifestDescriptor> headManifestIfChanged(
      const std::string& repository, const std::string& reference,
      const std::string& knownDigest) {
    (void)knownDigest;
    return headManifest(repository, reference);
  }
  /// Exact bytes; digest = sha256 of them (verified against `reference` when it is a digest).
  virtual Result<registry::Manifest> getManifest(const std::string& repository,
                                                 const std::string& reference) = 0;
  /// Streams a blob into `sink` (resume, reset and size limit as RegistryClient::fetchBlob).
  virtual Status fetchBlob(const std::string& repository, const std::string& digest,
                           uint64_t expectedSize, registry::BlobSink& sink) = 0;
  /// Bytes [offset, offset+length) of a blob into `sink` (as RegistryClient::fetchBlobRange).
  /// kUnimplemented when the source does not honour Range; that is also the answer of readers
  /// that cannot fetch ranges at all, so callers always have the whole-blob fallback.
  virtual Status fetchBlobRange(const std::string& repository, const std::string& digest,
                                uint64_t offset, uint64_t length, registry::BlobSink& sink) {
    (void)sink;
    return unimplementedError("byte ranges of blob " + digest + " of " + repository + " (" +
                              std::to_string(offset) + "+" + std::to_string(length) +
                              ") are not supported by this reader");
  }
};

}  // namespace tributary::registry
