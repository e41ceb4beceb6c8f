#include "tributary/config/ConfigKeys.h"

#include <algorithm>

namespace tributary::config {

const std::vector<ConfigKey>& configKeys() {
  using K = ConfigKeyKind;
  // Keys of `tributary serve` and of the publishing mode are accepted here already, so a config
  // written for them is not refused by `tributary sync` (each checks its own values).
  static const std::vector<ConfigKey> table = {
      {"replication", K::kMapping, "all", "Tributary's section; Distribution ignores it"},
      {"replication.state_dir", K::kValue, "tributary sync",
       "host state directory; default <rootdirectory>/tributary"},
      {"replication.provider", K::kMapping, "tributary sync", "the replication provider"},
      {"replication.provider.library", K::kValue, "tributary sync",
       "path of the provider library; default the bundled libtributary.so"},
      {"replication.provider.config", K::kOpaque, "tributary sync",
       "handed to the provider as JSON; the provider checks its keys"},
      {"replication.credentials", K::kNamedMap, "tributary sync",
       "named credentials that rules refer to with source.credential"},
      {"replication.credentials.*", K::kMapping, "tributary sync", "one credential"},
      {"replication.credentials.*.username", K::kValue, "tributary sync", "user name"},
      {"replication.credentials.*.password", K::kValue, "tributary sync",
       "password or token, inline"},
      {"replication.credentials.*.password_file", K::kValue, "tributary sync",
       "file holding the password or token, read at each use"},
      {"replication.credentials.*.token_file", K::kValue, "tributary sync",
       "a file holding an OAuth token for a vendor API (Quay's REST API)"},
      {"replication.state", K::kOpaque, "tributary serve",
       "rules and tasks database: SQLite path or postgresql:// URL"},
      {"replication.state_passfile", K::kValue, "tributary serve",
       "PostgreSQL: libpq password file"},
      {"replication.sidecar_id", K::kValue, "tributary serve", "this sidecar's name in leases"},
      {"replication.lease", K::kMapping, "tributary serve", "run leases"},
      {"replication.lease.ttl_seconds", K::kValue, "tributary serve", "lease expiry"},
      {"replication.lease.renew_seconds", K::kValue, "tributary serve", "lease renewal period"},
      {"replication.edition", K::kValue, "tributary serve", "basic | standard | premium"},
      {"replication.rule_quota", K::kOpaque, "tributary serve", "rules allowed per instance"},
      {"replication.workers", K::kValue, "tributary serve", "syncs running at once"},
      {"replication.timezone", K::kValue, "tributary serve", "time zone of cron periods"},
      {"replication.queue_limit", K::kValue, "tributary serve", "queued tasks before 429"},
      {"replication.task_retention", K::kMapping, "tributary serve", "how long tasks are kept"},
      {"replication.task_retention.days", K::kValue, "tributary serve", "days tasks are kept"},
      {"replication.task_retention.per_rule", K::kValue, "tributary serve",
       "tasks kept per rule"},
      {"replication.admin", K::kMapping, "tributary serve", "the admin API and page"},
      {"replication.admin.addr", K::kValue, "tributary serve", "listen address"},
      {"replication.admin.token_file", K::kValue, "tributary serve", "admin bearer token file"},
      {"replication.admin.tls", K::kMapping, "tributary serve", "TLS for the admin API"},
      {"replication.admin.tls.cert_file", K::kValue, "tributary serve", "PEM certificate chain"},
      {"replication.admin.tls.key_file", K::kValue, "tributary serve", "PEM private key"},
      {"replication.admin.max_body_bytes", K::kValue, "tributary serve", "request body limit"},
      {"replication.admin.threads", K::kValue, "tributary serve", "API server threads"},
      {"replication.admin.request_timeout_seconds", K::kValue, "tributary serve",
       "per-request time limit"},
      {"replication.admin.header_timeout_seconds", K::kValue, "tributary serve",
       "time limit of a request head (plain HTTP)"},
      {"replication.test_hooks", K::kMapping, "tests only", "hooks for the test suite"},
      {"replication.test_hooks.interval_divisor", K::kValue, "tests only",
       "divides interval periods (fast schedules in tests)"},
      {"replication.publish", K::kValue, "publishing mode", "storage | registry_api"},
      {"replication.registry_api", K::kMapping, "publishing mode",
       "the registry's own API, for registry_api publishing"},
      {"replication.registry_api.url", K::kValue, "publishing mode", "registry base URL"},
      {"replication.registry_api.credential", K::kValue, "publishing mode",
       "name in replication.credentials used to push"},
      {"replication.registry_api.ca_file", K::kValue, "publishing mode",
       "CA bundle for the registry's TLS"},
      {"replication.s3_concurrency", K::kValue, "s3 storage",
       "S3 part uploads in flight at once, across every blob; default 8"},
      {"replication.s3_stale_upload_seconds", K::kValue, "s3 storage",
       "abort our incomplete multipart uploads older than this at open; default 86400"},
      // storage.s3: Distribution's own keys, read as its s3 driver reads them. Strict like
      // replication: (a misspelt regionendpoint would otherwise send requests to AWS).
      {"storage", K::kOpaque, "all",
       "Distribution's own; Tributary reads filesystem.rootdirectory or the s3 block"},
      {"storage.s3", K::kMapping, "s3 storage", "Distribution's s3 driver, shared with the registry"},
      {"storage.s3.region", K::kValue, "s3 storage", "signing region, required"},
      {"storage.s3.regionendpoint", K::kValue, "s3 storage",
       "S3-compatible endpoint ([scheme://]host[:port]); set = path-style addressing"},
      {"storage.s3.bucket", K::kValue, "s3 storage", "bucket, required"},
      {"storage.s3.accesskey", K::kValue, "s3 storage", "access key, required"},
      {"storage.s3.secretkey", K::kValue, "s3 storage", "secret key, required; never printed"},
      {"storage.s3.rootdirectory", K::kValue, "s3 storage", "key prefix; default the bucket root"},
      {"storage.s3.secure", K::kValue, "s3 storage", "https (default true)"},
      {"storage.s3.skipverify", K::kValue, "s3 storage", "skip TLS certificate checks"},
      {"storage.s3.v4auth", K::kValue, "s3 storage", "must be true (SigV4 only)"},
      {"storage.s3.chunksize", K::kValue, "s3 storage",
       "multipart part size, 5 MiB..5 GiB; default 10 MiB"},
      {"storage.s3.encrypt", K::kValue, "s3 storage", "server-side encryption (AES256, or KMS with keyid)"},
      {"storage.s3.keyid", K::kValue, "s3 storage", "KMS key id for encrypt"},
      {"storage.s3.storageclass", K::kValue, "s3 storage", "STANDARD, REDUCED_REDUNDANCY or NONE"},
      {"storage.s3.objectacl", K::kValue, "s3 storage", "canned ACL of written objects"},
      {"storage.s3.useragent", K::kValue, "s3 storage", "User-Agent of S3 requests"},
      {"storage.s3.multipartcopychunksize", K::kValue, "s3 storage",
       "accepted, ignored (Tributary never copies objects)"},
      {"storage.s3.multipartcopymaxconcurrency", K::kValue, "s3 storage",
       "accepted, ignored (Tributary never copies objects)"},
      {"storage.s3.multipartcopythresholdsize", K::kValue, "s3 storage",
       "accepted, ignored (Tributary never copies objects)"},
  };
  return table;
}

const ConfigKey* findConfigKey(std::string_view path) {
  for (const ConfigKey& key : configKeys()) {
    if (path == key.path) return &key;
  }
  return nullptr;
}

std::vector<std::string> childKeyNames(std::string_view parentPath) {
  std::vector<std::string> names;
  for (const ConfigKey& key : configKeys()) {
    std::string_view path = key.path;
    if (path.size() <= parentPath.size() + 1 || path.substr(0, parentPath.size()) != parentPath ||
        path[parentPath.size()] != '.') {
      continue;
    }
    std::string_view rest = path.substr(parentPath.size() + 1);
    if (rest.find('.') == std::string_view::npos) names.emplace_back(rest);
  }
  return names;
}

size_t editDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus adjacent transposition ("confgi").
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t bestDistance = 3;  // 1 or 2 edits count as a typo
  for (const std::string& candidate : candidates) {
    const size_t distance = editDistance(word, candidate);
    if (distance < bestDistance && distance * 2 < std::max(word.size(), candidate.size())) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

}  // namespace tributary::config
