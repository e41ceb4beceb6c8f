// SyncOptions: the flags of `tributary sync`.
#pragma once

#include <string>
#include <vector>

#include "rp/replication_provider.h"
#include "tributary/Status.h"

namespace tributary::sync {

struct SyncOptions {
  std::string configPath;   // --config: the registry's config.yml
  std::string rulePath;     // --rule: the rule JSON file ("-" = stdin)
  std::string libraryPath;  // --library: overrides replication.provider.library ("" = unset)
  bool dryRun = false;      // --dry-run: plan only, write nothing
  bool json = false;        // --json: the provider's JSON verbatim on stdout
  // Default WARN (INFO lines would repeat the table); --verbose: DEBUG, --quiet: ERROR.
  rp_log_level logLevel = RP_LOG_WARN;

  /// Parses the arguments after `sync` ("--flag value" or "--flag=value"). Unknown flags,
  /// missing values, a flag given twice and missing --config/--rule are kInvalidArgument with a precise message.
  static Result<SyncOptions> parse(const std::vector<std::string>& args);

  /// The usage text of `tributary sync`.
  static const char* usage();
};

}  // namespace tributary::sync
