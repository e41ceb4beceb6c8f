// ClientCommand: the CLI over the admin API — rules, plan, execute, tasks, task, cancel.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace tributary::cli {

/// `tributary rules list|show ID|create -f FILE|update ID -f FILE|delete ID`,
/// `tributary plan RULE`, `tributary execute RULE [--wait]`, `tributary tasks [--rule R]
/// [--status S] [--limit N]`, `tributary task ID`, `tributary cancel ID`.
/// Common flags: --config FILE (address, token file and TLS from replication.admin),
/// --addr HOST:PORT, --token-file FILE, --ca-file FILE, --json (the API's JSON verbatim).
/// RULE is a rule id or name. Exit codes as `tributary sync`: 0 ok; 1 a tag failed, the task
/// failed or was cancelled, or the service is unreachable; 2 bad input (flags, a rule the
/// provider refuses, unknown rule/task, auth, quota); 3 storage unusable (a task that failed
/// with the host's storage error).
class ClientCommand {
 public:
  ClientCommand(std::string command, std::vector<std::string> args, std::ostream& out,
                std::ostream& err);
  int run();

  static bool handles(const std::string& command);
  static const char* usage();

 private:
  int fail(int code, const std::string& message);

  std::string command_;
  std::vector<std::string> args_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace tributary::cli
