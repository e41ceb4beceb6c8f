// AWS Signature Version 4 for S3 requests (HMAC-SHA256 over OpenSSL), checked against AWS's
// published test vectors (tests/host-sdk/storage/s3/SigV4SignerTest.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary::storage::s3 {

/// What is signed: the caller builds the request first and signs exactly what it will send.
struct SigV4Request {
  std::string method;        // "GET", "PUT", ...
  std::string canonicalUri;  // the path as sent, already URI-encoded ("/bucket/a%3Ab")
  // Query parameters, NOT encoded (the signer encodes names and values per RFC 3986 and sorts
  // them); a parameter without a value ("?uploads") has an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, as sent (names in any case). Must include Host and X-Amz-Date; S3
  // also wants X-Amz-Content-Sha256 (= payloadHash).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payloadHash;  // lowercase hex sha256 of the body, or "UNSIGNED-PAYLOAD"
};

/// Every intermediate, so tests (and a SignatureDoesNotMatch investigation) see each step.
struct SigV4Signature {
  std::string canonicalRequest;
  std::string stringToSign;
  std::string signature;      // lowercase hex
  std::string signedHeaders;  // "host;x-amz-content-sha256;x-amz-date"
  std::string authorization;  // the Authorization header's value
};

/// Holds the credential for one region and service. The secret key is used only to derive
/// signing keys and never leaves this object: no accessor, not in any message.
///
/// Threads: immutable after construction; sign() may be called from any thread at once.
class SigV4Signer {
 public:
  SigV4Signer(std::string accessKey, std::string secretKey, std::string region,
              std::string service);
  ~SigV4Signer();
  SigV4Signer(const SigV4Signer&) = delete;
  SigV4Signer& operator=(const SigV4Signer&) = delete;

  /// Signs `request` at `amzDate` ("20150830T123600Z", UTC).
  SigV4Signature sign(const SigV4Request& request, std::string_view amzDate) const;

  const std::string& accessKey() const { return accessKey_; }
  const std::string& region() const { return region_; }

  /// RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - _ . ~ (and '/' when
  /// `keepSlash`, for paths), upper-case hex, as SigV4 requires.
  static std::string uriEncode(std::string_view text, bool keepSlash);
  /// Lowercase hex sha256 of `bytes`.
  static std::string sha256Hex(std::string_view bytes);
  /// "YYYYMMDDTHHMMSSZ" for a time_t (UTC).
  static std::string amzDate(long long unixSeconds);

 private:
  std::string accessKey_;
  std::string secretKey_;
  std::string region_;
  std::string service_;
};

}  // namespace tributary::storage::s3
