#include "tributary/registry/RegistryClient.h"

#include "tributary/DigestHasher.h"

#include <algorithm>
#include <set>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "AuthorizedRequester.h"
#include "BlobFetcher.h"
#include "HttpConnectionPool.h"
#include "HttpErrorMapping.h"
#include "HttpTransport.h"
#include "LinkHeader.h"
#include "RetryPolicy.h"
#include "StrictJson.h"
#include "TokenAuthenticator.h"
#include "Url.h"
#include "tributary/Names.h"

namespace tributary::registry {

namespace {

constexpr size_t kMaxManifestBytes = 4 << 20;   // Distribution's own PUT limit
constexpr size_t kMaxTagPageBytes = 32 << 20;    // GCR pages carry a manifest map
constexpr size_t kMaxReplyBytes = 64 << 20;
constexpr int kMaxTagPages = 10000;
constexpr std::chrono::milliseconds kRetryBaseDelay{200};

Result<Url> registryBaseUrl(const RegistryClientOptions& o) {
  if (o.host.empty()) return invalidArgumentError("registry host is empty");
  if (o.host.find_first_of("/@?# ") != std::string::npos)
    return invalidArgumentError("registry host `" + o.host + "` must be host[:port] only");
  return Url::parse((o.plainHttp ? "http://" : "https://") + o.host + "/");
}

std::string stripParameters(const std::string& contentType) {
  std::string t = contentType.substr(0, contentType.find(';'));
  t.erase(0, t.find_first_not_of(" \t"));
  t.erase(t.find_last_not_of(" \t") + 1);
  return t;
}

std::chrono::milliseconds socketTimeout(const RegistryClientOptions& o) {
  if (o.lowSpeedLimitBytes > 0 && o.lowSpeedTime.count() > 0)
    return std::min(o.timeout, o.lowSpeedTime);
  return o.timeout;
}

// A response head trickled byte by byte never trips a per-operation timeout: it must be
// complete within max(timeout, lowSpeedTime) (off with the low-speed limit).
std::chrono::milliseconds headLimit(const RegistryClientOptions& o) {
  if (o.lowSpeedLimitBytes > 0 && o.lowSpeedTime.count() > 0)
    return std::max(o.timeout, o.lowSpeedTime);
  return std::chrono::milliseconds(0);
}

AddressPolicy::Resolver poolResolver(
    const std::function<std::vector<std::string>(const std::string&)>& resolveHost) {
  if (!resolveHost) return {};
  return [resolveHost](const std::string& host) {
    std::vector<Poco::Net::IPAddress> addresses;
    for (const std::string& text : resolveHost(host)) addresses.push_back(Poco::Net::IPAddress(text));
    return addresses;
  };
}

bool isDigestReference(const std::string& reference) {
  return reference.find(':') != std::string::npos;
}

}  // namespace

class RegistryClient::Impl {
 public:
  explicit Impl(RegistryClientOptions o)
      : options(std::move(o)),
        base(registryBaseUrl(options)),
        pool(ConnectionPoolOptions{options.caFile, options.allowPrivateNetworks,
                                   static_cast<int>(socketTimeout(options).count()), 8,
                                   poolResolver(options.resolveHost), options.tlsContexts,
                                   options.idleConnections}),
        retry(options.maxAttempts, kRetryBaseDelay, options.isCancelled,
              options.maxAttemptsOn429),
        transport(pool, retry, options.userAgent,
                  LowSpeedLimit{options.lowSpeedLimitBytes, options.lowSpeedTime},
                  headLimit(options)),
        authenticator(transport, options.credentials, base.isOk() ? *base : Url(),
                      options.insecureHosts),
        requester(transport, authenticator, base.isOk() ? *base : Url()) {
    if (options.onRegistryResponse) requester.setResponseObserver(options.onRegistryResponse);
  }

  Status ready() const { return base.status(); }
  std::string scopeFor(const std::string& repository) const {
    return "repository:" + repository + ":pull";
  }
  std::string hostName() const { return options.host; }

