#include "tributary/registry/MemoryBlobSink.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "tributary/Names.h"

namespace tributary::registry {

Status MemoryBlobSink::write(const char* data, size_t len) {
  if (bytes_.size() + len > limit_)
    return dataLossError("blob is larger than the " + std::to_string(limit_) +
                         "-byte limit for in-memory blobs");
  bytes_.append(data, len);
  return Status();
}

Status MemoryBlobSink::reset() {
  bytes_.clear();
  return Status();
}

Status MemoryBlobSink::verify(const std::string& digest) const {
  TRIB_ASSIGN_OR_RETURN(Digest d, parseDigest(digest));
  Poco::SHA2Engine engine(d.algorithm == "sha512" ? Poco::SHA2Engine::SHA_512
                                                  : Poco::SHA2Engine::SHA_256);
  engine.update(bytes_.data(), static_cast<unsigned>(bytes_.size()));
  const std::string actual = Poco::DigestEngine::digestToHex(engine.digest());
  if (actual != d.hex)
    return dataLossError("blob " + digest + " hashes to " + d.algorithm + ":" + actual);
  return Status();
}

}  // namespace tributary::registry
