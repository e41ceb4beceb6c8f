#include "DigestCheckingSink.h"

namespace tributary::plugin {

DigestCheckingSink::DigestCheckingSink(registry::BlobSink& inner, std::string digest)
    : inner_(inner), digest_(std::move(digest)), hasher_(DigestHasher::forDigest(digest_)) {}

DigestCheckingSink::~DigestCheckingSink() = default;

Status DigestCheckingSink::write(const char* data, size_t len) {
  if (!hasher_.isOk()) return hasher_.status();
  TRIB_RETURN_IF_ERROR(inner_.write(data, len));
  TRIB_RETURN_IF_ERROR((*hasher_)->update(data, len));
  bytes_ += len;
  return Status();
}

Status DigestCheckingSink::reset() {
  if (!hasher_.isOk()) return hasher_.status();
  TRIB_RETURN_IF_ERROR(inner_.reset());
  TRIB_RETURN_IF_ERROR((*hasher_)->reset());
  bytes_ = 0;
  return Status();
}

Status DigestCheckingSink::verify(uint64_t size) {
  if (!hasher_.isOk()) return hasher_.status();
  TRIB_ASSIGN_OR_RETURN(std::string hex, (*hasher_)->finishHex());
  if (bytes_ != size)
    return dataLossError("got " + std::to_string(bytes_) + " bytes, expected " +
                         std::to_string(size));
  const std::string got = (*hasher_)->algorithm() + ":" + hex;
  if (got != digest_) return dataLossError("content has digest " + got + ", not " + digest_);
  return Status();
}

Result<std::string> DigestCheckingSink::digestOf(const std::string& bytes,
                                                 const std::string& likeDigest) {
  TRIB_ASSIGN_OR_RETURN(auto hasher, DigestHasher::forDigest(likeDigest));
  TRIB_RETURN_IF_ERROR(hasher->update(bytes.data(), bytes.size()));
  TRIB_ASSIGN_OR_RETURN(std::string hex, hasher->finishHex());
  return hasher->algorithm() + ":" + hex;
}

}  // namespace tributary::plugin
