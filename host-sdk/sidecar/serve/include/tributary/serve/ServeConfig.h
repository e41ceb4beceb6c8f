// ServeConfig: the `replication:` keys of the long-running service (`tributary serve`) and of
// the API client commands, read from the registry's config.yml.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tributary/Status.h"

namespace tributary::serve {

/// Keys (all under `replication:`; every one optional except admin.token_file for serve):
///   state: <path> | postgresql://user@host[:port]/dbname
///                                 SQLite database (one sidecar), default <state_dir>/state.db,
///                                 or a PostgreSQL database shared by a fleet of sidecars
///   state_passfile: <path>        PostgreSQL: a libpq password file (host:port:db:user:password
///                                 lines, mode 0600); absent = PGPASSFILE / ~/.pgpass
///   sidecar_id: <name>            this sidecar's name in run leases, default <hostname>:<admin port>
///   lease: {ttl_seconds: 30, renew_seconds: 10}   run leases: expiry unrenewed, renewal period
///   edition: basic|standard|premium   default standard; rule quotas 10 / 100 / 500
///   rule_quota: <N>               overrides the edition's quota
///   timezone: <IANA name>         cron expressions' wall clock, default UTC
///   workers: <N>                  tasks running at once, default 2 (1..64)
///   queue_limit: <N>              queued tasks before execute answers 429, default 1000
///   task_retention: {days: 30, per_rule: 1000}
///   admin:
///     addr: 127.0.0.1:5080
///     token_file: <path>          bearer token (first line), required by serve
///     tls: {cert_file: <path>, key_file: <path>}   optional
///     max_body_bytes: 1048576     larger request bodies answer 413
///     threads: 8                  HTTP worker threads
///     request_timeout_seconds: 30
///     header_timeout_seconds: 10  plain HTTP: a request head must arrive within this (408)
///   test_hooks: {interval_divisor: <N>}   tests only: intervals run N times faster
/// Relative paths are resolved against the config file's folder.
struct ServeConfig {
  std::string statePath;           // a path or a postgresql:// URL (no password in it)
  std::string statePassfile;
  std::string sidecarId;           // "" = <hostname>:<admin port>, filled by serve
  int64_t leaseTtlSeconds = 30;
  int64_t leaseRenewSeconds = 10;
  std::string edition = "standard";
  int64_t ruleQuota = 100;
  bool ruleQuotaOverridden = false;
  std::string timezone = "UTC";
  int workers = 2;
  int64_t queueLimit = 1000;
  int64_t retentionDays = 30;
  int64_t retentionPerRule = 1000;
  std::string adminHost = "127.0.0.1";
  int adminPort = 5080;
  std::string tokenFile;
  std::string tlsCertFile;
  std::string tlsKeyFile;
  int64_t maxBodyBytes = 1 << 20;
  int threads = 8;
  int requestTimeoutSeconds = 30;
  int headerTimeoutSeconds = 10;
  int64_t intervalDivisor = 1;

  /// `stateDirectory` is RegistryConfig's resolved replication.state_dir. Errors name the file
  /// and the key.
  static Result<ServeConfig> load(const std::string& path, const std::string& stateDirectory);
  static Result<ServeConfig> parse(const std::string& yamlText, const std::string& sourceName,
                                   const std::string& baseDirectory,
                                   const std::string& stateDirectory);

  /// The default rule quota of an edition; 0 for an unknown edition.
  static int64_t editionQuota(const std::string& edition);
  /// Every key this class reads, as dotted paths under `replication.` (for a strict reader's
  /// known-keys list).
  static std::vector<std::string> knownKeys();

  /// "127.0.0.1:5080"
  std::string adminAddress() const { return adminHost + ":" + std::to_string(adminPort); }
  /// Reads the token file's first line (trimmed). kInvalidArgument naming the key otherwise.
  Result<std::string> readToken() const;
};

}  // namespace tributary::serve
