#include "tributary/storage/RegistryApiPublisher.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/DigestHasher.h"
#include "tributary/Version.h"
#include "tributary/Names.h"
#include "tributary/registry/RegistryClient.h"

namespace tributary::storage {

namespace {

constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kSchema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws";

struct ParsedUrl {
  bool https = false;
  std::string hostPort;
};

Result<ParsedUrl> parseRegistryUrl(const std::string& url) {
  const std::string what = "registry_api.url `" + url + "`";
  ParsedUrl parsed;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    parsed.https = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return invalidArgumentError(what + " must start with https:// or http://");
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty()) return invalidArgumentError(what + " has no host");
  // The registry's API lives at /v2/ of its origin (Harbor's external URL is an origin too).
  if (rest.find_first_of("/?#@ \t") != std::string::npos)
    return invalidArgumentError(what + " must be scheme://host[:port] only (no path, query or "
                                "user info; the credential goes in registry_api.credential)");
  parsed.hostPort = rest;
  return parsed;
}

bool isRefusalForMissingContent(const Status& status) {
  const std::string& m = status.message();
  return m.find("MANIFEST_BLOB_UNKNOWN") != std::string::npos ||
         m.find("BLOB_UNKNOWN") != std::string::npos;
}

}  // namespace

RegistryApiPublisher::RegistryApiPublisher(std::string url,
                                           std::unique_ptr<registry::RegistryClient> client)
    : url_(std::move(url)), client_(std::move(client)) {}

RegistryApiPublisher::~RegistryApiPublisher() = default;

Result<std::unique_ptr<RegistryApiPublisher>> RegistryApiPublisher::open(
    RegistryApiOptions options) {
  TRIB_ASSIGN_OR_RETURN(ParsedUrl parsed, parseRegistryUrl(options.url));
  if (!parsed.https && !options.caFile.empty())
    return invalidArgumentError("registry_api.ca_file is set but registry_api.url `" +
                                options.url + "` is plain http");
  registry::RegistryClientOptions client;
  client.host = parsed.hostPort;
  client.plainHttp = !parsed.https;
  // An http:// url is the operator's explicit choice of clear text for this registry's host,
  // so a token service on that same host (any port) may receive the push credential too; a
  // plain-http realm on any other host still may not.
  if (!parsed.https) {
    client.insecureHosts = {parsed.hostPort,
                            parsed.hostPort.substr(0, parsed.hostPort.rfind(':')) + ":*"};
  }
  client.caFile = options.caFile;
  client.credentials.username = options.username;
  client.credentials.password = options.password;
  // The host's own registry, named by its operator: usually on loopback or a private network,
  // which the source-side address policy is there to refuse.
  client.allowPrivateNetworks = true;
  client.timeout = options.timeout;
  client.userAgent = "tributary-sidecar/" TRIBUTARY_VERSION " (registry_api publisher)";
  return std::unique_ptr<RegistryApiPublisher>(new RegistryApiPublisher(
      options.url, std::make_unique<registry::RegistryClient>(std::move(client))));
}

std::string RegistryApiPublisher::mediaTypeOf(std::string_view bytes) {
  try {
    Poco::JSON::Parser parser;
    auto object = parser.parse(std::string(bytes)).extract<Poco::JSON::Object::Ptr>();
    if (!object.isNull()) {
      std::string declared = object->optValue<std::string>("mediaType", "");
      if (!declared.empty()) return declared;
      if (object->has("manifests")) return kOciIndex;
      if (object->optValue<int>("schemaVersion", 2) == 1) return kSchema1;
    }
  } catch (...) {
    // Not JSON: the registry will say what it thinks of it.
  }
  return kOciManifest;
}

Status RegistryApiPublisher::explainRefusal(const Status& status) const {
  if (status.isOk() || !isRefusalForMissingContent(status)) return status;
  // Tributary never uploads blobs over HTTP: the registry should have found them in storage.
  return Status(status.code(),
                status.message() +
                    "; the registry does not see content Tributary wrote to storage — check that " +
                    url_ +
                    " serves the same storage root as the sidecar, and note that an index with "
                    "only some platforms (a sparse index) cannot be pushed through a registry API");
}

void RegistryApiPublisher::remember(const std::string& digest, std::string_view bytes) {
  if (bytes.size() > kCacheBytes) return;
  std::lock_guard<std::mutex> lock(cacheMutex_);
  auto found = cacheIndex_.find(digest);
  if (found != cacheIndex_.end()) {
    cache_.splice(cache_.begin(), cache_, found->second);
    return;
  }
  cache_.emplace_front(digest, std::string(bytes));
  cacheIndex_[digest] = cache_.begin();
  cacheBytes_ += bytes.size();
  while (cacheBytes_ > kCacheBytes && !cache_.empty()) {
    cacheBytes_ -= cache_.back().second.size();
    cacheIndex_.erase(cache_.back().first);
    cache_.pop_back();
  }
}

bool RegistryApiPublisher::recall(const std::string& digest, std::string& bytes) {
  std::lock_guard<std::mutex> lock(cacheMutex_);
  auto found = cacheIndex_.find(digest);
  if (found == cacheIndex_.end()) return false;
  bytes = found->second->second;
  return true;
}

Status RegistryApiPublisher::putManifest(std::string_view repository, std::string_view digest,
                                         std::string_view bytes) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  TRIB_ASSIGN_OR_RETURN(std::string actual, DigestHasher::hexDigestOf(parsed.algorithm, bytes));
  if (actual != parsed.hex)
    return dataLossError("manifest " + parsed.toString() + " for " + std::string(repository) +
                         ": content has digest " + parsed.algorithm + ":" + actual);
  const std::string body(bytes);
  auto pushed = client_->putManifest(std::string(repository), parsed.toString(),
                                     mediaTypeOf(body), body);
  if (!pushed.isOk()) return explainRefusal(pushed.status());
  remember(parsed.toString(), bytes);
  return Status();
}

Status RegistryApiPublisher::manifestExists(std::string_view repository,
                                            std::string_view digest) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  return client_->headManifest(std::string(repository), parsed.toString()).status();
}

Result<std::string> RegistryApiPublisher::getTag(std::string_view repository,
                                                 std::string_view tag) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_RETURN_IF_ERROR(validateTag(tag));
  // GET rather than HEAD: a refusal (wrong push credential, missing project) then carries the
  // registry's error body into the report; a manifest is small, and Distribution reads and
  // parses it for a HEAD anyway.
  TRIB_ASSIGN_OR_RETURN(registry::Manifest manifest,
                        client_->getManifest(std::string(repository), std::string(tag)));
  return manifest.digest;
}

Status RegistryApiPublisher::setTag(std::string_view repository, std::string_view tag,
                                    std::string_view digest) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_RETURN_IF_ERROR(validateTag(tag));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  const std::string target = parsed.toString();
  std::string bytes;
  if (!recall(target, bytes)) {
    auto fetched = client_->getManifest(std::string(repository), target);
    if (fetched.status().code() == StatusCode::kNotFound)
      return failedPreconditionError("cannot tag " + std::string(repository) + ":" +
                                     std::string(tag) + ": " + fetched.status().message() +
                                     " (put the manifest first)");
    TRIB_RETURN_IF_ERROR(fetched.status());
    bytes = std::move(fetched->bytes);
  }
  auto pushed = client_->putManifest(std::string(repository), std::string(tag),
                                     mediaTypeOf(bytes), bytes);
  if (!pushed.isOk()) return explainRefusal(pushed.status());
  return Status();
}

}  // namespace tributary::storage