  Status checkReference(const std::string& reference) const {
    if (isDigestReference(reference)) return parseDigest(reference).status();
    return validateTag(reference);
  }

  Url url(const std::string& target) const { return *base->resolve(target); }

  RegistryClientOptions options;
  Result<Url> base;
  HttpConnectionPool pool;
  RetryPolicy retry;
  HttpTransport transport;
  TokenAuthenticator authenticator;
  AuthorizedRequester requester;
};

// OpenSSL is set up by the connection pool on the first https connection (plain-HTTP clients
// never need it; the digests computed here use EVP, which initialises itself).
RegistryClient::RegistryClient(RegistryClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

RegistryClient::~RegistryClient() = default;

const RegistryClientOptions& RegistryClient::options() const { return impl_->options; }

Result<std::vector<std::string>> RegistryClient::listTags(
    const std::string& repository, const std::function<bool(const std::string&)>& keep) {
  const std::string context = "listing tags of " + repository + " on " + impl_->hostName();
  TRIB_RETURN_IF_ERROR(impl_->ready().withContext(context));
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository).withContext(context));
  const size_t maxTags = impl_->options.maxTags;
  const uint64_t maxBytes = impl_->options.maxTagListBytes;
  std::vector<std::string> tags;
  size_t listed = 0;
  uint64_t bytes = 0;
  Url page = impl_->url("/v2/" + repository + "/tags/list?n=1000");
  std::set<std::string> seen;
  for (int pageNo = 0; pageNo < kMaxTagPages; ++pageNo) {
    seen.insert(page.toString());
    HttpRequest req;
    req.url = page;
    req.headers.emplace_back("Accept", "application/json");
    TRIB_ASSIGN_OR_RETURN(auto ex, impl_->requester.open(req, impl_->scopeFor(repository), context));
    const size_t pageLimit = static_cast<size_t>(
        std::min<uint64_t>(kMaxTagPageBytes, maxBytes - bytes + 1));
    auto body = ex->readAll(pageLimit, "tag list page");
    if (!body.isOk()) {
      if (body.status().code() == StatusCode::kFailedPrecondition && maxBytes - bytes < kMaxTagPageBytes)
        return resourceExhaustedError(context + ": the listing passes " + std::to_string(maxBytes) +
                                      " bytes (max_tag_list_bytes); refusing to read more");
      return body.status().withContext(context);
    }
    bytes += body->size();
    if (bytes > maxBytes)
      return resourceExhaustedError(context + ": the listing passes " + std::to_string(maxBytes) +
                                    " bytes (max_tag_list_bytes); refusing to read more");
    if (ex->status() != 200)
      return HttpErrorMapping::fromHttpStatus(ex->status(), ex->head().reason, *body, context);
    auto parsed = StrictJson::parse(*body);
    if (!parsed.isOk())
      return dataLossError(context + ": tag list is not valid JSON (" + parsed.status().message() + ")");
    if (parsed->type != JsonValue::Type::kObject)
      return dataLossError(context + ": tag list is not a JSON object");
    for (const auto& [key, value] : parsed->members) {
      if (key != "tags" || value.type == JsonValue::Type::kNull) continue;
      if (value.type != JsonValue::Type::kArray)
        return dataLossError(context + ": `tags` is not an array");
      for (const JsonValue& t : value.items) {
        if (t.type != JsonValue::Type::kString)
          return dataLossError(context + ": a tag is " + t.typeName() + ", not a string");
        if (++listed > maxTags)
          return resourceExhaustedError(context + ": the source lists more than " +
                                        std::to_string(maxTags) +
                                        " tags (max_tags); refusing to read more");
        if (!keep || keep(t.text)) tags.push_back(t.text);
      }
    }
    parsed = JsonValue();  // the page's memory goes before the next one is read
    std::string next = LinkHeader::nextReference(ex->head().header("link"));
    if (next.empty()) return tags;
    // Remembered to refuse loops, so counted too: endless empty pages with long links are
    // bounded by the same byte cap.
    bytes += next.size();
    if (bytes > maxBytes)
      return resourceExhaustedError(context + ": the listing passes " + std::to_string(maxBytes) +
                                    " bytes (max_tag_list_bytes); refusing to read more");
    auto nextUrl = page.resolve(next);
    if (!nextUrl.isOk())
      return dataLossError(context + ": unusable pagination Link: " + nextUrl.status().message());
    if (!nextUrl->sameOrigin(page))
      return permissionDeniedError(context + ": pagination Link points to " + nextUrl->origin() +
                                   ", not " + page.origin() + "; refused");
    if (seen.count(nextUrl->toString()))
      return dataLossError(context + ": pagination Link repeats a page");
    page = *nextUrl;
  }
  return resourceExhaustedError(context + ": more than " + std::to_string(kMaxTagPages) + " pages");
}

