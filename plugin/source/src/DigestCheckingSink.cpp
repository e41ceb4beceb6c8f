#include "DigestCheckingSink.h"

#include <openssl/evp.h>

namespace tributary::plugin {
namespace {

const EVP_MD* algorithmOf(const std::string& digest) {
  return digest.rfind("sha512:", 0) == 0 ? EVP_sha512() : EVP_sha256();
}

std::string hexDigest(const std::string& prefixFrom, const unsigned char* md, unsigned len) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = prefixFrom.rfind("sha512:", 0) == 0 ? "sha512:" : "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace

struct DigestCheckingSink::Hash {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Hash() { EVP_MD_CTX_free(ctx); }
};

DigestCheckingSink::DigestCheckingSink(registry::BlobSink& inner, std::string digest)
    : inner_(inner), digest_(std::move(digest)), hash_(std::make_unique<Hash>()) {
  EVP_DigestInit_ex(hash_->ctx, algorithmOf(digest_), nullptr);
}

DigestCheckingSink::~DigestCheckingSink() = default;

Status DigestCheckingSink::write(const char* data, size_t len) {
  TRIB_RETURN_IF_ERROR(inner_.write(data, len));
  EVP_DigestUpdate(hash_->ctx, data, len);
  bytes_ += len;
  return Status();
}

Status DigestCheckingSink::reset() {
  TRIB_RETURN_IF_ERROR(inner_.reset());
  EVP_DigestInit_ex(hash_->ctx, algorithmOf(digest_), nullptr);
  bytes_ = 0;
  return Status();
}

Status DigestCheckingSink::verify(uint64_t size) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(hash_->ctx, md, &len);
  const std::string got = hexDigest(digest_, md, len);
  if (bytes_ != size)
    return dataLossError("got " + std::to_string(bytes_) + " bytes, expected " +
                         std::to_string(size));
  if (got != digest_) return dataLossError("content has digest " + got + ", not " + digest_);
  return Status();
}

std::string DigestCheckingSink::digestOf(const std::string& bytes, const std::string& likeDigest) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, algorithmOf(likeDigest), nullptr);
  return hexDigest(likeDigest, md, len);
}

}  // namespace tributary::plugin
