#include "tributary/plugin/engine/Plan.h"

namespace tributary::plugin {

RunReport Plan::startReport(bool dryRun) const {
  RunReport report(rule, source, destinationRepository, dryRun);
  const std::string kind = registry::timestampKindName(timestampKind);
  for (const ResolvedTag& t : tags) {
    RunReport::TagRow row;
    row.tag = t.info.tag;
    row.action = t.action;
    row.reasonCode = t.reasonCode;
    row.reason = t.reason;
    row.sourceDigest = t.sourceDigest;
    row.destinationDigest = t.destinationDigest;
    row.chosenDigest = t.targetDigest;
    row.timestampMs = t.info.pushedAtMs;
    row.timestampKind = kind;
    row.foreignLayers = t.foreignLayers;
    if (budget) row.pulls = t.pullsNeeded;
    report.add(std::move(row));
  }
  for (const registry::TagInfo& info : beyondLatestN) {
    RunReport::TagRow row;
    row.tag = info.tag;
    row.action = TagAction::kBeyondLatestN;
    row.reasonCode = "not_selected";
    row.reason = "older than the newest latest_n matching tags";
    row.sourceDigest = info.digest;
    row.timestampMs = info.pushedAtMs;
    row.timestampKind = kind;
    report.add(std::move(row));
  }
  for (const std::string& tag : excludedByRegex) {
    RunReport::TagRow row;
    row.tag = tag;
    row.action = TagAction::kExcludedByRegex;
    row.reasonCode = "regex_not_matched";
    row.reason = "does not match tag_regex";
    row.timestampKind = kind;
    report.add(std::move(row));
  }
  for (const std::string& note : notes) report.addNote(note);
  if (excludedNotListed > 0)
    report.addNote(std::to_string(excludedNotListed) +
                   " more tags excluded by tag_regex are not listed (at most " +
                   std::to_string(excludedByRegex.size()) + " rows)");
  if (budget) report.setBudget(*budget);
  return report;
}

}  // namespace tributary::plugin
