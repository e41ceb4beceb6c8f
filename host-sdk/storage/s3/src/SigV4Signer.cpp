#include "tributary/storage/s3/SigV4Signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "tributary/Hex.h"

namespace tributary::storage::s3 {

namespace {

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) ==
      nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// SigV4 header value: leading and trailing blanks removed, runs of blanks collapsed to one.
std::string trimmedValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pendingSpace = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pendingSpace = !out.empty();
      continue;
    }
    if (pendingSpace) out += ' ';
    pendingSpace = false;
    out += c;
  }
  return out;
}

}  // namespace

SigV4Signer::SigV4Signer(std::string accessKey, std::string secretKey, std::string region,
                         std::string service)
    : accessKey_(std::move(accessKey)),
      secretKey_(std::move(secretKey)),
      region_(std::move(region)),
      service_(std::move(service)) {}

SigV4Signer::~SigV4Signer() { OPENSSL_cleanse(secretKey_.data(), secretKey_.size()); }

std::string SigV4Signer::uriEncode(std::string_view text, bool keepSlash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~';
    if (unreserved || (keepSlash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string SigV4Signer::sha256Hex(std::string_view bytes) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out);
  return hexEncode(out, sizeof(out));
}

std::string SigV4Signer::amzDate(long long unixSeconds) {
  const std::time_t t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

SigV4Signature SigV4Signer::sign(const SigV4Request& request, std::string_view amzDate) const {
  SigV4Signature result;

  // Canonical query: names and values encoded, then sorted by name (then value).
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [name, value] : request.query)
    query.emplace_back(uriEncode(name, false), uriEncode(value, false));
  std::sort(query.begin(), query.end());
  std::string canonicalQuery;
  for (const auto& [name, value] : query) {
    if (!canonicalQuery.empty()) canonicalQuery += '&';
    canonicalQuery += name + "=" + value;
  }

  // Canonical headers: lowercase names, trimmed values, sorted; repeated names joined by ','.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers)
    headers.emplace_back(lowercase(trimmedValue(name)), trimmedValue(value));
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonicalHeaders;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonicalHeaders.pop_back();  // the '\n' of the previous line
      canonicalHeaders += "," + headers[i].second + "\n";
      continue;
    }
    canonicalHeaders += headers[i].first + ":" + headers[i].second + "\n";
    if (!result.signedHeaders.empty()) result.signedHeaders += ';';
    result.signedHeaders += headers[i].first;
  }

  result.canonicalRequest = request.method + "\n" + request.canonicalUri + "\n" + canonicalQuery +
                            "\n" + canonicalHeaders + "\n" + result.signedHeaders + "\n" +
                            request.payloadHash;

  const std::string date(amzDate.substr(0, 8));
  const std::string scope = date + "/" + region_ + "/" + service_ + "/aws4_request";
  result.stringToSign = "AWS4-HMAC-SHA256\n" + std::string(amzDate) + "\n" + scope + "\n" +
                        sha256Hex(result.canonicalRequest);

  std::string key = hmacSha256("AWS4" + secretKey_, date);
  key = hmacSha256(key, region_);
  key = hmacSha256(key, service_);
  key = hmacSha256(key, "aws4_request");
  const std::string mac = hmacSha256(key, result.stringToSign);
  OPENSSL_cleanse(key.data(), key.size());
  result.signature =
      hexEncode(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  result.authorization = "AWS4-HMAC-SHA256 Credential=" + accessKey_ + "/" + scope +
                         ", SignedHeaders=" + result.signedHeaders +
                         ", Signature=" + result.signature;
  return result;
}

}  // namespace tributary::storage::s3
