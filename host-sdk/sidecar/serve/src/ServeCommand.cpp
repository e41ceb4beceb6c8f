#include "tributary/serve/ServeCommand.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "rp/host.hpp"
#include "tributary/Schedule.h"
#include "tributary/api/AdminApi.h"
#include "tributary/api/AdminServer.h"
#include "tributary/config/RegistryConfig.h"
#include "tributary/host/HostServices.h"
#include "tributary/host/StorageFactory.h"
#include "tributary/loader/ProviderLibrary.h"
#include "tributary/metrics/ServiceMetrics.h"
#include "tributary/scheduler/TaskService.h"
#include "tributary/serve/ServeConfig.h"
#include "tributary/state/StateLocation.h"
#include "tributary/state/StateStore.h"
#include "tributary/sync/ExitCodes.h"
#include "tributary/sync/SyncCommand.h"

namespace tributary::serve {

using sync::kExitBadInput;
using sync::kExitStorageUnusable;
using sync::kExitSucceeded;

ServeCommand::ServeCommand(std::vector<std::string> args, std::ostream& out, std::ostream& err)
    : args_(std::move(args)), out_(out), err_(err) {}

const char* ServeCommand::usage() {
  return "usage: tributary serve --config <registry config.yml> [--library <provider.so>]\n"
         "                       [--verbose | --quiet]\n"
         "Runs the subscription service: rules and tasks in SQLite or PostgreSQL\n"
         "(replication.state, shared by a fleet of sidecars), the\n"
         "scheduler, and the admin API on replication.admin.addr. SIGTERM/SIGINT stop it.\n";
}

int ServeCommand::fail(int code, const std::string& message) {
  err_ << "tributary serve: error: " << message << '\n';
  return code;
}

int ServeCommand::run() {
  std::string configPath, libraryPath;
  rp_log_level level = RP_LOG_INFO;
  for (size_t i = 0; i < args_.size(); ++i) {
    const std::string& a = args_[i];
    auto value = [&](const std::string& flag) -> std::optional<std::string> {
      if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
      if (a == flag && i + 1 < args_.size()) return args_[++i];
      return std::nullopt;
    };
    if (a == "--help" || a == "-h") {
      out_ << usage();
      return kExitSucceeded;
    } else if (a == "--verbose") {
      level = RP_LOG_DEBUG;
    } else if (a == "--quiet") {
      level = RP_LOG_ERROR;
    } else if (a.rfind("--config", 0) == 0) {
      auto v = value("--config");
      if (!v) return fail(kExitBadInput, "--config needs a value\n" + std::string(usage()));
      configPath = *v;
    } else if (a.rfind("--library", 0) == 0) {
      auto v = value("--library");
      if (!v) return fail(kExitBadInput, "--library needs a value");
      libraryPath = *v;
    } else {
      return fail(kExitBadInput, "unknown option `" + a + "`\n" + usage());
    }
  }
  if (configPath.empty()) return fail(kExitBadInput, std::string("--config is required\n") + usage());

  // Every thread started from here on inherits the blocked set; this thread waits for them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  auto registry = config::RegistryConfig::load(configPath);
  if (!registry.isOk()) return fail(kExitBadInput, registry.status().message());
  auto config = ServeConfig::load(configPath, registry->stateDirectory());
  if (!config.isOk()) return fail(kExitBadInput, config.status().message());
  auto token = config->readToken();
  if (!token.isOk()) return fail(kExitBadInput, configPath + ": " + token.status().message());
  {
    auto tz = Schedule::create(*UpdatePeriod::parse("manual"), config->timezone);
    if (!tz.isOk()) {
      return fail(kExitBadInput, configPath + ": replication.timezone: " + tz.status().message());
    }
  }

  // The publishing mode (replication.publish) decides the table, as for `tributary sync`.
  auto storage = host::openHostStorage(*registry);
  if (!storage.isOk()) {
    const std::string message = storage.status().message();
    return fail(message.rfind("replication.", 0) == 0 ? kExitBadInput : kExitStorageUnusable,
                configPath + ": " + message);
  }
  std::error_code ec;
  auto location = state::StateLocation::parse(config->statePath);
  if (!location.isOk()) {
    return fail(kExitBadInput, configPath + ": replication.state " + location.status().message());
  }
  if (location->kind() == state::StateLocation::Kind::kSqlite) {
    std::filesystem::create_directories(std::filesystem::path(config->statePath).parent_path(), ec);
  }
  if (!registry->defaultedCacheDirectory().empty()) {
    std::filesystem::create_directories(registry->defaultedCacheDirectory(), ec);
  }
  auto store = state::StateStore::open(*location, config->statePassfile);
  if (!store.isOk()) {
    return fail(kExitBadInput, configPath + ": replication.state: " + store.status().message());
  }

  host::HostServices host(registry->credentials(), (*storage)->table(), level, err_);
  if (libraryPath.empty()) libraryPath = registry->providerLibrary();
  if (libraryPath.empty()) libraryPath = sync::SyncCommand::defaultProviderLibrary();
  auto library = loader::ProviderLibrary::load(libraryPath, host.table());
  if (!library.isOk()) {
    return fail(kExitBadInput, library.status().message() + " (replication.provider.library)");
  }
  auto created = (*library)->createInstance(registry->providerConfigJson());
  if (!created.isOk()) {
    return fail(kExitBadInput, "replication.provider.config: " + created.status().message());
  }
  rp::ProviderInstance instance = std::move(created).value();
  auto info = (*library)->info();

  metrics::ServiceMetrics metrics;
  scheduler::TaskServiceOptions options;
  options.workers = config->workers;
  options.queueLimit = static_cast<size_t>(config->queueLimit);
  options.timezone = config->timezone;
  options.retentionMs = config->retentionDays * 24 * 3600 * 1000;
  options.keepPerRule = static_cast<int>(config->retentionPerRule);
  options.intervalDivisor = config->intervalDivisor;
  options.owner = config->sidecarId;
  if (options.owner.empty()) {
    // Stable across restarts, so a restarted sidecar recovers its own tasks at once.
    char hostname[256] = {};
    gethostname(hostname, sizeof(hostname) - 1);
    options.owner = std::string(hostname) + ":" + std::to_string(config->adminPort);
  }
  options.leaseTtlMs = config->leaseTtlSeconds * 1000;
  options.leaseRenewMs = config->leaseRenewSeconds * 1000;
  options.warn = [&host](const std::string& message) { host.log(RP_LOG_WARN, message); };
  scheduler::TaskService tasks(
      **store, options,
      [&instance](const std::string& rule, const rp_task_v1* task) {
        return instance.execute(rule, task);
      },
      &metrics);
  Status started = tasks.start();
  if (!started.isOk()) return fail(kExitBadInput, configPath + ": " + started.message());

  api::ProviderCalls calls;
  calls.validate = [&instance](const std::string& rule) { return instance.validateRule(rule); };
  calls.plan = [&instance](const std::string& rule) { return instance.plan(rule, nullptr); };
  calls.infoJson = info.isOk() ? *info : "{}";
  api::ApiSettings apiSettings;
  apiSettings.token = *token;
  apiSettings.edition = config->edition;
  apiSettings.ruleQuota = config->ruleQuota;
  apiSettings.storage = &(*storage)->reader();
  apiSettings.timezone = config->timezone;
  api::AdminApi api(**store, tasks, &metrics, calls, apiSettings);

  api::ServerSettings serverSettings;
  serverSettings.host = config->adminHost;
  serverSettings.port = config->adminPort;
  serverSettings.tlsCertFile = config->tlsCertFile;
  serverSettings.tlsKeyFile = config->tlsKeyFile;
  serverSettings.maxBodyBytes = config->maxBodyBytes;
  serverSettings.threads = config->threads;
  serverSettings.requestTimeoutSeconds = config->requestTimeoutSeconds;
  serverSettings.headerTimeoutSeconds = config->headerTimeoutSeconds;
  // Every admin connection waiting for its request head holds a descriptor (up to
  // maxWaitingConnections); the usual soft limit of 1024 would be reached first.
  struct rlimit files {};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max &&
      files.rlim_cur < 8192) {
    files.rlim_cur = files.rlim_max < 8192 ? files.rlim_max : 8192;
    (void)::setrlimit(RLIMIT_NOFILE, &files);
  }
  api::AdminServer server(api, serverSettings);
  Status listening = server.start();
  if (!listening.isOk()) {
    tasks.stop();
    return fail(kExitBadInput, configPath + ": " + listening.message());
  }
  host.log(RP_LOG_INFO, std::string("serving the admin API on ") +
                            (config->tlsCertFile.empty() ? "http://" : "https://") +
                            config->adminHost + ":" + std::to_string(server.port()) +
                            " (state " + location->display() + ", sidecar " + options.owner +
                            ", edition " + config->edition +
                            ", rule quota " + std::to_string(config->ruleQuota) + ", " +
                            std::to_string(config->workers) + " workers)");

  int signal = 0;
  sigwait(&stopSignals, &signal);
  host.log(RP_LOG_INFO, std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") +
                            ": stopping (running tasks are cancelled and recorded)");
  server.stop();
  if (!tasks.stop()) {
    // A provider call is stuck in I/O past its cancellation poll; its task is recorded as
    // cancelled and storage is crash-safe, so leave without tearing down what it still uses.
    host.log(RP_LOG_WARN, "a running task did not stop within 8 s; exiting anyway");
    std::cerr.flush();
    std::_Exit(kExitSucceeded);
  }
  host.log(RP_LOG_INFO, "stopped");
  return kExitSucceeded;
}

}  // namespace tributary::serve
