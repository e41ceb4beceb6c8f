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
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rp/host.hpp"
#include "tributary/Mutex.h"
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
  // The fleet: this sidecar's name in the leases (replication.sidecar_id), how long a lease
  // lasts unrenewed (replication.lease.ttl_seconds) and how often it is renewed
  // (replication.lease.renew_seconds).
  std::string owner = "local";
  int64_t leaseTtlMs = 30000;
  int64_t leaseRenewMs = 10000;
  // How often running tasks' progress is written to the store, cancel requests from other
  // sidecars are read and expired leases are looked for.
  int64_t upkeepMs = 1000;
  // Where the background threads report a database error they survived (default: stderr).
  std::function<void(const std::string&)> warn;
};

/// Runs a rule: the provider's execute with the host's task table (cancellation, progress).
using ExecuteFn = std::function<rp::ProviderReply(const std::string& ruleJson,
                                                  const rp_task_v1* task)>;

struct ExecuteAnswer {
  state::TaskRecord task;
  bool joined = false;  // the rule was already queued or running: this is that task
};

/// How tasks run:
/// - a rule has at most one task queued or running across every sidecar sharing the store: a
///   task is queued only under the rule's run lease (StateStore::claimRuleRun), which it holds
///   until it ends. Asking again (execute now, a schedule firing, a retry) on any sidecar
///   answers the lease holder's task instead of queueing another, so runs never overlap;
/// - the lease is a row with an owner and an expiry, renewed every leaseRenewMs while the task
///   is queued or running (leaseTtlMs unrenewed = expired). A sidecar that dies loses it after
///   the expiry; the first sidecar to see that records the task failed (`interrupted`) and, if
///   it was a manual Execute, runs the rule again at once; a scheduled rule runs at its next
///   period. A sidecar that finds its own lease taken over stops that task;
/// - a bounded pool of `workers` threads takes queued tasks in queue order, skipping a task
///   whose destination repository is being written by another rule's running task (runs into
///   one repository are serialised). With one active task per rule, queue order is fair across
///   rules: a rule cannot hold more than one place in the queue;
/// - the scheduler thread fires each rule at its update_period (intervals from the previous
///   fire, cron in the configured time zone), reading the rules from the store (so rules made
///   on another sidecar run too); a period is fired by the one sidecar that advances the
///   rule's next_run_at first (StateStore::claimNextRun). A rule whose fire time passed while
///   every service was down runs once at start, not once per missed period;
/// - a report with deferred tags sets the rule's retry time to the budget's reset_at; the rule
///   then runs again (trigger "retry") at that time;
/// - cancel: a queued task ends at once; a running one is asked through rp_task_v1.is_cancelled
///   and ends when the provider returns. A task of another sidecar gets a cancel request in
///   the store, which its owner reads within upkeepMs;
/// - running tasks' progress is written to the store every upkeepMs, so every sidecar's API
///   shows it;
/// - at start, a task this sidecar left `running` (the process died) becomes failed, reason
///   `interrupted`; tasks it left queued are queued again (SQLite: every such task);
/// - stop(): refuses new work, cancels queued tasks and asks running ones to stop, records
///   them all as cancelled (reason "shutdown"), releases their leases and joins every thread.
/// Thread: every public method from any thread.
class TaskService {
 public:
  TaskService(state::StateStore& store, TaskServiceOptions options, ExecuteFn execute,
              metrics::ServiceMetrics* metrics);
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  /// Recovers state from the store and starts the workers, the scheduler and the lease upkeep.
  Status start() EXCLUDES(mutex_);
  /// See the class comment. Idempotent. Waits at most `grace` for running tasks to return
  /// from the provider; if one does not (a provider blocked in I/O past its cancellation
  /// poll), records it cancelled anyway, detaches the threads and returns false: the caller
  /// must then end the process without destroying what they use (std::_Exit). Storage is
  /// crash-safe, so stopping mid-write leaves the previous image serving.
  bool stop(std::chrono::milliseconds grace = std::chrono::milliseconds(8000)) EXCLUDES(mutex_);

  /// Queues a run of `ruleId` (trigger manual | scheduled | retry), or answers the rule's
  /// active task (this sidecar's or another's). kNotFound (no rule), kResourceExhausted
  /// (queue full), kUnavailable (stopping).
  Result<ExecuteAnswer> execute(int64_t ruleId, const std::string& trigger) EXCLUDES(mutex_);
  /// kNotFound (no task), kFailedPrecondition (already ended). Answers the task after the
  /// request (a running task stays `running` until the provider returns; a task of another
  /// sidecar stays as it is until that sidecar acts on the request).
  Result<state::TaskRecord> cancel(int64_t taskId) EXCLUDES(mutex_);