Result<ManifestDescriptor> RegistryClient::headManifest(const std::string& repository,
                                                        const std::string& reference,
                                                        const std::string& knownDigest) {
  const std::string context =
      "checking manifest " + repository + (isDigestReference(reference) ? "@" : ":") + reference +
      " on " + impl_->hostName();
  TRIB_RETURN_IF_ERROR(impl_->ready().withContext(context));
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository).withContext(context));
  TRIB_RETURN_IF_ERROR(impl_->checkReference(reference).withContext(context));
  HttpRequest req;
  req.method = "HEAD";
  req.url = impl_->url("/v2/" + repository + "/manifests/" + reference);
  req.headers.emplace_back("Accept", kManifestAccept);
  // Distribution matches the value quoted or not; quoted is the HTTP form (RFC 9110 8.8.3).
  const bool conditional = !knownDigest.empty() && parseDigest(knownDigest).isOk();
  if (conditional) req.headers.emplace_back("If-None-Match", "\"" + knownDigest + "\"");
  TRIB_ASSIGN_OR_RETURN(auto ex, impl_->requester.open(req, impl_->scopeFor(repository), context));
  if (ex->status() == 304 && conditional) {
    if (isDigestReference(reference) && knownDigest != reference)
      return dataLossError(context + ": registry answers 304 for digest " + knownDigest);
    ManifestDescriptor unchanged;
    unchanged.digest = knownDigest;
    unchanged.notModified = true;
    return unchanged;
  }
  if (ex->status() != 200)
    return HttpErrorMapping::fromHttpStatus(ex->status(), ex->head().reason, "", context);
  ManifestDescriptor d;
  std::string digest = ex->head().header("docker-content-digest");
  if (!digest.empty() && parseDigest(digest).isOk()) d.digest = digest;
  if (isDigestReference(reference) && !d.digest.empty() && d.digest != reference)
    return dataLossError(context + ": registry reports digest " + d.digest);
  d.mediaType = stripParameters(ex->head().header("content-type"));
  std::string len = ex->head().header("content-length");
  try {
    d.size = len.empty() ? 0 : std::stoull(len);
  } catch (...) {
    d.size = 0;
  }
  return d;
}

