// `tributary`: the reference host's command line.
#include <iostream>
#include <string>
#include <vector>

#include "tributary/Version.h"
#include "tributary/cli/ClientCommand.h"
#include "tributary/config/ConfigKeys.h"
#include "tributary/host/LiveThreads.h"
#include "tributary/serve/ServeCommand.h"
#include "tributary/sync/ExitCodes.h"
#include "tributary/sync/SyncCommand.h"
#include "tributary/sync/SyncOptions.h"

namespace {

const char kUsage[] =
    "usage: tributary <command> [options]\n"
    "commands:\n"
    "  sync         run one subscription rule now (see `tributary sync --help`)\n"
    "  serve        run the subscription service: rules, schedules, admin API\n"
    "  rules        list | show | create | update | delete rules (via the service)\n"
    "  plan         dry-run a stored rule (via the service)\n"
    "  execute      run a stored rule now [--wait] (via the service)\n"
    "  tasks        list tasks; `task ID` shows one, `cancel ID` cancels one\n"
    "  config-keys  list every key accepted under replication: and storage.s3: in config.yml\n"
    "  version      print the version\n";

int runCommand(const std::vector<std::string>& args);

}  // namespace

// Runs the command, then checks that it left no thread behind: whatever its exit path, every
// worker must be joined before main() returns (a leftover thread would race static
// destruction and the leak checker's final scan). A leftover is a bug, reported as such.
int main(int argc, char** argv) {
  const int code = runCommand(std::vector<std::string>(argv + 1, argv + argc));
  const int threads = tributary::host::liveThreadCount();
  if (threads > 1) {
    std::cerr << "tributary: internal error: " << threads - 1
              << " worker thread(s) still running at exit\n";
  }
  return code;
}

namespace {

int runCommand(const std::vector<std::string>& args) {
  using namespace tributary::sync;
  using tributary::config::ConfigKey;
  using tributary::config::configKeys;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? kExitBadInput : kExitSucceeded;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::cout << "tributary " TRIBUTARY_VERSION " (rp ABI " << RP_ABI_VERSION_CURRENT << ")\n";
    return kExitSucceeded;
  }
  if (args[0] == "config-keys") {
    // One key a line: path, who reads it, what it is (docs/reference.md documents each).
    for (const ConfigKey& key : configKeys()) {
      std::cout << key.path << '\t' << key.usedBy << '\t' << key.summary << '\n';
    }
    return kExitSucceeded;
  }
  try {
    if (args[0] == "serve") {
      return tributary::serve::ServeCommand({args.begin() + 1, args.end()}, std::cout, std::cerr)
          .run();
    }
    if (tributary::cli::ClientCommand::handles(args[0])) {
      return tributary::cli::ClientCommand(args[0], {args.begin() + 1, args.end()}, std::cout,
                                           std::cerr)
          .run();
    }
  } catch (const std::exception& e) {  // a bug, not an input problem
    std::cerr << "tributary: internal error: " << e.what() << '\n';
    return kExitFailed;
  }
  if (args[0] != "sync") {
    std::cerr << "tributary: error: unknown command `" << args[0] << "`\n" << kUsage;
    return kExitBadInput;
  }
  const std::vector<std::string> syncArgs(args.begin() + 1, args.end());
  for (const auto& arg : syncArgs) {
    if (arg == "--help" || arg == "-h") {
      std::cout << SyncOptions::usage();
      return kExitSucceeded;
    }
  }
  auto options = SyncOptions::parse(syncArgs);
  if (!options.isOk()) {
    std::cerr << "tributary: error: " << options.status().message() << '\n'
              << SyncOptions::usage();
    return kExitBadInput;
  }
  try {
    return SyncCommand(std::move(options).value(), std::cout, std::cerr).run();
  } catch (const std::exception& e) {  // a bug, not an input problem
    std::cerr << "tributary: internal error: " << e.what() << '\n';
    return kExitFailed;
  }
}

}  // namespace
