#include "DigestHasher.h"

#include <openssl/evp.h>

namespace tributary::storage {

struct DigestHasher::Impl {
  const EVP_MD* md = nullptr;
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

DigestHasher::DigestHasher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
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
  impl->ctx = EVP_MD_CTX_new();
  if (impl->ctx == nullptr) return internalError("EVP_MD_CTX_new failed");
  std::unique_ptr<DigestHasher> hasher(new DigestHasher(std::move(impl)));
  TRIB_RETURN_IF_ERROR(hasher->reset());
  return hasher;
}

Result<std::string> DigestHasher::hexDigestOf(std::string_view algorithm, std::string_view bytes) {
  TRIB_ASSIGN_OR_RETURN(auto hasher, create(algorithm));
  hasher->update(bytes.data(), bytes.size());
  return hasher->finishHex();
}

void DigestHasher::update(const void* data, size_t len) {
  if (len > 0) EVP_DigestUpdate(impl_->ctx, data, len);
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
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(static_cast<size_t>(len) * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    hex[2 * i] = kHex[raw[i] >> 4];
    hex[2 * i + 1] = kHex[raw[i] & 0xf];
  }
  return hex;
}

}  // namespace tributary::storage
