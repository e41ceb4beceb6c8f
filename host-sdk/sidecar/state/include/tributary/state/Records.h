// Records the service keeps: subscription rules and the tasks that ran them.
#pragma once

#include <cstdint>
#include <string>

namespace tributary::state {

/// A stored rule. Times are milliseconds since the Unix epoch; 0 = none.
struct RuleRecord {
  int64_t id = 0;
  std::string name;
  std::string json;        // normalised by the provider's validate_rule
  int64_t createdAt = 0;
  int64_t updatedAt = 0;
  int64_t nextRunAt = 0;   // the scheduler's next fire time (0 = manual / not computed)
  int64_t retryAt = 0;     // a deferred run's retry time (the budget's reset), 0 = none
};

/// Task states. queued -> running -> succeeded | partial | failed | cancelled; queued ->
/// cancelled.
namespace task_status {
constexpr const char* kQueued = "queued";
constexpr const char* kRunning = "running";
constexpr const char* kSucceeded = "succeeded";
constexpr const char* kPartial = "partial";
constexpr const char* kFailed = "failed";
constexpr const char* kCancelled = "cancelled";
inline bool isActive(const std::string& s) { return s == kQueued || s == kRunning; }
inline bool isKnown(const std::string& s) {
  return s == kQueued || s == kRunning || s == kSucceeded || s == kPartial || s == kFailed ||
         s == kCancelled;
}
}  // namespace task_status

/// One run of a rule (manual, scheduled or retry).
struct TaskRecord {
  int64_t id = 0;
  int64_t ruleId = 0;
  std::string ruleName;   // the rule's name when the task was queued
  std::string trigger;    // manual | scheduled | retry
  std::string status;     // task_status
  std::string reason;     // why it failed / was cancelled ("interrupted", provider message)
  std::string errorCode;  // the provider's status name when execute itself failed, else ""
  int64_t queuedAt = 0, startedAt = 0, endedAt = 0;
  int64_t bytesDone = 0, bytesTotal = 0, blobsDone = 0, blobsTotal = 0, tagsDone = 0;
  /// The provider's report once it ended, else "". Read only for one task (StateStore::task):
  /// a list carries `summaryJson` instead and leaves this empty.
  std::string reportJson;
  /// What a list shows of the report (ReportSummary::taskSummaryJson), written with it; ""
  /// when there is no report.
  std::string summaryJson;
  std::string owner;       // the sidecar that queued and runs it (replication.sidecar_id)
};

/// The answer to claiming a rule's run lease (StateStore::claimRuleRun).
struct RuleRunClaim {
  bool acquired = false;  // true: `task` is the new task, queued under this sidecar's lease
  TaskRecord task;        // the new task, or the active task that holds the lease (join it)
  /// A task whose holder let its lease expire (the sidecar died): recorded failed by this
  /// claim, which replaces it.
  int64_t replacedTaskId = 0;
};

/// A lease this sidecar holds: the rule's active task.
struct HeldLease {
  int64_t ruleId = 0;
  int64_t taskId = 0;
};

}  // namespace tributary::state
