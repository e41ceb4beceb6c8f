// A client for one Docker Registry HTTP API v2 / OCI distribution-spec registry host.
//
// Thread rules: every public method may be called from several threads at once; the token
// cache and the per-host connection pool are internally synchronised.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tributary/Status.h"
#include "tributary/registry/BlobSink.h"

namespace tributary::registry {

/// Every manifest type we can store, for Accept on manifest HEAD/GET.
inline constexpr const char* kManifestAccept =
    "application/vnd.oci.image.index.v1+json,"
    "application/vnd.docker.distribution.manifest.list.v2+json,"
    "application/vnd.oci.image.manifest.v1+json,"
    "application/vnd.docker.distribution.manifest.v2+json";

struct Credentials {
  std::string username;  // with password: Basic on token requests / Basic-only registries
  std::string password;
  std::string token;     // a ready bearer/OAuth token (e.g. GCR `_token`), used as-is
  /// When not empty, username/password go only to token realms at these origins
  /// ("https://auth.docker.io"); a challenge naming another realm gets an anonymous token
  /// request. Vendors with a fixed token service (Docker Hub) pin it here, so a registry (or
  /// a redirect) can never steer the credentials to another host.
  std::vector<std::string> realmOrigins;
  /// Called with every token a token service (or vendor API login) issues for this source,
  /// anonymous ones included, so the caller can keep it out of messages. Any thread.
  std::function<void(const std::string&)> onIssuedToken;
  bool empty() const { return username.empty() && password.empty() && token.empty(); }
};

class IdleConnections;
class TlsContexts;

struct RegistryClientOptions {
  std::string host;                   // host[:port]: "registry-1.docker.io", "127.0.0.1:5001"
  bool plainHttp = false;             // http:// — only for hosts in insecure_registries
  /// insecure_registries (host[:port], lower case): a token realm on plain http is sent
  /// credentials only when its own host:port is listed here.
  std::set<std::string> insecureHosts;
  std::string caFile;                 // extra PEM CA bundle for this host; "" = system CAs only
  /// TLS contexts shared with the provider's other clients (built once, not once per run);
  /// null = this client builds its own on its first https connection.
  std::shared_ptr<TlsContexts> tlsContexts;
  /// Keep-alive connections shared with the provider's other clients, before and after this
  /// one (IdleConnections.h); null = this client's connections close with it.
  std::shared_ptr<IdleConnections> idleConnections;
  Credentials credentials;            // empty = anonymous
  bool allowPrivateNetworks = false;  // else refuse loopback/private/link-local/metadata IPs
  /// A host name's addresses (IPv4/IPv6 literals); may throw. Empty = the system resolver.
  /// Each new connection resolves its host once, is checked, and goes to that address.
  /// Tests inject one to play a DNS server that rebinds between lookups.
  std::function<std::vector<std::string>(const std::string& host)> resolveHost;
  std::chrono::milliseconds timeout{30000};  // per socket operation
  /// curl-style low-speed limit on every response body: below `lowSpeedLimitBytes` per second
  /// on average for `lowSpeedTime`, the transfer is abandoned (kDeadlineExceeded) and retried
  /// within maxAttempts. 0 turns it off. Each socket operation is then also bounded by
  /// min(timeout, lowSpeedTime): a stall that long is below any limit; and a response head
  /// (status line and headers) must arrive within max(timeout, lowSpeedTime).
  uint64_t lowSpeedLimitBytes = 1024;
  /// Bounds of one tag listing (listTags): tags listed by the source, bytes of all pages.
  size_t maxTags = 100000;
  uint64_t maxTagListBytes = 64ull << 20;
  std::chrono::milliseconds lowSpeedTime{60000};
  int maxAttempts = 4;                // per request, for retryable failures (5xx, 429, resets)
  std::string userAgent = "tributary/0.1";
  /// True = stop with kCancelled. Polled between chunks and retries, and every 200 ms by the
  /// client's watchdog thread while a request is in flight, which shuts that request's socket
  /// down so a read blocked on a stalled source ends at once. Called from any thread; must
  /// not block. May be empty.
  std::function<bool()> isCancelled;
  /// Called with bytes as they stream (for progress). May be empty. Any thread.
  std::function<void(uint64_t)> onBytes;
  /// Attempts for a request answered 429 (Retry-After honoured between them); 0 = maxAttempts.
  /// 1 = never repeat a 429: for sources whose 429 means "quota spent for hours" (Docker Hub).
  int maxAttemptsOn429 = 0;
  /// Sees the method, status and lower-cased headers of every response from the registry's own
  /// origin (not redirect targets, not token realms), e.g. to read rate-limit headers. Any
  /// thread; must not block.
  std::function<void(const std::string& method, int status,
                      const std::map<std::string, std::string>& headers)>
      onRegistryResponse;
};

/// What HEAD /v2/<name>/manifests/<ref> says.
struct ManifestDescriptor {
  std::string digest;     // Docker-Content-Digest (validated grammar); may be "" if absent
  std::string mediaType;  // Content-Type, parameters stripped
  uint64_t size = 0;      // Content-Length
  /// A 304 to `If-None-Match: "<known digest>"` (headManifest's `knownDigest`): the reference
  /// still names that digest, which is `digest` then; mediaType and size are not sent with a
  /// 304 and stay empty.
  bool notModified = false;
};

/// A manifest as served: exact bytes, and the digest computed from them (sha256).
struct Manifest {
  std::string digest;
  std::string mediaType;
  std::string bytes;
};

/// A plain HTTP answer, for vendor APIs on the registry host (GCR's tags/list extension).
struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

class RegistryClient {
 public:
  explicit RegistryClient(RegistryClientOptions options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  const RegistryClientOptions& options() const;

  /// The tags of `repository` that `keep` accepts (all when empty), following
  /// `Link: <...>; rel="next"` (relative URLs resolved; scheme and host must stay the same).
  /// Order as served. Filtered page by page, so memory holds one page plus the kept tags.
  /// A listing of more than options().maxTags tags or options().maxTagListBytes bytes (all
  /// pages together), or of more than 10,000 pages, is kResourceExhausted naming the limit.
  Result<std::vector<std::string>> listTags(const std::string& repository,
                                            const std::function<bool(const std::string&)>& keep = {});

  /// HEAD a manifest by tag or digest. kNotFound when absent.
  ///
  /// With `knownDigest` (what the caller last saw `reference` name), the request carries
  /// `If-None-Match: "<knownDigest>"`. Distribution compares it with the tag's link before
  /// reading the manifest and answers 304 when they are equal, which spares the source a
  /// manifest read and parse per unchanged tag; the descriptor is then `notModified` with
  /// digest = knownDigest. Registries that ignore the header answer 200 as usual. Only a
  /// digest of valid grammar is sent (anything else is a plain HEAD).
  Result<ManifestDescriptor> headManifest(const std::string& repository,
                                          const std::string& reference,
                                          const std::string& knownDigest = {});

  /// GET a manifest by tag or digest. The digest is sha256 of the exact bytes; when
  /// `reference` is a digest, a mismatch is kDataLoss. Bodies over 4 MiB are refused.
  Result<Manifest> getManifest(const std::string& repository, const std::string& reference);

  /// Stream a blob into `sink`: Accept-Encoding identity, redirects followed (307/302/303;
  /// never https->http; Authorization never sent to another host), resumed with Range after a
  /// broken connection (sink.reset() when the server answers 200 instead of 206). Stops with
  /// kDataLoss when more than `expectedSize` bytes arrive. Digest verification is the sink's
  /// job (the host storage writer hashes while writing).
  Status fetchBlob(const std::string& repository, const std::string& digest,
                   uint64_t expectedSize, BlobSink& sink);

  /// Fetch bytes [offset, offset+length) of a blob (for parallel ranged fetches); a broken
  /// body resumes within the range. kUnimplemented when the server does not honour Range
  /// (answers 200, or 206 without Content-Range): fetch the blob whole instead.
  Status fetchBlobRange(const std::string& repository, const std::string& digest,
                        uint64_t offset, uint64_t length, BlobSink& sink);

  /// PUT manifest `bytes` (sent exactly, with `mediaType` as Content-Type) as `reference` (a
  /// tag or the bytes' digest) in `repository`, with scope pull,push. Returns the digest the
  /// registry answers with (Docker-Content-Digest; kDataLoss when it differs from the bytes'
  /// sha256). A refusal keeps the registry's error codes and messages in the status text
  /// ("HTTP 400 Bad Request (MANIFEST_BLOB_UNKNOWN: ...)"). Idempotent on the registry side.
  Result<std::string> putManifest(const std::string& repository, const std::string& reference,
                                  const std::string& mediaType, const std::string& bytes);

  /// Authenticated GET of `pathAndQuery` on this host (scope: pull on `repository`).
  Result<HttpReply> get(const std::string& pathAndQuery, const std::string& repository);

  /// A vendor-API request to this host (Hub or Quay REST API): no registry authentication,
  /// only `headers`; redirects are NOT followed (a 3xx comes back as the reply), so headers
  /// carrying credentials never reach another host. Retries as any request. `body` is sent
  /// for POST with `contentType`.
  Result<HttpReply> call(const std::string& method, const std::string& pathAndQuery,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         const std::string& body = "", const std::string& contentType = "");

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::registry
