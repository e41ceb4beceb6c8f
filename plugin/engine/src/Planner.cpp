#include "tributary/plugin/engine/Planner.h"

#include <set>

#include "tributary/plugin/selection/TagListing.h"
#include "tributary/plugin/selection/TagResolver.h"

namespace tributary::plugin {

Result<Plan> Planner::plan() {
  Plan plan;
  plan.rule = rule_.name;
  plan.source = sourceInfo_.value_or(
      RunReport::Source{rule_.source.type, rule_.source.domain, source_.repository()});
  plan.destinationRepository = rule_.destination.repository;
  plan.timestampKind = source_.timestampKind();

  TRIB_ASSIGN_OR_RETURN(
      TagListing::Selection selection,
      TagListing::select(rule_, source_, listExcluded_ ? kMaxExcludedRows : 0));
  if (task_.isCancelled()) return cancelledError("task cancelled");

  TagResolver resolver(rule_, source_.repository(), reader_, storage_, choiceCache_);
  resolver.setFetchGate(
      [this](const registry::TagInfo& info) { return source_.deferFetch(info); });
  TRIB_ASSIGN_OR_RETURN(plan.tags, resolver.resolveAll(selection.chosen, concurrency_, task_));
  Status saved = choiceCache_.flush();
  if (!saved.isOk())  // the next run re-reads the index instead: slower, not wrong
    plan.notes.push_back("saving the platform-choice cache: " + saved.message());

  plan.beyondLatestN = std::move(selection.beyondLatestN);
  if (listExcluded_) {
    plan.excludedNotListed = selection.excludedNotKept;
    plan.excludedByRegex = std::move(selection.excludedByRegex);
  }

  for (size_t i = 0; i < plan.tags.size(); ++i) {
    if (plan.tags[i].action != TagAction::kSynced) continue;
    for (const BlobRef& b : plan.tags[i].blobs)
      if (plan.firstTag.emplace(b.digest, i).second) plan.blobs.push_back(b);
  }
  for (std::string& note : source_.notes()) plan.notes.push_back(std::move(note));
  plan.budget = source_.budget();
  return plan;
}

Result<RunReport> Planner::dryRun() {
  TRIB_ASSIGN_OR_RETURN(Plan p, plan());
  RunReport report = p.startReport(/*dryRun=*/true);
  TRIB_RETURN_IF_ERROR(estimateFetches(p, report));
  return report;
}

Status Planner::estimateFetches(const Plan& plan, RunReport& report) {
  RunReport::Totals& totals = report.totals();
  for (const BlobRef& b : plan.blobs) {
    auto stat = storage_.blobStat(b.digest);
    if (stat.isOk()) {
      ++totals.blobsReused;
    } else if (stat.status().code() == StatusCode::kNotFound) {
      ++totals.blobs;
      totals.bytes += b.size;
      report.rows()[plan.firstTag.at(b.digest)].bytes += b.size;
    } else {
      return stat.status().withContext("checking blob " + b.digest + " in storage");
    }
  }
  return Status();
}

}  // namespace tributary::plugin
