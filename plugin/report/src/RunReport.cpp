#include "tributary/plugin/report/RunReport.h"

#include <algorithm>
#include <utility>

#include "tributary/JsonWriter.h"
#include "tributary/registry/Rfc3339.h"

namespace tributary::plugin {

void RunReport::setError(std::string code, std::string message) {
  error_.emplace(std::move(code), std::move(message));
}

RunReport::Counts RunReport::counts() const {
  Counts c;
  for (const TagRow& r : rows_) {
    switch (r.action) {
      case TagAction::kSynced: ++c.synced; break;
      case TagAction::kUnchanged: ++c.unchanged; break;
      case TagAction::kKept: ++c.kept; break;
      case TagAction::kSkipped: ++c.skipped; break;
      case TagAction::kDeferred: ++c.deferred; break;
      case TagAction::kFailed: ++c.failed; break;
      case TagAction::kBeyondLatestN: ++c.beyondLatestN; break;
      case TagAction::kExcludedByRegex: ++c.excludedByRegex; break;
    }
  }
  return c;
}

std::string RunReport::status() const {
  if (error_) return "failed";
  const Counts c = counts();
  const uint64_t selected = c.synced + c.unchanged + c.kept + c.skipped + c.deferred + c.failed;
  if (c.failed > 0 && c.failed == selected) return "failed";
  if (c.failed > 0 || c.deferred > 0) return "partial";
  return "succeeded";
}

std::string RunReport::toJson() const {
  JsonWriter w;
  w.beginObject();
  w.key("schema_version").value(kSchemaVersion);
  w.key("rule").value(rule_);
  w.key("source").beginObject();
  w.key("type").value(source_.type);
  w.key("registry").value(source_.registry);
  w.key("repository").value(source_.repository);
  w.endObject();
  w.key("destination").beginObject();
  w.key("repository").value(destinationRepository_);
  w.endObject();
  w.key("dry_run").value(dryRun_);
  w.key("status").value(status());
  if (error_) {
    w.key("error").beginObject();
    w.key("code").value(error_->first);
    w.key("message").value(error_->second);
    w.endObject();
  }
  // Every key always present, in the documented order (docs/report.md).
  const Counts c = counts();
  const std::pair<const char*, uint64_t> countFields[] = {
      {"synced", c.synced},     {"unchanged", c.unchanged},
      {"kept", c.kept},         {"skipped", c.skipped},
      {"deferred", c.deferred}, {"failed", c.failed},
      {"beyond_latest_n", c.beyondLatestN}, {"excluded_by_regex", c.excludedByRegex}};
  w.key("counts").beginObject();
  for (const auto& [name, n] : countFields) w.key(name).value(n);
  w.endObject();
  const std::pair<const char*, uint64_t> totalFields[] = {
      {"bytes", totals_.bytes},
      {"blobs", totals_.blobs},
      {"blobs_reused", totals_.blobsReused},
      {"duration_ms", static_cast<uint64_t>(std::max<int64_t>(totals_.durationMs, 0))},
      {"ranged_blobs", totals_.rangedBlobs},
      {"ranged_bytes", totals_.rangedBytes},
      {"mirror_blobs", totals_.mirrorBlobs},
      {"mirror_bytes", totals_.mirrorBytes}};
  w.key("totals").beginObject();
  for (const auto& [name, n] : totalFields) w.key(name).value(n);
  w.endObject();
  if (budget_) {
    w.key("budget").beginObject();
    w.key("limit");
    if (budget_->known) w.value(budget_->limit); else w.null();
    w.key("remaining");
    if (budget_->known) w.value(budget_->remaining); else w.null();
    w.key("window_seconds").value(budget_->windowSeconds);
    w.key("reset_at");
    if (budget_->resetAtMs) w.value(registry::Rfc3339::formatMs(*budget_->resetAtMs)); else w.null();
    w.key("pulls_needed").value(budget_->pullsNeeded);
    w.key("pulls_spent").value(budget_->pullsSpent);
    w.key("reserve").value(budget_->reserve);
    w.endObject();
  }
  w.key("notes").beginArray();
  for (const std::string& n : notes_) w.value(n);
  w.endArray();
  w.key("tags").beginArray();
  for (const TagRow& r : rows_) {
    w.beginObject();
    w.key("tag").value(r.tag);
    w.key("action").value(tagActionName(r.action));
    w.key("reason_code").value(r.reasonCode);
    w.key("reason").value(r.reason);
    w.key("source_digest").value(r.sourceDigest);
    w.key("destination_digest").value(r.destinationDigest);
    w.key("chosen_digest").value(r.chosenDigest);
    w.key("timestamp");
    if (r.timestampMs) w.value(registry::Rfc3339::formatMs(*r.timestampMs)); else w.null();
    w.key("timestamp_kind").value(r.timestampKind);
    w.key("bytes").value(r.bytes);
    if (!r.foreignLayers.empty()) {
      w.key("foreign_layers").beginArray();
      for (const std::string& f : r.foreignLayers) w.value(f);
      w.endArray();
    }
    if (budget_) {
      w.key("pulls");
      if (r.pulls) w.value(*r.pulls); else w.null();
    }
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.str();
}

}  // namespace tributary::plugin
