#include "tributary/plugin/SyncEngine.h"

#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "tributary/plugin/BlobTransfer.h"
#include "tributary/plugin/ProgressReporter.h"
#include "tributary/plugin/TagListing.h"
#include "tributary/plugin/TagResolver.h"

namespace tributary::plugin {
namespace {

SyncReport::Action reportAction(TagAction a) {
  switch (a) {
    case TagAction::kSync: return SyncReport::Action::kSynced;
    case TagAction::kUnchanged: return SyncReport::Action::kUnchanged;
    case TagAction::kKept: return SyncReport::Action::kKept;
    case TagAction::kSkipped: return SyncReport::Action::kSkipped;
    case TagAction::kFailed: return SyncReport::Action::kFailed;
    case TagAction::kDeferred: return SyncReport::Action::kDeferred;
  }
  return SyncReport::Action::kFailed;
}

}  // namespace

Result<SyncReport> SyncEngine::execute() {
  const auto started = std::chrono::steady_clock::now();
  const std::string& destRepo = rule_.destination.repository;
  ProgressReporter progress(task_);

  TRIB_ASSIGN_OR_RETURN(std::vector<registry::TagInfo> tags,
                        TagListing::selected(rule_, source_));
  if (task_.isCancelled()) return cancelledError("task cancelled");

  for (const std::string& note : source_.notes())
    if (logger_.enabled(LogLevel::kWarn)) logger_.log(LogLevel::kWarn, "rule " + rule_.name + ": " + note);

  TagResolver resolver(rule_, source_.repository(), reader_, storage_, choiceCache_);
  resolver.setPullBudget(source_.pullBudget(), /*dryRun=*/false);
  TRIB_ASSIGN_OR_RETURN(std::vector<ResolvedTag> resolved,
                        resolver.resolveAll(tags, transfer_.concurrency, task_));
  (void)choiceCache_.flush();

  // Unique blobs in the order tags need them; each is attributed to the first tag needing it.
  std::vector<BlobRef> unique;
  std::map<std::string, size_t> firstTag;  // digest -> index into resolved
  uint64_t bytesTotal = 0;
  for (size_t i = 0; i < resolved.size(); ++i) {
    if (resolved[i].action != TagAction::kSync) continue;
    for (const BlobRef& b : resolved[i].blobs) {
      if (firstTag.emplace(b.digest, i).second) {
        unique.push_back(b);
        bytesTotal += b.size;
      }
    }
  }
  progress.planned(unique.size(), bytesTotal);

  SyncReport report(rule_.name);
  std::set<std::string> countedBlobs;
  uint64_t bytesFetched = 0, blobsFetched = 0, blobsReused = 0;
  uint64_t rangedBlobs = 0, rangedBytes = 0, mirrorBlobs = 0, mirrorBytes = 0;
  {
    std::optional<SourceEndpoints> originOnly;
    if (endpoints_ == nullptr) originOnly.emplace(reader_, "source", logger_);
    BlobTransfer transfer(endpoints_ ? *endpoints_ : *originOnly, storage_, source_.repository(),
                          transfer_, task_, progress, logger_);
    transfer.start(unique);
    for (size_t i = 0; i < resolved.size(); ++i) {
      ResolvedTag& r = resolved[i];
      SyncReport::Entry e;
      e.tag = r.info.tag;
      e.digest = r.targetDigest.empty() ? r.sourceDigest : r.targetDigest;
      e.pushedAtMs = r.info.pushedAtMs;
      e.action = reportAction(r.action);
      e.reason = r.reason;
      e.timestampSource = r.info.timestampSource;
      if (r.action == TagAction::kSync) {
        std::vector<std::string> digests;
        for (const BlobRef& b : r.blobs) digests.push_back(b.digest);
        TRIB_RETURN_IF_ERROR(transfer.waitFor(digests));  // kCancelled
        Status s;
        for (const BlobRef& b : r.blobs) {
          BlobOutcome o = transfer.outcome(b.digest);
          if (countedBlobs.insert(b.digest).second && o.status.isOk()) {
            if (o.fetched) {
              ++blobsFetched;
              bytesFetched += o.bytes;
              rangedBlobs += o.ranged;
              rangedBytes += o.ranged ? o.bytes : 0;
              mirrorBlobs += o.fromMirror;
              mirrorBytes += o.fromMirror ? o.bytes : 0;
            } else {
              ++blobsReused;
            }
          }
          if (firstTag[b.digest] == i && o.fetched) e.bytesFetched += o.bytes;
          if (s.isOk() && !o.status.isOk()) s = o.status;
        }
        if (task_.isCancelled()) return cancelledError("task cancelled");
        // Publish order: blobs are in; _layers links, manifests (children first), tag last.
        for (size_t k = 0; s.isOk() && k < r.blobs.size(); ++k)
          s = storage_.linkBlob(destRepo, r.blobs[k].digest)
                  .withContext("linking " + r.blobs[k].digest);
        for (size_t k = 0; s.isOk() && k < r.manifests.size(); ++k)
          s = storage_.putManifest(destRepo, r.manifests[k].digest, r.manifests[k].bytes)
                  .withContext("storing manifest " + r.manifests[k].digest);
        if (s.isOk())
          s = storage_.tagSet(destRepo, r.info.tag, r.targetDigest).withContext("setting tag");
        if (!s.isOk()) {
          e.action = SyncReport::Action::kFailed;
          e.reason = s.toString();
        }
      }
      if (logger_.enabled(e.action == SyncReport::Action::kFailed ? LogLevel::kWarn
                                                                  : LogLevel::kInfo)) {
        logger_.log(e.action == SyncReport::Action::kFailed ? LogLevel::kWarn : LogLevel::kInfo,
                    "rule " + rule_.name + ": tag " + e.tag + " " +
                        SyncReport::actionName(e.action) + (e.reason.empty() ? "" : ": " + e.reason));
      }
      progress.tagDone(e.tag, std::string(SyncReport::actionName(e.action)) +
                                  (e.reason.empty() ? "" : ": " + e.reason));
      report.add(std::move(e));
    }
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  report.setTotals(bytesFetched, blobsFetched, blobsReused, elapsed.count());
  report.setAccelerationTotals(rangedBlobs, rangedBytes, mirrorBlobs, mirrorBytes);
  report.setNotes(source_.notes());
  report.setTimestampKind(source_.timestampKind());
  if (registry::PullBudget* budget = source_.pullBudget()) {
    const registry::PullBudgetState b = budget->state();
    report.setBudget(b);
    if (b.known && logger_.enabled(LogLevel::kInfo))
      logger_.log(LogLevel::kInfo, "rule " + rule_.name + ": Docker Hub pulls spent " +
                                       std::to_string(b.pullsSpent) + " of " +
                                       std::to_string(b.remaining) + " remaining (limit " +
                                       std::to_string(b.limit) + ")");
  }
  return report;
}

}  // namespace tributary::plugin
