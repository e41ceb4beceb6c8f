// FailureReport: the schema-1 report (tests/schema/report.schema.json) of a run that could not
// happen, built by the host when the provider gave none (bad config, unusable storage, a
// source that could not be read) so that `sync --json` always prints a report.
#pragma once

#include <string>

#include "rp/replication_provider.h"

namespace tributary::sync {

class FailureReport {
 public:
  /// status "failed", every count 0, no tags, error {code: rp_status_str(code), message}.
  /// `ruleJson` fills rule/source/destination when it parses (a bad or absent rule leaves
  /// them empty strings); the source registry defaults by type (registry-1.docker.io, gcr.io, quay.io).
  static std::string build(const std::string& ruleJson, bool dryRun, rp_status code,
                           const std::string& message);
};

}  // namespace tributary::sync
