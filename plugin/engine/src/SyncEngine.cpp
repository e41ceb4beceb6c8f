#include "tributary/plugin/engine/SyncEngine.h"

#include <chrono>
#include <optional>

#include "tributary/plugin/engine/Planner.h"
#include "tributary/registry/ParsedManifest.h"

namespace tributary::plugin {
namespace {

// The publish gate (issue #7): a tag becomes visible only if a stock Distribution 2.8 can
// decode every manifest it stores and every blob those manifests reference is in storage with
// its size, except foreign / non-distributable layers left to their urls. Re-derived from the
// bytes about to be stored, not from what the resolver decided to fetch. On failure
// `reasonCode` is the report's code: invalid_manifest or store_failed.
Status checkPublishable(const ResolvedTag& r, Storage& storage, std::string& reasonCode) {
  for (const ManifestToStore& m : r.manifests) {
    auto parsed = registry::ParsedManifest::parse(m.bytes, "");
    if (!parsed.isOk()) {
      reasonCode = "invalid_manifest";
      return failedPreconditionError("refusing to publish: manifest " + m.digest +
                                     " would not be served: " + parsed.status().message());
    }
    if (parsed->kind != registry::ManifestKind::kImage) continue;
    std::vector<const registry::Descriptor*> refs{&parsed->config};
    for (const registry::Descriptor& l : parsed->layers) refs.push_back(&l);
    for (const registry::Descriptor* d : refs) {
      if (d != &parsed->config && !d->urls.empty() && d->isNonDistributable()) continue;
      reasonCode = "store_failed";
      auto size = storage.blobStat(d->digest);
      if (!size.isOk())
        return failedPreconditionError("refusing to publish: blob " + d->digest +
                                       " of manifest " + m.digest + " is not in storage (" +
                                       size.status().message() + ")");
      if (*size != d->size)
        return failedPreconditionError("refusing to publish: blob " + d->digest + " is " +
                                       std::to_string(*size) + " bytes in storage, manifest " +
                                       m.digest + " says " + std::to_string(d->size));
    }
  }
  reasonCode.clear();
  return Status();
}

}  // namespace

Result<RunReport> SyncEngine::execute() {
  Planner planner(rule_, source_, reader_, storage_, choiceCache_, task_, transfer_.concurrency);
  TRIB_ASSIGN_OR_RETURN(Plan plan, planner.plan());
  return apply(plan);
}

Result<RunReport> SyncEngine::apply(const Plan& plan) {
  const auto started = std::chrono::steady_clock::now();
  RunReport report = plan.startReport(/*dryRun=*/false);
  for (const std::string& note : plan.notes)
    if (logger_.enabled(LogLevel::kWarn)) logger_.log(LogLevel::kWarn, "rule " + rule_.name + ": " + note);
  if (plan.budget && plan.budget->known && logger_.enabled(LogLevel::kInfo))
    logger_.log(LogLevel::kInfo, "rule " + rule_.name + ": source pulls spent " +
                                     std::to_string(plan.budget->pullsSpent) + " of " +
                                     std::to_string(plan.budget->remaining) + " remaining (limit " +
                                     std::to_string(plan.budget->limit) + ")");
  ProgressReporter progress(task_);
  uint64_t bytesTotal = 0;
  for (const BlobRef& b : plan.blobs) bytesTotal += b.size;
  progress.planned(plan.blobs.size(), bytesTotal);
  countedBlobs_.clear();
  {
    std::optional<SourceEndpoints> originOnly;
    if (endpoints_ == nullptr) originOnly.emplace(reader_, "source", logger_);
    BlobTransfer transfer(endpoints_ ? *endpoints_ : *originOnly, storage_, source_.repository(),
                          transfer_, task_, progress, logger_);
    transfer.start(plan.blobs);
    for (size_t i = 0; i < plan.tags.size(); ++i) {
      TRIB_RETURN_IF_ERROR(applyTag(plan, i, transfer, report));  // kCancelled
      logTag(report.rows()[i], progress);
    }
  }
  report.totals().durationMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - started)
                                   .count();
  return report;
}

Status SyncEngine::applyTag(const Plan& plan, size_t index, BlobTransfer& transfer,
                            RunReport& report) {
  const ResolvedTag& tag = plan.tags[index];
  if (tag.action != TagAction::kSynced) return Status();  // decided by the plan
  std::vector<std::string> digests;
  for (const BlobRef& b : tag.blobs) digests.push_back(b.digest);
  TRIB_RETURN_IF_ERROR(transfer.waitFor(digests));
  countBlobs(plan, index, transfer, report);
  Status s;
  for (const BlobRef& b : tag.blobs) {
    s = transfer.outcome(b.digest).status;
    if (!s.isOk()) break;
  }
  if (task_.isCancelled()) return cancelledError("task cancelled");
  const bool fetched = s.isOk();
  std::string gateCode;
  if (fetched) s = checkPublishable(tag, storage_, gateCode);  // before the first link
  if (fetched && s.isOk()) s = publish(tag);
  if (!s.isOk()) {
    RunReport::TagRow& row = report.rows()[index];
    row.action = TagAction::kFailed;
    row.reasonCode = !fetched ? (s.code() == StatusCode::kDataLoss ? "digest_mismatch"
                                                                   : "fetch_failed")
                              : !gateCode.empty() ? gateCode : "store_failed";
    row.reason = s.message();
  }
  return Status();
}

void SyncEngine::countBlobs(const Plan& plan, size_t index, const BlobTransfer& transfer,
                            RunReport& report) {
  RunReport::Totals& totals = report.totals();
  for (const BlobRef& b : plan.tags[index].blobs) {
    BlobOutcome o = transfer.outcome(b.digest);
    if (!o.status.isOk() || !countedBlobs_.insert(b.digest).second) continue;
    if (!o.fetched) {
      ++totals.blobsReused;
      continue;
    }
    ++totals.blobs;
    totals.bytes += o.bytes;
    totals.rangedBlobs += o.ranged;
    totals.rangedBytes += o.ranged ? o.bytes : 0;
    totals.mirrorBlobs += o.fromMirror;
    totals.mirrorBytes += o.fromMirror ? o.bytes : 0;
    report.rows()[plan.firstTag.at(b.digest)].bytes += o.bytes;
  }
}

Status SyncEngine::publish(const ResolvedTag& tag) {
  // Blobs are in; _layers links, manifests (children first), the tag last (DESIGN §5).
  const std::string& repo = rule_.destination.repository;
  for (const BlobRef& b : tag.blobs) TRIB_RETURN_IF_ERROR(storage_.linkBlob(repo, b.digest));
  for (const ManifestToStore& m : tag.manifests)
    TRIB_RETURN_IF_ERROR(storage_.putManifest(repo, m.digest, m.bytes));
  return storage_.tagSet(repo, tag.info.tag, tag.targetDigest);
}

void SyncEngine::logTag(const RunReport::TagRow& row, ProgressReporter& progress) {
  const std::string what = std::string(tagActionName(row.action)) +
                           (row.reason.empty() ? "" : ": " + row.reason);
  // What changed is news; an unchanged tag (every tag of most scheduled runs) is in the
  // task's report, and in the log only at debug level.
  const LogLevel level = row.action == TagAction::kFailed      ? LogLevel::kWarn
                         : row.action == TagAction::kUnchanged ? LogLevel::kDebug
                                                               : LogLevel::kInfo;
  if (logger_.enabled(level)) logger_.log(level, "rule " + rule_.name + ": tag " + row.tag + " " + what);
  progress.tagDone(row.tag, what);
}

}  // namespace tributary::plugin
