// StateStore: the service's rules, tasks and run leases, in SQLite (one sidecar) or PostgreSQL
// (a fleet of sidecars sharing one registry), through Poco::Data.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tributary/Mutex.h"
#include "tributary/Status.h"
#include "tributary/state/Records.h"
#include "tributary/state/StateLocation.h"

namespace Poco::Data {
class Session;
}

namespace tributary::state {

struct SqlDialect;

/// Opens (creating and migrating) the database: a `meta` table with `schema_version`, every
/// pending migration applied in one transaction. On PostgreSQL that transaction first takes
/// `pg_advisory_xact_lock(kMigrationLock)` and reads the version again inside it, so sidecars
/// starting at once migrate exactly once (the others wait, then find nothing to do); on SQLite
/// the transaction is the file's write lock. A database from a newer Tributary is refused.
///
/// One mechanism for both engines: the same statements (SqlDialect holds the few differences:
/// placeholders, the database clock, row locks, the first schema's column types).
///
/// Run leases (one row per rule in `leases`: task, owner, expiry on the database's clock) keep
/// each rule to one active task across the fleet; see claimRuleRun and docs/serve.md. A row,
/// not a session advisory lock: the lock would be freed silently by a dropped connection while
/// its task still writes, could not name the task that Execute elsewhere must join, and no other
/// sidecar could see who holds it; the row survives reconnects, says owner and task, and
/// expires by itself when its sidecar dies (the same code on SQLite, where it is one process's).
///
/// Thread: every method from any thread; one connection, serialised by a mutex (statements are
/// short; SQLite serialises writers anyway). A PostgreSQL connection that broke is reopened at
/// the next call. Methods throw Poco::Exception on a database error, except open().
class StateStore {
 public:
  static constexpr int kSchemaVersion = 3;
  static constexpr int64_t kMigrationLock = 0x7472696275746172;  // "tributar"

  /// `passfile`: PostgreSQL only, replication.state_passfile ("" = libpq's own PGPASSFILE /
  /// ~/.pgpass); libpq reads it at every (re)connection. Errors name the location's display
  /// form.
  static Result<std::unique_ptr<StateStore>> open(const StateLocation& location,
                                                  const std::string& passfile = "");
  /// SQLite at a path.
  static Result<std::unique_ptr<StateStore>> open(const std::string& path);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  /// SQLite: one sidecar owns the file, so at start every lease in it is its own.
  bool sharedByFleet() const;
  int schemaVersion();

  // Rules. Names are unique (kAlreadyExists naming the rule).
  Result<RuleRecord> insertRule(const std::string& name, const std::string& json, int64_t now);
  Status updateRule(int64_t id, const std::string& name, const std::string& json, int64_t now);
  Status deleteRule(int64_t id);  // and its lease: a task running elsewhere loses it and stops
  std::optional<RuleRecord> rule(int64_t id);
  std::optional<RuleRecord> ruleByName(const std::string& name);
  std::vector<RuleRecord> rules();
  int64_t ruleCount();
  void setNextRun(int64_t ruleId, int64_t nextRunAt);
  void setRetryAt(int64_t ruleId, int64_t retryAt);
  /// Moves next_run_at from `expected` to `next` only if no one moved it first: of the
  /// sidecars that see a period due, exactly one gets true and fires it.
  bool claimNextRun(int64_t ruleId, int64_t expected, int64_t next);
  /// The same for retry_at (to 0).
  bool claimRetry(int64_t ruleId, int64_t expected);

  // Tasks.
  TaskRecord insertTask(const RuleRecord& rule, const std::string& trigger, int64_t now);
  /// Every column but id/rule/trigger/queuedAt/owner (the summary with the report) — only
  /// while the stored task is still queued or running: an ended task is final (a sidecar whose
  /// lease was taken over cannot overwrite the failure recorded for it).
  void saveTask(const TaskRecord& task);
  /// One task with its report.
  std::optional<TaskRecord> task(int64_t id);
  /// Newest first; `ruleId` 0 and `status` "" = any; ids below `beforeId` (0 = no bound).
  /// Without reports (`reportJson` empty; `summaryJson` says what a list shows): the report
  /// column is not even read, so a page costs `limit` summaries of memory.
  std::vector<TaskRecord> tasks(int64_t ruleId, const std::string& status, int64_t beforeId,
                                int limit);
  /// Tasks in queued or running state, oldest first (no report: an active task has none).
  std::vector<TaskRecord> activeTasks();
  /// Marks every `running` task failed with `reason`; returns how many.
  int failRunningTasks(const std::string& reason, int64_t now);
  /// Deletes ended tasks older than `olderThan` and, per rule, all but the newest `keepPerRule`
  /// ended tasks. Returns how many were deleted.
  int pruneTasks(int64_t olderThan, int keepPerRule);

  // Run leases.
  /// In one transaction, under the rule's lease row lock: if the lease is held by an active
  /// task and not expired, answers that task (acquired = false: join it). Otherwise records a
  /// holder whose lease expired as failed (`interrupted: …`), inserts a queued task owned by
  /// `owner` and gives it the lease for `ttlMs`.
  RuleRunClaim claimRuleRun(const RuleRecord& rule, const std::string& trigger,
                            const std::string& owner, int64_t ttlMs, int64_t now);
  /// Extends every lease `owner` holds by `ttlMs`; answers the leases it still holds (one
  /// missing = taken over after it expired, or its rule deleted).
  std::vector<HeldLease> renewLeases(const std::string& owner, int64_t ttlMs);
  /// Gives the rule's lease up if `taskId` still holds it.
  void releaseLease(int64_t ruleId, int64_t taskId);
  /// Leases past their expiry whose task is still active (its sidecar died or lost the
  /// database): each is cleared by exactly one caller, which records the task failed with
  /// `reason` and gets it back here (to run a manual Execute again at once).
  std::vector<TaskRecord> reapExpiredLeases(const std::string& reason, int64_t now);
  /// At start: active tasks this sidecar left behind (lease owner `owner`; on SQLite every
  /// active task). Running ones become failed with `reason`, their lease released; queued
  /// ones keep their place and get their lease renewed to `owner`: they are answered.
  std::vector<TaskRecord> recoverTasks(const std::string& owner, const std::string& reason,
                                       int64_t ttlMs, int64_t now);

  // Cancel across the fleet: the owner polls the request (TaskService's lease upkeep).
  /// false when the task is not queued or running.
  bool requestCancel(int64_t taskId, const std::string& reason);
  void requestCancelForRule(int64_t ruleId, const std::string& reason);
  /// Active tasks owned by `owner` whose cancellation was asked: (task id, reason).
  std::vector<std::pair<int64_t, std::string>> cancelRequests(const std::string& owner);

 private:
  StateStore(std::unique_ptr<Poco::Data::Session> session, const SqlDialect& dialect,
             std::string display);
  Status migrate();
  Poco::Data::Session& session() REQUIRES(mutex_);
  std::optional<TaskRecord> taskLocked(int64_t id) REQUIRES(mutex_);

  Mutex mutex_;
  std::unique_ptr<Poco::Data::Session> session_ PT_GUARDED_BY(mutex_);
  const SqlDialect& dialect_;
  const std::string display_;
};

}  // namespace tributary::state
