#include "tributary/metrics/ServiceMetrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace tributary::metrics {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

ServiceMetrics::ServiceMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  tasks_ = &BuildCounter().Name("tributary_tasks_total").Help("Tasks that ended, by rule and final status").Register(r);
  duration_ = &BuildHistogram()
                   .Name("tributary_task_duration_seconds")
                   .Help("Time from a task's start to its end")
                   .Register(r)
                   .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 0.5, 1, 5, 15, 60, 300,
                                                                    900, 3600});
  bytesFetched_ = &BuildCounter().Name("tributary_bytes_fetched_total").Help("Blob bytes fetched from sources").Register(r).Add({});
  bytesReused_ = &BuildCounter().Name("tributary_bytes_reused_total").Help("Blob bytes found already in storage").Register(r).Add({});
  blobsFetched_ = &BuildCounter().Name("tributary_blobs_fetched_total").Help("Blobs fetched from sources").Register(r).Add({});
  blobsReused_ = &BuildCounter().Name("tributary_blobs_reused_total").Help("Blobs found already in storage").Register(r).Add({});
  tags_ = &BuildCounter().Name("tributary_tags_total").Help("Tags handled by tasks, by action").Register(r);
  queueDepth_ = &BuildGauge().Name("tributary_queue_depth").Help("Tasks waiting for a worker").Register(r).Add({});
  running_ = &BuildGauge().Name("tributary_running_tasks").Help("Tasks running now").Register(r).Add({});
  rules_ = &BuildGauge().Name("tributary_rules").Help("Subscription rules configured").Register(r).Add({});
  lastSuccess_ = &BuildGauge().Name("tributary_last_success_timestamp_seconds").Help("End time of each rule's last succeeded task").Register(r);
}

ServiceMetrics::~ServiceMetrics() = default;

void ServiceMetrics::taskEnded(const std::string& rule, const std::string& status,
                               double durationSeconds, const scheduler::ReportSummary& report,
                               int64_t endedAtMs) {
  tasks_->Add({{"rule", rule}, {"status", status}}).Increment();
  if (durationSeconds >= 0) duration_->Observe(durationSeconds);
  bytesFetched_->Increment(static_cast<double>(report.bytesFetched));
  bytesReused_->Increment(static_cast<double>(report.bytesReused));
  blobsFetched_->Increment(static_cast<double>(report.blobsFetched));
  blobsReused_->Increment(static_cast<double>(report.blobsReused));
  for (const auto& [action, count] : report.tagsByAction) {
    tags_->Add({{"action", action}}).Increment(static_cast<double>(count));
  }
  if (status == "succeeded") {
    lastSuccess_->Add({{"rule", rule}}).Set(static_cast<double>(endedAtMs) / 1000.0);
  }
}

void ServiceMetrics::setQueueDepth(int64_t queued, int64_t running) {
  queueDepth_->Set(static_cast<double>(queued));
  running_->Set(static_cast<double>(running));
}

void ServiceMetrics::setRuleCount(int64_t rules) { rules_->Set(static_cast<double>(rules)); }

std::string ServiceMetrics::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace tributary::metrics
