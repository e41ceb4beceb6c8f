// ReportPrinter: the human-readable table of a provider's plan or execute report.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary::sidecar {

/// Prints what the JSON holds and tolerates missing fields (a provider may be older or newer
/// than this host). kInvalidArgument, printing nothing, when the text is not a JSON object.
/// (--json output bypasses this class: the provider's JSON goes to stdout verbatim.)
class ReportPrinter {
 public:
  /// execute's report: a "rule ...: <status>" line, TAG ACTION DIGEST REASON, then totals,
  /// then "publish: <publishing>" when `publishing` (the host's publishing mode) is not empty.
  static Status printReport(std::ostream& out, std::string_view reportJson,
                            std::string_view publishing = {});
  /// plan's result: the "plan for rule" line, "publish: <publishing>" when not empty, TAG
  /// ACTION DIGEST PUSHED REASON, then what would be fetched.
  static Status printPlan(std::ostream& out, std::string_view planJson,
                          std::string_view publishing = {});

  /// "sha256:" + the first 12 hex digits; other text unchanged.
  static std::string shortDigest(const std::string& digest);
};

}  // namespace tributary::sidecar
