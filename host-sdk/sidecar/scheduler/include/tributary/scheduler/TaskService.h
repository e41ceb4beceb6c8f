// TaskService: queues, runs, schedules and cancels the service's tasks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rp/host.hpp"
#include "tributary/Schedule.h"
#include "tributary/Status.h"
#include "tributary/state/Records.h"
#include "tributary/state/StateStore.h"

namespace tributary::metrics {
class ServiceMetrics;
}

namespace tributary::scheduler {

struct TaskServiceOptions {
  int workers = 2;               // replication.workers
  size_t queueLimit = 1000;      // replication.queue_limit: more queued tasks -> refused
  std::string timezone = "UTC";  // replication.timezone, for cron expressions
  int64_t retentionMs = 30LL * 24 * 3600 * 1000;  // replication.task_retention.days
  int keepPerRule = 1000;                         // replication.task_retention.per_rule
  // Test hook (replication.test_hooks.interval_divisor): intervals are divided by this, so
  // `1m` fires every second in integration tests. The grammar is unchanged.
  int64_t intervalDivisor = 1;
};

/// Runs a rule: the provider's execute with the host's task table (cancellation, progress).
using ExecuteFn = std::function<rp::ProviderReply(const std::string& ruleJson,
                                                  const rp_task_v1* task)>;

struct ExecuteAnswer {
  state::TaskRecord task;
  bool joined = false;  // the rule was already queued or running: this is that task
};

/// How tasks run:
/// - a rule has at most one task queued or running; asking again (execute now, a schedule
///   firing, a retry) answers that task instead of queueing another, so runs never overlap;
/// - a bounded pool of `workers` threads takes queued tasks in queue order, skipping a task
///   whose destination repository is being written by another rule's running task (runs into
///   one repository are serialised). With one active task per rule, queue order is fair across
///   rules: a rule cannot hold more than one place in the queue;
/// - the scheduler thread fires each rule at its update_period (intervals from the previous
///   fire, cron in the configured time zone). A rule whose fire time passed while the service
///   was down runs once at start, not once per missed period;
/// - a report with deferred tags sets the rule's retry time to the budget's reset_at; the rule
///   then runs again (trigger "retry") at that time;
/// - cancel: a queued task ends at once; a running one is asked through rp_task_v1.is_cancelled
///   and ends when the provider returns;
/// - at start, a task found `running` (the process died) becomes failed, reason `interrupted`;
///   tasks found queued are queued again;
/// - stop(): refuses new work, cancels queued tasks and asks running ones to stop, records
///   them all as cancelled (reason "shutdown") and joins every thread.
/// Thread: every public method from any thread.
class TaskService {
 public:
  TaskService(state::StateStore& store, TaskServiceOptions options, ExecuteFn execute,
              metrics::ServiceMetrics* metrics);
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  /// Recovers state from the store and starts the workers and the scheduler.
  Status start();
  /// See the class comment. Idempotent. Waits at most `grace` for running tasks to return
  /// from the provider; if one does not (a provider blocked in I/O past its cancellation
  /// poll), records it cancelled anyway, detaches the threads and returns false: the caller
  /// must then end the process without destroying what they use (std::_Exit). Storage is
  /// crash-safe, so stopping mid-write leaves the previous image serving.
  bool stop(std::chrono::milliseconds grace = std::chrono::milliseconds(8000));

  /// Queues a run of `ruleId` (trigger manual | scheduled | retry), or answers the rule's
  /// active task. kNotFound (no rule), kResourceExhausted (queue full), kUnavailable (stopping).
  Result<ExecuteAnswer> execute(int64_t ruleId, const std::string& trigger);
  /// kNotFound (no task), kFailedPrecondition (already ended). Answers the task after the
  /// request (a running task stays `running` until the provider returns).
  Result<state::TaskRecord> cancel(int64_t taskId);

  /// A task with its live progress when it is active.
  std::optional<state::TaskRecord> task(int64_t id);
  std::vector<state::TaskRecord> tasks(int64_t ruleId, const std::string& status,
                                       int64_t beforeId, int limit);

  /// The rule was created or updated: (re)compute its schedule if its update_period changed.
  /// kInvalidArgument when the stored update_period does not parse.
  Status ruleChanged(int64_t ruleId);
  /// The rule was deleted: its queued task is cancelled, a running one asked to stop.
  void ruleDeleted(int64_t ruleId);

  /// The rule's next scheduled fire time (ms), 0 = none.
  int64_t nextRunAt(int64_t ruleId);
  size_t queuedCount();

  static int64_t nowMs();

 private:
  struct Live {
    state::TaskRecord record;  // guarded by mutex_
    std::string destination;   // guarded by mutex_
    bool running = false;      // guarded by mutex_
    std::string cancelReason;  // guarded by mutex_
    std::atomic<bool> cancel{false};
    std::atomic<int64_t> bytesDone{0}, bytesTotal{0}, blobsDone{0}, blobsTotal{0}, tagsDone{0};
  };
  struct RuleSchedule {
    std::string periodText;
    std::optional<Schedule> schedule;  // nullopt = manual
    int64_t nextRunAt = 0;
    int64_t retryAt = 0;
  };

  Result<ExecuteAnswer> enqueueLocked(int64_t ruleId, const std::string& trigger);
  int64_t nextFire(const RuleSchedule& rs, int64_t now) const;
  void workerLoop();
  void schedulerLoop();
  void run(const std::shared_ptr<Live>& live);
  void finishLocked(const std::shared_ptr<Live>& live);
  state::TaskRecord snapshot(const Live& live) const;
  void publishQueueDepthLocked();

  state::StateStore& store_;
  const TaskServiceOptions options_;
  const ExecuteFn execute_;
  metrics::ServiceMetrics* const metrics_;

  std::mutex mutex_;
  std::condition_variable workAvailable_;
  std::condition_variable schedulerWake_;
  bool started_ = false;
  bool stopping_ = false;
  std::map<int64_t, std::shared_ptr<Live>> active_;  // task id -> queued or running task
  std::deque<int64_t> queue_;                        // queued task ids, in queue order
  std::map<int64_t, int64_t> activeByRule_;          // rule id -> its active task id
  std::set<std::string> busyDestinations_;           // destinations of running tasks
  std::map<int64_t, RuleSchedule> schedules_;        // rule id -> schedule
  size_t running_ = 0;
  int liveWorkers_ = 0;              // worker threads not yet returned
  std::condition_variable workerExited_;
  std::vector<std::thread> workers_;
  std::thread scheduler_;
};

}  // namespace tributary::scheduler