  /// A task with its live progress when it is active here, else as stored.
  std::optional<state::TaskRecord> task(int64_t id) EXCLUDES(mutex_);
  /// Without reports (StateStore::tasks): a list carries each task's summary.
  std::vector<state::TaskRecord> tasks(int64_t ruleId, const std::string& status,
                                       int64_t beforeId, int limit) EXCLUDES(mutex_);

  /// The rule was created or updated: (re)compute its schedule if its update_period changed.
  /// kInvalidArgument when the stored update_period does not parse.
  Status ruleChanged(int64_t ruleId) EXCLUDES(mutex_);
  /// The rule was deleted: its queued task is cancelled, a running one asked to stop (on
  /// whichever sidecar runs it).
  void ruleDeleted(int64_t ruleId) EXCLUDES(mutex_);

  /// The rule's next scheduled fire time (ms), 0 = none.
  int64_t nextRunAt(int64_t ruleId);
  size_t queuedCount() EXCLUDES(mutex_);

  static int64_t nowMs();

 private:
  // One queued or running task of this sidecar. Its plain members are guarded by
  // TaskService::mutex_ (a nested struct cannot name its owner's mutex for the analysis: they
  // are only touched under MutexLock or in REQUIRES(mutex_) functions); the atomics are what
  // the provider's callbacks touch from the worker thread.
  struct Live {
    state::TaskRecord record;
    std::string destination;
    bool running = false;
    std::string cancelReason;
    int64_t claimedAt = 0;  // when its lease was taken (a renewal older than that omits it)
    std::atomic<bool> cancel{false};
    std::atomic<int64_t> bytesDone{0}, bytesTotal{0}, blobsDone{0}, blobsTotal{0}, tagsDone{0};
  };
  struct RuleSchedule {
    std::string periodText;
    std::shared_ptr<const Schedule> schedule;  // null = manual
    int64_t nextRunAt = 0;                     // as this sidecar last saw or set it
  };

  Result<ExecuteAnswer> enqueueLocked(int64_t ruleId, const std::string& trigger)
      REQUIRES(mutex_);
  Result<state::TaskRecord> cancelLocked(std::shared_ptr<Live> live,
                                         const std::string& reason) REQUIRES(mutex_);
  int64_t nextFire(const RuleSchedule& rs, int64_t now) const;
  RuleSchedule scheduleFor(const state::RuleRecord& rule) EXCLUDES(mutex_);
  std::shared_ptr<Live> takeNext() EXCLUDES(mutex_);
  void workerLoop() EXCLUDES(mutex_);
  void schedulerLoop() EXCLUDES(mutex_);
  int64_t schedulePass() EXCLUDES(mutex_);
  void upkeepLoop() EXCLUDES(mutex_);
  void upkeepPass(bool renew) EXCLUDES(mutex_);
  void run(const std::shared_ptr<Live>& live) EXCLUDES(mutex_);
  void finishLocked(const std::shared_ptr<Live>& live) REQUIRES(mutex_);
  state::TaskRecord snapshot(const Live& live) const REQUIRES(mutex_);
  void publishQueueDepthLocked() REQUIRES(mutex_);
  void warn(const std::string& message) const;

  state::StateStore& store_;
  const TaskServiceOptions options_;
  const ExecuteFn execute_;
  metrics::ServiceMetrics* const metrics_;

  mutable Mutex mutex_;
  std::condition_variable_any workAvailable_;
  std::condition_variable_any schedulerWake_;
  std::condition_variable_any workerExited_;
  bool started_ GUARDED_BY(mutex_) = false;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::map<int64_t, std::shared_ptr<Live>> active_ GUARDED_BY(mutex_);  // task id -> task
  std::deque<int64_t> queue_ GUARDED_BY(mutex_);               // queued task ids, in order
  std::map<int64_t, int64_t> activeByRule_ GUARDED_BY(mutex_);  // rule id -> active task id
  std::set<std::string> busyDestinations_ GUARDED_BY(mutex_);   // destinations being written
  std::map<int64_t, RuleSchedule> schedules_ GUARDED_BY(mutex_);  // rule id -> parsed period
  size_t running_ GUARDED_BY(mutex_) = 0;
  int liveWorkers_ GUARDED_BY(mutex_) = 0;  // worker threads not yet returned
  // Started by start(), joined by stop(): touched only by the thread that calls those two.
  std::vector<std::thread> workers_;
  std::thread scheduler_;
  std::thread upkeep_;
};

}  // namespace tributary::scheduler
