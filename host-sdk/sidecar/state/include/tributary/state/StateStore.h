// StateStore: the service's rules and tasks in SQLite (Poco::Data), across restarts.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tributary/Status.h"
#include "tributary/state/Records.h"

namespace Poco::Data {
class Session;
}

namespace tributary::state {

/// Opens (creating and migrating) the database at a path: WAL journal, a `meta` table with
/// `schema_version`, a migration per version applied in one transaction each. A database from
/// a newer Tributary (higher version) is refused rather than guessed at.
/// Thread: every method from any thread; one connection, serialised by a mutex (SQLite
/// serialises writers anyway, and every statement here is short).
class StateStore {
 public:
  static constexpr int kSchemaVersion = 1;

  static Result<std::unique_ptr<StateStore>> open(const std::string& path);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  int schemaVersion();

  // Rules. Names are unique (kAlreadyExists naming the rule).
  Result<RuleRecord> insertRule(const std::string& name, const std::string& json, int64_t now);
  Status updateRule(int64_t id, const std::string& name, const std::string& json, int64_t now);
  Status deleteRule(int64_t id);
  std::optional<RuleRecord> rule(int64_t id);
  std::optional<RuleRecord> ruleByName(const std::string& name);
  std::vector<RuleRecord> rules();
  int64_t ruleCount();
  void setNextRun(int64_t ruleId, int64_t nextRunAt);
  void setRetryAt(int64_t ruleId, int64_t retryAt);

  // Tasks.
  TaskRecord insertTask(const RuleRecord& rule, const std::string& trigger, int64_t now);
  void saveTask(const TaskRecord& task);  // every column but id/rule/trigger/queuedAt
  std::optional<TaskRecord> task(int64_t id);
  /// Newest first; `ruleId` 0 and `status` "" = any; ids below `beforeId` (0 = no bound).
  std::vector<TaskRecord> tasks(int64_t ruleId, const std::string& status, int64_t beforeId,
                                int limit);
  /// Tasks in queued or running state, oldest first.
  std::vector<TaskRecord> activeTasks();
  /// Marks every `running` task failed with `reason` (a process that died mid-task); returns
  /// how many.
  int failRunningTasks(const std::string& reason, int64_t now);
  /// Deletes ended tasks older than `olderThan` and, per rule, all but the newest `keepPerRule`
  /// ended tasks. Returns how many were deleted.
  int pruneTasks(int64_t olderThan, int keepPerRule);

 private:
  explicit StateStore(std::unique_ptr<Poco::Data::Session> session);
  Status migrate();

  std::mutex mutex_;
  std::unique_ptr<Poco::Data::Session> session_;
};

}  // namespace tributary::state
