#include "tributary/plugin/engine/Planner.h"

#include <set>

#include "tributary/plugin/selection/TagListing.h"
#include "tributary/plugin/selection/TagResolver.h"

namespace tributary::plugin {

Result<Plan> Planner::plan() { return plan(/*countOnly=*/false); }

Result<Plan> Planner::plan(bool countOnly) {
  Plan plan;
  plan.rule = rule_.name;
  plan.source = sourceInfo_.value_or(
      RunReport::Source{rule_.source.type, rule_.source.domain, source_.repository()});
  plan.destinationRepository = rule_.destination.repository;

  TRIB_ASSIGN_OR_RETURN(
      TagListing::Selection selection,
      TagListing::select(rule_, source_, listExcluded_ ? kMaxExcludedRows : 0));
  if (task_.isCancelled()) return cancelledError("task cancelled");
  // After the listing: a vendor adapter whose API failed orders by `created` instead.
  plan.timestampKind = source_.timestampKind();

  TagResolver resolver(rule_, source_.repository(), reader_, storage_, choiceCache_);
  // A pull budget: tags are admitted one at a time, newest first; a dry run only counts.
  const bool budgeted = source_.budget().has_value();
  resolver.setFetchGate(
      [this](const registry::TagInfo& info, const registry::FetchAsk& ask) {
        return source_.deferFetch(info, ask);
      },
      /*serialAdmission=*/budgeted, /*countOnly=*/budgeted && countOnly);
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
  TRIB_ASSIGN_OR_RETURN(Plan p, plan(/*countOnly=*/true));  // spends no pulls of a budget
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
