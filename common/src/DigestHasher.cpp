#include "tributary/DigestHasher.h"

#include <openssl/evp.h>

#include "tributary/Hex.h"

namespace tributary {

struct DigestHasher::Impl {
  const EVP_MD* md = nullptr;
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

DigestHasher::DigestHasher(std::unique_ptr<Impl> impl, std::string algorithm)
    : impl_(std::move(impl)), algorithm_(std::move(algorithm)) {}
DigestHasher::~DigestHasher() = default;

Result<std::unique_ptr<DigestHasher>> DigestHasher::create(std::string_view algorithm) {
  auto impl = std::make_unique<Impl>();
  if (algorithm == "sha256") {
    impl->md = EVP_sha256();
  } else if (algorithm == "sha512") {
    impl->md = EVP_sha512();
  } else {
    return invalidArgumentError("digest algorithm `" + std::string(algorithm) +
                                "` is not supported; use sha256 or sha512");
  }
  if (impl->md == nullptr) return internalError("OpenSSL has no " + std::string(algorithm));
  impl->ctx = EVP_MD_CTX_new();
  if (impl->ctx == nullptr) return internalError("EVP_MD_CTX_new failed");
  std::unique_ptr<DigestHasher> hasher(new DigestHasher(std::move(impl), std::string(algorithm)));
  TRIB_RETURN_IF_ERROR(hasher->reset());
  return hasher;
}

Result<std::unique_ptr<DigestHasher>> DigestHasher::forDigest(std::string_view digest) {
  const size_t colon = digest.find(':');
  if (colon == std::string_view::npos)
    return invalidArgumentError("digest `" + std::string(digest) +
                                "` has no `<algorithm>:` prefix");
  return create(digest.substr(0, colon));
}

Result<std::string> DigestHasher::hexDigestOf(std::string_view algorithm, std::string_view bytes) {
  TRIB_ASSIGN_OR_RETURN(auto hasher, create(algorithm));
  TRIB_RETURN_IF_ERROR(hasher->update(bytes.data(), bytes.size()));
  return hasher->finishHex();
}

Result<std::string> DigestHasher::digestOf(std::string_view algorithm, std::string_view bytes) {
  TRIB_ASSIGN_OR_RETURN(std::string hex, hexDigestOf(algorithm, bytes));
  return std::string(algorithm) + ":" + hex;
}

Status DigestHasher::update(const void* data, size_t len) {
  if (len > 0 && EVP_DigestUpdate(impl_->ctx, data, len) != 1)
    return internalError("EVP_DigestUpdate failed");
  return Status();
}

Status DigestHasher::reset() {
  if (EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr) != 1)
    return internalError("EVP_DigestInit_ex failed");
  return Status();
}

Result<std::string> DigestHasher::finishHex() {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, raw, &len) != 1)
    return internalError("EVP_DigestFinal_ex failed");
  return hexEncode(raw, len);
}

}  // namespace tributary