Result<Manifest> RegistryClient::getManifest(const std::string& repository,
                                             const std::string& reference) {
  const std::string context =
      "fetching manifest " + repository + (isDigestReference(reference) ? "@" : ":") + reference +
      " from " + impl_->hostName();
  TRIB_RETURN_IF_ERROR(impl_->ready().withContext(context));
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository).withContext(context));
  TRIB_RETURN_IF_ERROR(impl_->checkReference(reference).withContext(context));
  HttpRequest req;
  req.url = impl_->url("/v2/" + repository + "/manifests/" + reference);
  req.headers.emplace_back("Accept", kManifestAccept);
  TRIB_ASSIGN_OR_RETURN(auto ex, impl_->requester.open(req, impl_->scopeFor(repository), context));
  if (ex->status() != 200) {
    auto body = ex->readAll(64 * 1024, "error body");
    return HttpErrorMapping::fromHttpStatus(ex->status(), ex->head().reason,
                                            body.isOk() ? *body : std::string(), context);
  }
  auto bytes = ex->readAll(kMaxManifestBytes, "manifest");
  if (!bytes.isOk()) return bytes.status().withContext(context);
  Manifest m;
  m.bytes = std::move(*bytes);
  // The digest is over the exact bytes served; they are never re-serialised.
  std::string algorithm = isDigestReference(reference) ? parseDigest(reference)->algorithm : "sha256";
  auto digest = DigestHasher::digestOf(algorithm, m.bytes);
  if (!digest.isOk()) return digest.status().withContext(context);
  m.digest = std::move(*digest);
  if (isDigestReference(reference) && m.digest != reference)
    return dataLossError(context + ": content has digest " + m.digest + ", not the requested one");
  std::string header = ex->head().header("docker-content-digest");
  if (!header.empty()) {
    auto parsed = parseDigest(header);
    auto headerAlgorithmDigest = parsed.isOk() ? DigestHasher::digestOf(parsed->algorithm, m.bytes)
                                               : Result<std::string>(header);
    if (!headerAlgorithmDigest.isOk()) return headerAlgorithmDigest.status().withContext(context);
    if (*headerAlgorithmDigest != header)
      return dataLossError(context + ": content does not match Docker-Content-Digest " + header +
                           " (computed " + m.digest + ")");
  }
  m.mediaType = stripParameters(ex->head().header("content-type"));
  if (m.mediaType.empty() || m.mediaType == "application/json" || m.mediaType == "text/plain") {
    try {
      Poco::JSON::Parser parser;
      auto obj = parser.parse(m.bytes).extract<Poco::JSON::Object::Ptr>();
      if (obj) m.mediaType = obj->optValue<std::string>("mediaType", m.mediaType);
    } catch (...) {
      // Not JSON: keep the served Content-Type; the caller validates the manifest itself.
    }
  }
  return m;
}

Status RegistryClient::fetchBlob(const std::string& repository, const std::string& digest,
                                 uint64_t expectedSize, BlobSink& sink) {
  const std::string context =
      "fetching blob " + digest + " of " + repository + " from " + impl_->hostName();
  TRIB_RETURN_IF_ERROR(impl_->ready().withContext(context));
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository).withContext(context));
  TRIB_RETURN_IF_ERROR(validateDigest(digest).withContext(context));
  BlobFetcher fetcher(impl_->requester, impl_->retry, impl_->options.onBytes);
  return fetcher.fetchWhole(impl_->url("/v2/" + repository + "/blobs/" + digest),
                            impl_->scopeFor(repository), context, expectedSize, sink);
}

Status RegistryClient::fetchBlobRange(const std::string& repository, const std::string& digest,
                                      uint64_t offset, uint64_t length, BlobSink& sink) {
  const std::string context = "fetching bytes " + std::to_string(offset) + "+" +
                              std::to_string(length) + " of blob " + digest + " of " +
                              repository + " from " + impl_->hostName();
  TRIB_RETURN_IF_ERROR(impl_->ready().withContext(context));
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository).withContext(context));
  TRIB_RETURN_IF_ERROR(validateDigest(digest).withContext(context));
  BlobFetcher fetcher(impl_->requester, impl_->retry, impl_->options.onBytes);
  return fetcher.fetchRange(impl_->url("/v2/" + repository + "/blobs/" + digest),
                            impl_->scopeFor(repository), context, offset, length, sink);
}

