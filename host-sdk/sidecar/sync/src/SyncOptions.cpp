#include "tributary/sync/SyncOptions.h"

namespace tributary::sync {

const char* SyncOptions::usage() {
  return "usage: tributary sync --config <registry config.yml> --rule <rule.json>\n"
         "                      [--dry-run] [--json] [--library <provider.so>]\n"
         "                      [--verbose | --quiet]\n"
         "  --config   the registry's own config.yml (storage.filesystem.rootdirectory,\n"
         "             replication.provider, replication.credentials)\n"
         "  --rule     subscription rule JSON (\"-\" reads stdin)\n"
         "  --dry-run  show the plan; write nothing (works on a read-only storage root)\n"
         "  --json     print the JSON report (schema_version 1) on stdout, also when the\n"
         "             run could not happen\n"
         "  --verbose  also list tags left out by tag_regex, and log INFO/DEBUG lines\n"
         "  --quiet    log errors only\n"
         "  --library  provider library (default: replication.provider.library, then the\n"
         "             bundled libtributary.so)\n"
         "exit status: 0 every selected tag synced, unchanged, kept or deferred;\n"
         "             1 a tag failed, or the source could not be read;\n"
         "             2 the input is wrong (flags, config, rule, a source the configuration\n"
         "               refuses); 3 the storage root is unusable\n";
}

Result<SyncOptions> SyncOptions::parse(const std::vector<std::string>& args) {
  SyncOptions options;
  bool verbose = false;
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool hasInlineValue = false;
    if (const auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      hasInlineValue = true;
    }
    auto takeValue = [&](std::string& target) -> Status {
      // A repeated flag is a mistake either way round; keeping one silently hides it.
      if (!target.empty()) return invalidArgumentError("option " + flag + " is given twice");
      if (hasInlineValue) {
        target = value;
      } else if (i + 1 < args.size()) {
        target = args[++i];
      } else {
        return invalidArgumentError("option " + flag + " needs a value");
      }
      if (target.empty()) return invalidArgumentError("option " + flag + " has an empty value");
      return Status();
    };
    auto noValue = [&]() -> Status {
      if (hasInlineValue) return invalidArgumentError("option " + flag + " takes no value");
      return Status();
    };

    if (flag == "--config") {
      TRIB_RETURN_IF_ERROR(takeValue(options.configPath));
    } else if (flag == "--rule") {
      TRIB_RETURN_IF_ERROR(takeValue(options.rulePath));
    } else if (flag == "--library") {
      TRIB_RETURN_IF_ERROR(takeValue(options.libraryPath));
    } else if (flag == "--dry-run") {
      TRIB_RETURN_IF_ERROR(noValue());
      options.dryRun = true;
    } else if (flag == "--json") {
      TRIB_RETURN_IF_ERROR(noValue());
      options.json = true;
    } else if (flag == "--verbose" || flag == "-v") {
      TRIB_RETURN_IF_ERROR(noValue());
      verbose = true;
    } else if (flag == "--quiet" || flag == "-q") {
      TRIB_RETURN_IF_ERROR(noValue());
      quiet = true;
    } else {
      return invalidArgumentError("unknown option `" + args[i] + "`");
    }
  }
  if (verbose && quiet) return invalidArgumentError("--verbose and --quiet exclude each other");
  if (verbose) options.logLevel = RP_LOG_DEBUG;
  if (!verbose && !quiet) options.logLevel = RP_LOG_WARN;
  if (quiet) options.logLevel = RP_LOG_ERROR;
  if (options.configPath.empty()) return invalidArgumentError("missing --config <config.yml>");
  if (options.rulePath.empty()) return invalidArgumentError("missing --rule <rule.json>");
  return options;
}

}  // namespace tributary::sync
