#include "tributary/plugin/Planner.h"

#include <set>

#include "tributary/plugin/TagListing.h"
#include "tributary/plugin/TagResolver.h"

namespace tributary::plugin {
namespace {

PlanReport::Action planAction(TagAction a) {
  switch (a) {
    case TagAction::kSync: return PlanReport::Action::kSync;
    case TagAction::kUnchanged: return PlanReport::Action::kUnchanged;
    case TagAction::kKept: return PlanReport::Action::kKept;
    case TagAction::kSkipped:
    case TagAction::kFailed: return PlanReport::Action::kSkipped;
    case TagAction::kDeferred: return PlanReport::Action::kDeferred;
  }
  return PlanReport::Action::kSkipped;
}

}  // namespace

Result<PlanReport> Planner::plan() {
  TRIB_ASSIGN_OR_RETURN(std::vector<registry::TagInfo> tags,
                        TagListing::selected(rule_, source_));
  if (task_.isCancelled()) return cancelledError("task cancelled");
  TagResolver resolver(rule_, source_.repository(), reader_, storage_, choiceCache_);
  resolver.setPullBudget(source_.pullBudget(), /*dryRun=*/true);
  TRIB_ASSIGN_OR_RETURN(std::vector<ResolvedTag> resolved,
                        resolver.resolveAll(tags, concurrency_, task_));
  PlanReport report(rule_.name);
  std::set<std::string> counted;
  uint64_t bytesToFetch = 0, blobsToFetch = 0, blobsReused = 0;
  for (size_t t = 0; t < tags.size(); ++t) {
    const registry::TagInfo& info = tags[t];
    const ResolvedTag& r = resolved[t];
    PlanReport::Entry e;
    e.tag = info.tag;
    e.digest = r.targetDigest.empty() ? r.sourceDigest : r.targetDigest;
    e.pushedAtMs = info.pushedAtMs;
    e.timestampSource = info.timestampSource;
    e.action = planAction(r.action);
    e.reason = r.action == TagAction::kFailed ? "error: " + r.reason : r.reason;
    if (source_.pullBudget() != nullptr) e.pulls = r.pullsNeeded;
    if (r.action == TagAction::kSync) {
      for (const BlobRef& b : r.blobs) {
        if (!counted.insert(b.digest).second) continue;  // an earlier tag brings it
        auto stat = storage_.blobStat(b.digest);
        if (stat.isOk()) {
          ++blobsReused;
        } else if (stat.status().code() == StatusCode::kNotFound) {
          ++blobsToFetch;
          bytesToFetch += b.size;
          e.bytesToFetch += b.size;
        } else {
          return stat.status().withContext("stat blob " + b.digest);
        }
      }
    }
    report.add(std::move(e));
  }
  report.setTotals(bytesToFetch, blobsToFetch, blobsReused);
  report.setNotes(source_.notes());
  report.setTimestampKind(source_.timestampKind());
  if (registry::PullBudget* budget = source_.pullBudget()) report.setBudget(budget->state());
  (void)choiceCache_.flush();
  return report;
}

}  // namespace tributary::plugin