Result<std::string> RegistryClient::putManifest(const std::string& repository,
                                                const std::string& reference,
                                                const std::string& mediaType,
                                                const std::string& bytes) {
  const std::string context =
      "putting manifest " + repository + (isDigestReference(reference) ? "@" : ":") + reference +
      " to " + impl_->hostName();
  TRIB_RETURN_IF_ERROR(impl_->ready().withContext(context));
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository).withContext(context));
  TRIB_RETURN_IF_ERROR(impl_->checkReference(reference).withContext(context));
  if (bytes.size() > kMaxManifestBytes)
    return failedPreconditionError(context + ": manifest is " + std::to_string(bytes.size()) +
                                   " bytes; registries refuse more than 4 MiB");
  TRIB_ASSIGN_OR_RETURN(
      const std::string computed,
      DigestHasher::digestOf(
          isDigestReference(reference) ? parseDigest(reference)->algorithm : "sha256", bytes));
  if (isDigestReference(reference) && computed != reference)
    return invalidArgumentError(context + ": content has digest " + computed);
  HttpRequest req;
  req.method = "PUT";
  req.url = impl_->url("/v2/" + repository + "/manifests/" + reference);
  req.body = bytes;
  req.contentType = mediaType;
  TRIB_ASSIGN_OR_RETURN(auto ex, impl_->requester.open(req, "repository:" + repository + ":pull,push",
                                                       context));
  auto body = ex->readAll(64 * 1024, "response");
  if (ex->status() != 201 && ex->status() != 200)
    return HttpErrorMapping::fromHttpStatus(ex->status(), ex->head().reason,
                                            body.isOk() ? *body : std::string(), context);
  const std::string answered = ex->head().header("docker-content-digest");
  if (!answered.empty()) {
    auto parsed = parseDigest(answered);
    auto stored = parsed.isOk() ? DigestHasher::digestOf(parsed->algorithm, bytes)
                                : Result<std::string>(parsed.status());
    if (!stored.isOk() || *stored != answered)
      return dataLossError(context + ": the registry stored it as " + answered + ", not " +
                           computed);
    return answered;
  }
  return computed;
}

Result<HttpReply> RegistryClient::get(const std::string& pathAndQuery,
                                      const std::string& repository) {
  const std::string context = "GET " + pathAndQuery.substr(0, 200) + " on " + impl_->hostName();
  TRIB_RETURN_IF_ERROR(impl_->ready().withContext(context));
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository).withContext(context));
  if (pathAndQuery.empty() || pathAndQuery.front() != '/' || pathAndQuery.rfind("//", 0) == 0)
    return invalidArgumentError(context + ": path must start with a single `/`");
  auto target = impl_->base->resolve(pathAndQuery);
  if (!target.isOk()) return target.status().withContext(context);
  HttpRequest req;
  req.url = *target;
  req.headers.emplace_back("Accept", "application/json");
  TRIB_ASSIGN_OR_RETURN(auto ex, impl_->requester.open(req, impl_->scopeFor(repository), context));
  auto body = ex->readAll(kMaxReplyBytes, "response");
  if (!body.isOk()) return body.status().withContext(context);
  HttpReply reply;
  reply.status = ex->status();
  reply.headers = ex->head().headers;
  reply.body = std::move(*body);
  return reply;
}

Result<HttpReply> RegistryClient::call(
    const std::string& method, const std::string& pathAndQuery,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    const std::string& contentType) {
  const std::string context = method + " " + pathAndQuery.substr(0, pathAndQuery.find('?')) +
                              " on " + impl_->hostName();
  TRIB_RETURN_IF_ERROR(impl_->ready().withContext(context));
  if (pathAndQuery.empty() || pathAndQuery.front() != '/' || pathAndQuery.rfind("//", 0) == 0)
    return invalidArgumentError(context + ": path must start with a single `/`");
  auto target = impl_->base->resolve(pathAndQuery);
  if (!target.isOk()) return target.status().withContext(context);
  HttpRequest req;
  req.method = method;
  req.url = *target;
  req.headers = headers;
  req.body = body;
  req.contentType = contentType;
  TRIB_ASSIGN_OR_RETURN(auto ex, impl_->transport.send(req, context));
  auto text = ex->readAll(kMaxReplyBytes, "response");
  if (!text.isOk()) return text.status().withContext(context);
  HttpReply reply;
  reply.status = ex->status();
  reply.headers = ex->head().headers;
  reply.body = std::move(*text);
  return reply;
}

}  // namespace tributary::registry
