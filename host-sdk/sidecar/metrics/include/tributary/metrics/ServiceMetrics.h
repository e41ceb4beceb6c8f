// ServiceMetrics: the service's Prometheus metrics (prometheus-cpp core: registry + text format).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tributary/scheduler/ReportSummary.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace tributary::metrics {

/// Metric names (all prefixed tributary_):
///   tasks_total{rule,status}            counter, tasks that ended, by final status
///   task_duration_seconds               histogram, start to end of every task that ran
///   bytes_fetched_total / bytes_reused_total / blobs_fetched_total / blobs_reused_total
///   tags_total{action}                  counter, per-tag actions from the reports
///   queue_depth / running_tasks / rules gauges
///   last_success_timestamp_seconds{rule} gauge, end time of the rule's last succeeded task
/// Thread: every method from any thread (prometheus-cpp metrics are atomic; families lock).
class ServiceMetrics {
 public:
  ServiceMetrics();
  ~ServiceMetrics();
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  void taskEnded(const std::string& rule, const std::string& status, double durationSeconds,
                 const scheduler::ReportSummary& report, int64_t endedAtMs);
  void setQueueDepth(int64_t queued, int64_t running);
  void setRuleCount(int64_t rules);

  /// The Prometheus text exposition format (version 0.0.4).
  std::string serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* tasks_;
  prometheus::Histogram* duration_;
  prometheus::Counter* bytesFetched_;
  prometheus::Counter* bytesReused_;
  prometheus::Counter* blobsFetched_;
  prometheus::Counter* blobsReused_;
  prometheus::Family<prometheus::Counter>* tags_;
  prometheus::Gauge* queueDepth_;
  prometheus::Gauge* running_;
  prometheus::Gauge* rules_;
  prometheus::Family<prometheus::Gauge>* lastSuccess_;
};

}  // namespace tributary::metrics
