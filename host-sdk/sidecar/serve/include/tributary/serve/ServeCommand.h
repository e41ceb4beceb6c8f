// ServeCommand: `tributary serve` — the long-running host: state, scheduler, admin API.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace tributary::serve {

/// Reads the registry's config.yml (storage: and replication:), opens the storage, the state
/// database (created and migrated) and the provider, recovers tasks, starts the workers, the
/// scheduler and the admin API, then waits for SIGTERM or SIGINT: stops accepting requests
/// and work, cancels running tasks through the provider's cancellation, records them, and
/// returns 0. Exit 2 for a bad config (the message names the key) or an unusable state,
/// storage, provider or address. Thread: run() from the main thread, before any other thread
/// exists (it blocks SIGTERM/SIGINT for every thread it starts and waits for them itself).
class ServeCommand {
 public:
  ServeCommand(std::vector<std::string> args, std::ostream& out, std::ostream& err);
  int run();

  static const char* usage();

 private:
  int fail(int code, const std::string& message);

  std::vector<std::string> args_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace tributary::serve
