#include "tributary/sync/SyncCommand.h"

#include <limits.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "rp/host.hpp"
#include "tributary/loader/ProviderLibrary.h"
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/config/JsonSyntaxChecker.h"
#include "tributary/config/RegistryConfig.h"
#include "tributary/host/HostServices.h"
#include "tributary/host/StorageFactory.h"
#include "tributary/host/StorageRootCheck.h"
#include "tributary/rp/StatusMapping.h"
#include "tributary/sync/ExitCodes.h"
#include "tributary/sync/FailureReport.h"
#include "tributary/sync/ProgressBar.h"
#include "tributary/sync/ReportPrinter.h"

#ifndef TRIBUTARY_DEFAULT_PROVIDER
#define TRIBUTARY_DEFAULT_PROVIDER ""
#endif

namespace tributary::sync {

using config::Credential;
using config::JsonSyntaxChecker;
using config::RegistryConfig;
using host::checkStorageWritable;
using host::HostServices;
using host::openHostStorage;

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

// source.credential and destination.repository of a (validated) rule; "" when absent.
std::string ruleField(const std::string& ruleJson, const char* object, const char* key) {
  try {
    Poco::JSON::Parser parser;
    auto rule = parser.parse(ruleJson).extract<Poco::JSON::Object::Ptr>();
    auto inner = rule.isNull() ? nullptr : rule->getObject(object);
    if (inner && inner->has(key) && inner->get(key).isString()) {
      return inner->getValue<std::string>(key);
    }
  } catch (const std::exception&) {
  }
  return "";
}

// The report's error {code, message} (schema 1: the run could not happen), if it has one.
std::optional<std::pair<std::string, std::string>> reportError(const std::string& reportJson) {
  try {
    Poco::JSON::Parser parser;
    auto report = parser.parse(reportJson).extract<Poco::JSON::Object::Ptr>();
    auto error = report.isNull() ? nullptr : report->getObject("error");
    if (error.isNull()) return std::nullopt;
    auto field = [&](const char* key) {
      return error->has(key) && error->get(key).isString() ? error->getValue<std::string>(key)
                                                           : std::string();
    };
    return std::make_pair(field("code"), field("message"));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// policy.platforms when it holds exactly one platform, else "".
std::string singlePlatform(const std::string& ruleJson) {
  try {
    Poco::JSON::Parser parser;
    auto rule = parser.parse(ruleJson).extract<Poco::JSON::Object::Ptr>();
    auto policy = rule.isNull() ? nullptr : rule->getObject("policy");
    auto platforms = policy.isNull() ? nullptr : policy->getArray("platforms");
    if (platforms && platforms->size() == 1 && platforms->get(0).isString()) {
      return platforms->get(0).convert<std::string>();
    }
  } catch (const std::exception&) {
  }
  return "";
}

std::string names(const std::map<std::string, Credential, std::less<>>& credentials) {
  std::string text;
  for (const auto& [name, credential] : credentials) {
    text += (text.empty() ? "`" : ", `") + name + "`";
  }
  return text.empty() ? "none" : text;
}

// The loader says "`lib` refused its configuration (RP_ERR_X): <provider's words>".
std::string providerWords(const std::string& loaderMessage) {
  const size_t refused = loaderMessage.find(" refused its configuration (");
  if (refused == std::string::npos) return loaderMessage;
  const size_t colon = loaderMessage.find("): ", refused);
  return colon == std::string::npos ? loaderMessage : loaderMessage.substr(colon + 3);
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

SyncCommand::SyncCommand(SyncOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err) {}

int SyncCommand::fail(int exitCode, const std::string& message) {
  rp_status code = RP_ERR_INVALID_ARGUMENT;
  if (exitCode == kExitStorageUnusable) code = RP_ERR_IO;
  if (exitCode == kExitFailed) code = RP_ERR_INTERNAL;
  return fail(exitCode, code, message);
}

int SyncCommand::fail(int exitCode, rp_status code, const std::string& message) {
  err_ << "tributary: error: " << message << '\n';
  if (options_.json) {  // --json always prints a report, also when the run could not happen
    out_ << FailureReport::build(ruleJson_, options_.dryRun, code, message) << '\n';
    out_.flush();
  }
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
  for (const std::string& warning : config->warnings()) {
    err_ << "tributary: warning: " << warning << '\n';
  }

  auto rule = readRule(options_.rulePath);
  if (!rule.isOk()) return fail(kExitBadInput, rule.status().message());
  if (const std::string syntax = JsonSyntaxChecker::check(*rule); !syntax.empty()) {
    return fail(kExitBadInput, "rule `" + options_.rulePath + "` is not valid JSON: " + syntax);
  }
  ruleJson_ = *rule;

  // The publishing mode (replication.publish) decides the table; the provider cannot tell.
  // A dry run opens the storage read-only: it creates nothing and needs no write access.
  auto storage = openHostStorage(*config, options_.dryRun);
  if (!storage.isOk()) {
    const std::string message = storage.status().message();
    if (message.rfind("replication.", 0) == 0) {  // the publishing block, not the root
      return fail(kExitBadInput, options_.configPath + ": " + message);
    }
    if (config->s3Storage())  // names storage.s3 and carries S3's own Code and Message
      return fail(kExitStorageUnusable, options_.configPath + ": " + message);
    std::string why = message;
    if (Status access = checkStorageWritable(config->rootDirectory(), ""); !access.isOk()) {
      why = access.message();
    } else if (why.find("ermission denied") != std::string::npos) {
      why += "; run tributary as the registry's user";
    }
    return fail(kExitStorageUnusable, options_.configPath + ": storage.filesystem.rootdirectory `" +
                                          config->rootDirectory() + "` cannot be used: " + why);
  }
  if (!options_.dryRun && (*storage)->isFilesystem()) {
    // Before anything is created under it (the default state directory lives there) and
    // before any network work: a sync run as the wrong user stops here, not tag by tag.
    if (Status access = checkStorageWritable((*storage)->distribution().v2Root(), "");
        !access.isOk()) {
      return fail(kExitStorageUnusable, options_.configPath +
                                            ": storage.filesystem.rootdirectory `" +
                                            config->rootDirectory() +
                                            "` cannot be used: " + access.message());
    }
  }
  // Log lines would repeat the table on stdout: warnings and errors only, unless --verbose.
  HostServices host(config->credentials(), (*storage)->table(), options_.logLevel, err_);
  host.log(RP_LOG_DEBUG, "publishing: " + (*storage)->describe());
  if (auto* bucket = (*storage)->s3(); bucket != nullptr && !bucket->housekeepingNote().empty())
    host.log(RP_LOG_INFO, "s3 storage: " + bucket->housekeepingNote());

  std::string libraryPath = options_.libraryPath;
  if (libraryPath.empty()) libraryPath = config->providerLibrary();
  const bool defaulted = libraryPath.empty();
  if (defaulted) libraryPath = defaultProviderLibrary();
  auto library = loader::ProviderLibrary::load(libraryPath, host.table());
  if (!library.isOk()) {
    const bool fromConfig = options_.libraryPath.empty() && !defaulted;
    return fail(kExitBadInput,
                (fromConfig ? options_.configPath + ": replication.provider.library: " : "") +
                    library.status().message() +
                    (defaulted ? " (no --library given and replication.provider.library unset)"
                               : ""));
  }
  host.log(RP_LOG_DEBUG, "loaded provider `" + libraryPath + "` (rp ABI version " +
                             std::to_string((*library)->abiVersion()) + ")");

  std::string providerConfig = config->providerConfigJson();
  if (options_.dryRun) {
    // No cache file is written or created; an existing cache is read (cache_read_only).
    std::error_code ec;
    providerConfig = !config->cacheDirectory().empty() &&
                             std::filesystem::is_directory(config->cacheDirectory(), ec)
                         ? config->providerConfigJsonForDryRunWithCache()
                         : config->providerConfigJsonForDryRun();
  } else if (!config->defaultedCacheDirectory().empty()) {
    // The provider wants an existing cache_dir; ours is state, not registry content.
    std::error_code ec;
    std::filesystem::create_directories(config->defaultedCacheDirectory(), ec);
    if (ec) {
      return fail(kExitBadInput, options_.configPath + ": replication.state_dir: cannot create "
                                     "the cache directory `" +
                                     config->defaultedCacheDirectory() + "`: " + ec.message() +
                                     " (set replication.state_dir, or run as the registry's "
                                     "user)");
    }
  }
  if (options_.logLevel <= RP_LOG_DEBUG) {
    // --verbose lists the tags tag_regex leaves out, so the provider must report them.
    try {
      Poco::JSON::Parser parser;
      auto object = parser.parse(providerConfig).extract<Poco::JSON::Object::Ptr>();
      if (object && !object->has("report_excluded_tags")) {
        object->set("report_excluded_tags", true);
        std::ostringstream text;
        object->stringify(text);
        providerConfig = text.str();
      }
    } catch (const std::exception&) {
      // Left as it is: the provider reports what is wrong with it.
    }
  }
  auto created = (*library)->createInstance(providerConfig);
  if (!created.isOk()) {
    const rp_status code = rp::toRpStatus(created.status());
    if (code == RP_ERR_INVALID_ARGUMENT || code == RP_ERR_FAILED_PRECONDITION) {
      return fail(kExitBadInput, code,
                  "provider `" + libraryPath + "` refused replication.provider.config:\n" +
                      config->describeProviderConfigRefusal(providerWords(
                          created.status().message())));
    }
    return fail(kExitBadInput, code, created.status().message());
  }
  rp::ProviderInstance instance = std::move(created).value();

  rp::ProviderReply validated = instance.validateRule(*rule);
  if (!validated.ok()) {
    return fail(exitCodeForValidation(validated.status), validated.status,
                "invalid rule `" + options_.rulePath + "` (" + rp_status_str(validated.status) +
                    "):\n" + validated.message);
  }
  ruleJson_ = validated.json;

  // The credential a rule names must exist before anyone asks a registry for it.
  const std::string credential = ruleField(validated.json, "source", "credential");
  if (!credential.empty() && config->credentials().count(credential) == 0) {
    return fail(kExitBadInput, RP_ERR_NOT_FOUND,
                "rule `" + options_.rulePath + "`: source.credential `" + credential +
                    "` is not defined in replication.credentials of " + options_.configPath +
                    " (defined: " + names(config->credentials()) + ")");
  }

  if (!credential.empty()) {
    // An unreadable password_file is the configuration's fault, not the source's.
    if (auto secret = host.secretJson(credential); !secret.isOk()) {
      return fail(kExitBadInput, rp::toRpStatus(secret.status()),
                  options_.configPath + ": replication.credentials." + credential + ": " +
                      secret.status().message());
    }
  }

  if (!options_.dryRun && (*storage)->isFilesystem()) {
    // The destination repository's own directories may belong to someone else.
    const std::string destination = ruleField(validated.json, "destination", "repository");
    if (Status access = checkStorageWritable((*storage)->distribution().v2Root(), destination);
        !access.isOk()) {
      return fail(kExitStorageUnusable, options_.configPath +
                                            ": storage.filesystem.rootdirectory `" +
                                            config->rootDirectory() +
                                            "` cannot be used: " + access.message());
    }
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

  // What went wrong when the run could not happen, with what to change: the provider says so
  // by a status, or (schema 1) by a report whose `error` is set.
  auto describeFailure = [&](rp_status status, const std::string& providerMessage) {
    std::string message = std::string(options_.dryRun ? "plan" : "sync") + " failed" +
                          (cancelled ? " (cancelled by signal)" : "") + ": " +
                          rp_status_str(status) +
                          (providerMessage.empty() ? "" : ": " + providerMessage) +
                          credentialHint(status, providerMessage, credential, *config);
    if (status == RP_ERR_PERMISSION_DENIED &&
        providerMessage.find("allow private networks") != std::string::npos) {
      message += " (set replication.provider.config.allow_private_networks: true in " +
                 options_.configPath + ")";
    }
    return message;
  };

  if (!reply.ok()) {
    const std::string message = describeFailure(reply.status, reply.message);
    return fail(exitCodeForRunFailure(reply.status, reply.message), reply.status, message);
  }
  if (auto error = reportError(reply.json)) {
    err_ << "tributary: error: " << describeFailure(statusFromName(error->first), error->second)
         << '\n';
  }

  if (options_.json) {
    out_ << reply.json << '\n';
  } else {
    ReportPrinter::Options print;
    print.dryRun = options_.dryRun;
    print.verbose = options_.logLevel <= RP_LOG_DEBUG;
    print.platform = singlePlatform(validated.json);
    // The plan and report are the provider's and cannot know how the host publishes.
    print.publishing = (*storage)->describe();
    Status printed = ReportPrinter::print(out_, reply.json, print);
    if (!printed.isOk()) {
      err_ << "tributary: warning: " << printed.message() << "; raw output follows\n";
      out_ << reply.json << '\n';
    }
  }
  out_.flush();
  return exitCodeForReport(reply.json);
}

std::string SyncCommand::credentialHint(rp_status status, const std::string& message,
                                        const std::string& credential,
                                        const RegistryConfig& config) {
  if (status != RP_ERR_UNAUTHENTICATED && status != RP_ERR_PERMISSION_DENIED) return "";
  if (message.find("refusing to connect") != std::string::npos) return "";
  if (credential.empty()) {
    return " (the rule names no source.credential, so the source was read anonymously; "
           "defined in replication.credentials: " +
           names(config.credentials()) + ")";
  }
  auto found = config.credentials().find(credential);
  std::string user = found == config.credentials().end() ? "" : found->second.username;
  return " (credential `" + credential + "` from replication.credentials" +
         (user.empty() ? std::string() : ", username `" + user + "`") + ")";
}

}  // namespace tributary::sync
