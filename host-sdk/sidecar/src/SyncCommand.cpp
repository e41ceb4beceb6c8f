#include "tributary/sidecar/SyncCommand.h"

#include <limits.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "rp/host.hpp"
#include "tributary/loader/ProviderLibrary.h"
#include "tributary/sidecar/ExitCodes.h"
#include "tributary/sidecar/HostServices.h"
#include "tributary/sidecar/ProgressBar.h"
#include "tributary/sidecar/RegistryConfig.h"
#include "tributary/sidecar/ReportPrinter.h"
#include "tributary/sidecar/StorageFactory.h"

#ifndef TRIBUTARY_DEFAULT_PROVIDER
#define TRIBUTARY_DEFAULT_PROVIDER ""
#endif

namespace tributary::sidecar {
namespace {

// Set by the signal handler, polled by the provider through rp_task_v1.is_cancelled.
volatile std::sig_atomic_t cancelRequested = 0;

extern "C" void onCancelSignal(int) { cancelRequested = 1; }

// Installs SIGINT/SIGTERM handlers for the duration of a sync. SA_RESETHAND: the first signal
// asks the provider to stop cleanly; a second one gets the default action and kills us.
class CancelOnSignals {
 public:
  CancelOnSignals() {
    cancelRequested = 0;
    struct sigaction action;
    std::memset(&action, 0, sizeof(action));
    action.sa_handler = onCancelSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, &oldInt_);
    sigaction(SIGTERM, &action, &oldTerm_);
  }
  ~CancelOnSignals() {
    sigaction(SIGINT, &oldInt_, nullptr);
    sigaction(SIGTERM, &oldTerm_, nullptr);
  }
  CancelOnSignals(const CancelOnSignals&) = delete;
  CancelOnSignals& operator=(const CancelOnSignals&) = delete;

  static bool requested() { return cancelRequested != 0; }

 private:
  struct sigaction oldInt_;
  struct sigaction oldTerm_;
};

Result<std::string> readRule(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      return invalidArgumentError("cannot read rule file `" + path + "`: " +
                                  std::strerror(errno));
    }
    text << file.rdbuf();
  }
  std::string rule = text.str();
  if (rule.find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalidArgumentError("rule file `" + path + "` is empty");
  }
  return rule;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

SyncCommand::SyncCommand(SyncOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err) {}

int SyncCommand::fail(int exitCode, const std::string& message) {
  err_ << "tributary: error: " << message << '\n';
  return exitCode;
}

std::string SyncCommand::defaultProviderLibrary() {
  const std::string built = TRIBUTARY_DEFAULT_PROVIDER;
  if (!built.empty() && exists(built)) return built;
  // Installed layout: <prefix>/bin/tributary and <prefix>/lib/tributary/libtributary.so.
  std::string installed = "../lib/tributary/libtributary.so";
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    std::string exePath(exe, static_cast<size_t>(n));
    installed = std::filesystem::path(exePath.substr(0, exePath.rfind('/') + 1) + installed)
                    .lexically_normal()
                    .string();
  }
  if (exists(installed) || built.empty()) return installed;
  return built;  // neither exists: name the build's plugin in the error
}

int SyncCommand::run() {
  auto config = RegistryConfig::load(options_.configPath);
  if (!config.isOk()) return fail(kExitBadInput, config.status().message());

  auto rule = readRule(options_.rulePath);
  if (!rule.isOk()) return fail(kExitBadInput, rule.status().message());

  // The publishing mode (replication.publish) decides the table; the provider cannot tell.
  auto storage = openHostStorage(*config);
  if (!storage.isOk()) {
    return fail(kExitBadInput, options_.configPath + ": " + storage.status().message());
  }
  HostServices host(config->credentials(), (*storage)->table(), options_.logLevel, err_);
  host.log(RP_LOG_DEBUG, "publishing: " + (*storage)->describe());

  std::string libraryPath = options_.libraryPath;
  if (libraryPath.empty()) libraryPath = config->providerLibrary();
  const bool defaulted = libraryPath.empty();
  if (defaulted) libraryPath = defaultProviderLibrary();
  auto library = loader::ProviderLibrary::load(libraryPath, host.table());
  if (!library.isOk()) {
    return fail(kExitBadInput,
                library.status().message() +
                    (defaulted ? " (no --library given and replication.provider.library unset)"
                               : ""));
  }
  host.log(RP_LOG_DEBUG, "loaded provider `" + libraryPath + "` (rp ABI version " +
                             std::to_string((*library)->abiVersion()) + ")");

  if (!config->defaultedCacheDirectory().empty()) {
    // The provider wants an existing cache_dir; ours is state, not registry content.
    std::error_code ec;
    std::filesystem::create_directories(config->defaultedCacheDirectory(), ec);
    if (ec) {
      return fail(kExitBadInput, "cannot create the cache directory `" +
                                     config->defaultedCacheDirectory() + "`: " + ec.message() +
                                     " (set replication.state_dir)");
    }
  }
  auto created = (*library)->createInstance(config->providerConfigJson());
  if (!created.isOk()) return fail(kExitBadInput, created.status().message());
  rp::ProviderInstance instance = std::move(created).value();

  rp::ProviderReply validated = instance.validateRule(*rule);
  if (!validated.ok()) {
    return fail(exitCodeForValidation(validated.status),
                "invalid rule `" + options_.rulePath + "` (" + rp_status_str(validated.status) +
                    "):\n" + validated.message);
  }

  ProgressBar bar(err_, !options_.json && ProgressBar::stderrIsTerminal());
  host.setLineWriter([&bar](std::string_view line) { bar.printAbove(line); });
  rp_task_v1 task;
  std::memset(&task, 0, sizeof(task));
  task.struct_size = sizeof(task);
  task.user_data = &bar;
  task.is_cancelled = [](void*) -> int { return CancelOnSignals::requested() ? 1 : 0; };
  task.progress = [](void* bar, const rp_progress_event_v1* event) {
    if (event != nullptr) static_cast<ProgressBar*>(bar)->onEvent(*event);
  };

  rp::ProviderReply reply;
  bool cancelled = false;
  {
    CancelOnSignals signals;
    reply = options_.dryRun ? instance.plan(validated.json, &task)
                            : instance.execute(validated.json, &task);
    cancelled = CancelOnSignals::requested();
  }
  bar.finish();
  host.setLineWriter(nullptr);  // the bar dies before the provider instance, which may log

  if (!reply.ok()) {
    const std::string what = options_.dryRun ? "plan" : "sync";
    return fail(options_.dryRun ? exitCodeForPlan(reply.status) : kExitFailed,
                what + " failed" + (cancelled ? " (cancelled by signal)" : "") + ": " +
                    reply.describe());
  }

  if (options_.json) {
    out_ << reply.json << '\n';
  } else {
    // The plan and report are the provider's and cannot know how the host publishes.
    const std::string publishing = (*storage)->describe();
    Status printed = options_.dryRun ? ReportPrinter::printPlan(out_, reply.json, publishing)
                                     : ReportPrinter::printReport(out_, reply.json, publishing);
    if (!printed.isOk()) {
      err_ << "tributary: warning: " << printed.message() << "; raw output follows\n";
      out_ << reply.json << '\n';
    }
  }
  out_.flush();
  return options_.dryRun ? kExitSucceeded : exitCodeForExecute(reply.status, reply.json);
}

}  // namespace tributary::sidecar
