// HostServices: the sidecar's rp_host_v1 — logging, secrets and storage for a provider.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <mutex>
#include <string>

#include "rp/replication_provider.h"
#include "tributary/Status.h"
#include "tributary/Version.h"
#include "tributary/config/RegistryConfig.h"

namespace tributary::host {

/// Owns the rp_host_v1 table handed to a provider and the state behind it:
/// - log: one line per message on `logStream` (stderr), prefixed with the level, for levels at
///   or above `threshold` (--verbose = DEBUG, default INFO, --quiet = ERROR);
/// - secret_get: {"username","password"} JSON for a replication.credentials entry; a
///   password_file is read at call time (trailing newlines dropped). Secret values are never
///   logged;
/// - storage: borrowed (makeStorageTable over DistributionStorage), may be NULL in tests;
/// - free_str: frees every host-owned string (ours and the storage table's: both malloc).
/// The table points at this object: not copyable or movable, and must outlive every provider
/// instance created with it. Thread: every callback may be called from any thread.
class HostServices {
 public:
  static constexpr const char* kHostName = "tributary-sidecar/" TRIBUTARY_VERSION;

  HostServices(std::map<std::string, config::Credential, std::less<>> credentials,
               const rp_storage_v1* storage, rp_log_level threshold, std::ostream& logStream);
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  const rp_host_v1* table() const { return &table_; }

  /// The host side of secret_get, for tests and for host code: the JSON value, or
  /// kNotFound (unknown name) / kFailedPrecondition (password_file unreadable).
  Result<std::string> secretJson(std::string_view name) const;
  /// The password of `credential` (named `name` in errors): inline, or its password_file read
  /// now with trailing newlines dropped (kFailedPrecondition when unreadable).
  static Result<std::string> passwordOf(std::string_view name,
                                        const config::Credential& credential);
  /// A secret file of credential `name` (its `key`, e.g. token_file) read now, trailing
  /// newlines dropped; kFailedPrecondition naming the key and path when unreadable.
  static Result<std::string> readSecretFile(std::string_view name, std::string_view key,
                                            const std::string& path);

  /// Writes one log line if `level` is enabled. Thread: any.
  void log(rp_log_level level, std::string_view message);
  /// Where finished log lines go instead of the stream (e.g. ProgressBar::printAbove, so
  /// lines and the status bar share the terminal). Empty = back to the stream. Thread: any.
  void setLineWriter(std::function<void(std::string_view)> writer) {
    std::lock_guard<std::mutex> lock(logMutex_);
    lineWriter_ = std::move(writer);
  }
  bool logEnabled(rp_log_level level) const { return level >= threshold_; }

  /// "DEBUG", "INFO", "WARN", "ERROR" (unknown levels print their number).
  static std::string levelName(rp_log_level level);

 private:
  std::map<std::string, config::Credential, std::less<>> credentials_;
  rp_log_level threshold_;
  std::ostream& logStream_;
  std::function<void(std::string_view)> lineWriter_;
  std::mutex logMutex_;  // keeps concurrent lines whole
  rp_host_v1 table_;
};

}  // namespace tributary::host
