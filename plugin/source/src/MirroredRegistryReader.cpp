#include "tributary/plugin/source/MirroredRegistryReader.h"

#include "DigestCheckingSink.h"
#include "tributary/Names.h"

namespace tributary::plugin {
namespace {

bool isDigest(const std::string& reference) { return reference.find(':') != std::string::npos; }

}  // namespace

Result<std::vector<std::string>> MirroredRegistryReader::listTags(const std::string& repository) {
  return endpoints_.origin().listTags(repository);
}

Result<registry::ManifestDescriptor> MirroredRegistryReader::headManifest(
    const std::string& repository, const std::string& reference) {
  return endpoints_.origin().headManifest(repository, reference);
}

Result<registry::ManifestDescriptor> MirroredRegistryReader::headManifestIfChanged(
    const std::string& repository, const std::string& reference, const std::string& knownDigest) {
  return endpoints_.origin().headManifestIfChanged(repository, reference, knownDigest);
}

Result<registry::Manifest> MirroredRegistryReader::getManifest(const std::string& repository,
                                                               const std::string& reference) {
  // By tag: the origin decides what the tag means; a mirror may be stale.
  if (!isDigest(reference) || !parseDigest(reference).isOk())
    return endpoints_.origin().getManifest(repository, reference);
  registry::Manifest found;
  Status s = endpoints_.tryInOrder(
      "manifest " + reference, [&](SourceEndpoints::Endpoint& e) -> Status {
        TRIB_ASSIGN_OR_RETURN(registry::Manifest m, e.reader->getManifest(repository, reference));
        // Checked here as well, whatever the reader did: the mirror's bytes must be the ones
        // the digest names.
        TRIB_ASSIGN_OR_RETURN(std::string got, DigestCheckingSink::digestOf(m.bytes, reference));
        if (got != reference)
          return dataLossError("manifest " + reference + " from " + e.host + " has digest " + got);
        m.digest = reference;
        found = std::move(m);
        return Status();
      });
  if (!s.isOk()) return s;
  return found;
}

Status MirroredRegistryReader::fetchBlob(const std::string& repository, const std::string& digest,
                                         uint64_t expectedSize, registry::BlobSink& sink) {
  if (!endpoints_.hasMirrors() || !parseDigest(digest).isOk())
    return endpoints_.origin().fetchBlob(repository, digest, expectedSize, sink);
  const SourceEndpoints::Endpoint* servedBy = nullptr;
  Status status = endpoints_.tryInOrder(
      "blob " + digest,
      [&](SourceEndpoints::Endpoint& e) -> Status {
        if (sink.offset() > 0) TRIB_RETURN_IF_ERROR(sink.reset());  // an earlier mirror's bytes
        if (!e.mirror) return e.reader->fetchBlob(repository, digest, expectedSize, sink);
        DigestCheckingSink checked(sink, digest);
        Status s = e.reader->fetchBlob(repository, digest, expectedSize, checked);
        if (s.isOk())
          s = checked.verify(expectedSize).withContext("blob " + digest + " from " + e.host);
        return s;
      },
      &servedBy);
  if (status.isOk() && servedBy != nullptr && servedBy->mirror)
    endpoints_.noteServedByMirror(digest);
  return status;
}

Status MirroredRegistryReader::fetchBlobRange(const std::string& repository,
                                              const std::string& digest, uint64_t offset,
                                              uint64_t length, registry::BlobSink& sink) {
  return endpoints_.origin().fetchBlobRange(repository, digest, offset, length, sink);
}

}  // namespace tributary::plugin
