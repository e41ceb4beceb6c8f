// SyncCommand: `tributary sync` — run one rule once, in the foreground.
#pragma once

#include <iosfwd>
#include <string>

#include "tributary/sidecar/SyncOptions.h"

namespace tributary::sidecar {

/// Reads the registry's config.yml and the rule, opens the registry's storage, loads the
/// provider library (--library, else replication.provider.library, else the bundled one),
/// creates an instance with replication.provider.config, validates the rule, then plans
/// (--dry-run) or executes it with progress on a terminal and cancellation on SIGINT/SIGTERM
/// (a second signal kills the process). Prints a table (or the provider's JSON with --json) to
/// `out` and every error to `err`. Returns the exit code (ExitCodes.h).
/// Thread: run() from the main thread; it installs process-wide signal handlers while running.
class SyncCommand {
 public:
  SyncCommand(SyncOptions options, std::ostream& out, std::ostream& err);
  int run();

  /// The provider used when neither --library nor replication.provider.library is given: the
  /// plugin of this build if it exists, else <exe dir>/../lib/tributary/libtributary.so.
  static std::string defaultProviderLibrary();

 private:
  int fail(int exitCode, const std::string& message);

  SyncOptions options_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace tributary::sidecar
