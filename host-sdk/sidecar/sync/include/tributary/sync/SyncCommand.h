// SyncCommand: `tributary sync` — run one rule once, in the foreground.
#pragma once

#include <iosfwd>
#include <string>

#include "rp/replication_provider.h"
#include "tributary/sync/SyncOptions.h"

namespace tributary::config {
class RegistryConfig;
}

namespace tributary::sync {

/// Reads the registry's config.yml and the rule, opens the registry's storage (read-only for
/// --dry-run, which then creates nothing: no directory, no cache file), loads the provider
/// library (--library, else replication.provider.library, else the bundled one), creates an
/// instance with replication.provider.config, validates the rule, checks its credential is
/// defined and (not for --dry-run) that the storage is writable by this user, then plans
/// (--dry-run) or executes it with progress on a terminal and cancellation on SIGINT/SIGTERM
/// (a second signal kills the process). Prints a table (or the provider's JSON with --json —
/// also when the run could not happen: then a FailureReport) to `out` and every error to
/// `err`. Returns the exit code (ExitCodes.h).
/// Thread: run() from the main thread; it installs process-wide signal handlers while running.
class SyncCommand {
 public:
  SyncCommand(SyncOptions options, std::ostream& out, std::ostream& err);
  int run();

  /// The provider used when neither --library nor replication.provider.library is given: the
  /// plugin of this build if it exists, else <exe dir>/../lib/tributary/libtributary.so.
  static std::string defaultProviderLibrary();

 private:
  // Prints the error on `err`, and with --json a failure report on `out`; returns exitCode.
  int fail(int exitCode, const std::string& message);
  int fail(int exitCode, rp_status code, const std::string& message);
  // Which credential a 401/403 was about (or that none was used), for the error message.
  static std::string credentialHint(rp_status status, const std::string& message,
                                    const std::string& credential,
                                    const config::RegistryConfig& config);

  std::string ruleJson_;  // the rule as read, then as validated (fills failure reports)

  SyncOptions options_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace tributary::sync
