// ReportPrinter: the human-readable table of a provider's plan or execute report.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary::sync {

/// Prints what the JSON holds and tolerates missing fields (a provider may be older or newer
/// than this host): reports of schema 1 (tests/schema/report.schema.json) and the provider's
/// earlier shape (digest / pushed_at / bytes_fetched…) alike. kInvalidArgument, printing
/// nothing, when the text is not a JSON object. (--json bypasses this class.)
///
/// Layout: a headline, then TAG ACTION DIGEST <time> REASON, where DIGEST is the short source
/// digest, or `<platform> → <chosen>` when a platform filter chose a child (`<source> →
/// <chosen>` when the platform is not known), and the
/// time column is named for what the times are (PUSHED, UPLOADED, CREATED; TIME when mixed).
/// A kept row says which digest the destination holds and how to replace it. Rows of tags
/// left out by tag_regex appear only with `verbose` (their number always does); tags beyond
/// latest_n always appear. Then the counts, bytes, notes and the Docker Hub pull budget.
class ReportPrinter {
 public:
  struct Options {
    bool dryRun = false;   // "plan for rule …", "to fetch"
    bool verbose = false;  // list excluded_by_regex rows too
    // The rule's platform when it names exactly one: the child a platform filter chose is
    // then shown as `linux/arm64 → sha256:…` (a tag may also carry its own "platform").
    std::string platform;
    // The host's publishing mode (HostStorage::describe()), shown as the last line,
    // "publish: …", when not empty.
    std::string publishing;
  };
  static Status print(std::ostream& out, std::string_view json, Options options);

  /// execute's report (print with dryRun false).
  static Status printReport(std::ostream& out, std::string_view reportJson) {
    return print(out, reportJson, Options{false, false, "", ""});
  }
  /// plan's result (print with dryRun true).
  static Status printPlan(std::ostream& out, std::string_view planJson) {
    return print(out, planJson, Options{true, false, "", ""});
  }

  /// "sha256:" + the first 12 hex digits; other text unchanged.
  static std::string shortDigest(const std::string& digest);
};

}  // namespace tributary::sync
