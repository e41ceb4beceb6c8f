#include "tributary/state/StateStore.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

namespace tributary::state {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Statement;

namespace {

// One migration per schema version, applied in order; never edit a released one.
const char* const kMigrations[] = {
    // 1: rules and tasks.
    "CREATE TABLE rules ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE,"
    "  json TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  next_run_at INTEGER NOT NULL DEFAULT 0,"
    "  retry_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE tasks ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  rule_id INTEGER NOT NULL,"
    "  rule_name TEXT NOT NULL,"
    "  trigger TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  error_code TEXT NOT NULL DEFAULT '',"
    "  queued_at INTEGER NOT NULL,"
    "  started_at INTEGER NOT NULL DEFAULT 0,"
    "  ended_at INTEGER NOT NULL DEFAULT 0,"
    "  bytes_done INTEGER NOT NULL DEFAULT 0,"
    "  bytes_total INTEGER NOT NULL DEFAULT 0,"
    "  blobs_done INTEGER NOT NULL DEFAULT 0,"
    "  blobs_total INTEGER NOT NULL DEFAULT 0,"
    "  tags_done INTEGER NOT NULL DEFAULT 0,"
    "  report TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX tasks_by_rule ON tasks(rule_id, id);"
    "CREATE INDEX tasks_by_status ON tasks(status, id);",
};

const char kRuleColumns[] = "id, name, json, created_at, updated_at, next_run_at, retry_at";
const char kTaskColumns[] =
    "id, rule_id, rule_name, trigger, status, reason, error_code, queued_at, started_at, "
    "ended_at, bytes_done, bytes_total, blobs_done, blobs_total, tags_done, report";

int64_t i64(RecordSet& rs, size_t col, size_t row) {
  return rs.isNull(col, row) ? 0 : rs.value(col, row).convert<Poco::Int64>();
}
std::string str(RecordSet& rs, size_t col, size_t row) {
  return rs.isNull(col, row) ? std::string() : rs.value(col, row).convert<std::string>();
}

std::vector<RuleRecord> readRules(RecordSet& rs) {
  std::vector<RuleRecord> out;
  for (size_t row = 0; row < rs.rowCount(); ++row) {
    RuleRecord r;
    r.id = i64(rs, 0, row);
    r.name = str(rs, 1, row);
    r.json = str(rs, 2, row);
    r.createdAt = i64(rs, 3, row);
    r.updatedAt = i64(rs, 4, row);
    r.nextRunAt = i64(rs, 5, row);
    r.retryAt = i64(rs, 6, row);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<TaskRecord> readTasks(RecordSet& rs) {
  std::vector<TaskRecord> out;
  for (size_t row = 0; row < rs.rowCount(); ++row) {
    TaskRecord t;
    t.id = i64(rs, 0, row);
    t.ruleId = i64(rs, 1, row);
    t.ruleName = str(rs, 2, row);
    t.trigger = str(rs, 3, row);
    t.status = str(rs, 4, row);
    t.reason = str(rs, 5, row);
    t.errorCode = str(rs, 6, row);
    t.queuedAt = i64(rs, 7, row);
    t.startedAt = i64(rs, 8, row);
    t.endedAt = i64(rs, 9, row);
    t.bytesDone = i64(rs, 10, row);
    t.bytesTotal = i64(rs, 11, row);
    t.blobsDone = i64(rs, 12, row);
    t.blobsTotal = i64(rs, 13, row);
    t.tagsDone = i64(rs, 14, row);
    t.reportJson = str(rs, 15, row);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& path) {
  try {
    Poco::Data::SQLite::Connector::registerConnector();
    auto session = std::make_unique<Poco::Data::Session>("SQLite", path);
    std::unique_ptr<StateStore> store(new StateStore(std::move(session)));
    TRIB_RETURN_IF_ERROR(store->migrate());
    return store;
  } catch (const Poco::Exception& e) {
    return ioError("opening the state database `" + path + "`: " + e.displayText());
  }
}

StateStore::StateStore(std::unique_ptr<Poco::Data::Session> session)
    : session_(std::move(session)) {}

StateStore::~StateStore() = default;

Status StateStore::migrate() {
  std::lock_guard<std::mutex> lock(mutex_);
  Poco::Data::Session& s = *session_;
  // WAL: readers (the API) never block the writer (a task ending) and a crash loses nothing
  // that was committed.
  s << "PRAGMA journal_mode=WAL", now;
  // WAL + NORMAL: a commit is not fsynced (the WAL is at checkpoints), so recording a task's
  // start costs no disk flush; a power loss may drop the last commits, never corrupt the file.
  s << "PRAGMA synchronous=NORMAL", now;
  s << "PRAGMA busy_timeout=5000", now;
  s << "PRAGMA foreign_keys=ON", now;
  s << "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", now;
  int version = 0;
  {
    Statement select(s);
    select << "SELECT value FROM meta WHERE key = 'schema_version'", now;
    RecordSet rs(select);
    if (rs.rowCount() > 0) version = static_cast<int>(i64(rs, 0, 0));
  }
  if (version > kSchemaVersion) {
    return failedPreconditionError("the state database has schema version " +
                                   std::to_string(version) + ", newer than this tributary's " +
                                   std::to_string(kSchemaVersion) +
                                   "; use a newer tributary or another replication.state");
  }
  for (int v = version + 1; v <= kSchemaVersion; ++v) {
    s.begin();
    try {
      std::string script = kMigrations[v - 1];
      size_t start = 0;
      while (start < script.size()) {  // Poco's SQLite runs one statement per execution
        size_t end = script.find(';', start);
        if (end == std::string::npos) end = script.size();
        std::string sql = script.substr(start, end - start);
        if (sql.find_first_not_of(" \n") != std::string::npos) s << sql, now;
        start = end + 1;
      }
      s << "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)",
          bind(std::to_string(v)), now;
      s.commit();
    } catch (...) {
      s.rollback();
      throw;
    }
  }
  return Status();
}

int StateStore::schemaVersion() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement select(*session_);
  select << "SELECT value FROM meta WHERE key = 'schema_version'", now;
  RecordSet rs(select);
  return rs.rowCount() > 0 ? static_cast<int>(i64(rs, 0, 0)) : 0;
}

Result<RuleRecord> StateStore::insertRule(const std::string& name, const std::string& json,
                                          int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  Poco::Data::Session& s = *session_;
  int count = 0;
  s << "SELECT COUNT(*) FROM rules WHERE name = ?", bind(name), into(count), now;
  if (count > 0) return alreadyExistsError("a rule named `" + name + "` already exists");
  s << "INSERT INTO rules(name, json, created_at, updated_at) VALUES(?, ?, ?, ?)", bind(name),
      bind(json), bind(static_cast<Poco::Int64>(nowMs)), bind(static_cast<Poco::Int64>(nowMs)),
      now;
  Poco::Int64 id = 0;
  s << "SELECT last_insert_rowid()", into(id), now;
  RuleRecord r;
  r.id = id;
  r.name = name;
  r.json = json;
  r.createdAt = r.updatedAt = nowMs;
  return r;
}

Status StateStore::updateRule(int64_t id, const std::string& name, const std::string& json,
                              int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  Poco::Data::Session& s = *session_;
  int count = 0;
  s << "SELECT COUNT(*) FROM rules WHERE name = ? AND id <> ?", bind(name),
      bind(static_cast<Poco::Int64>(id)), into(count), now;
  if (count > 0) return alreadyExistsError("a rule named `" + name + "` already exists");
  // A changed schedule is recomputed by the scheduler: next_run_at back to "not computed".
  Statement update(s);
  update << "UPDATE rules SET name = ?, json = ?, updated_at = ?, next_run_at = 0 WHERE id = ?",
      bind(name), bind(json), bind(static_cast<Poco::Int64>(nowMs)),
      bind(static_cast<Poco::Int64>(id));
  if (update.execute() == 0) return notFoundError("no rule with id " + std::to_string(id));
  return Status();
}

Status StateStore::deleteRule(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement del(*session_);
  del << "DELETE FROM rules WHERE id = ?", bind(static_cast<Poco::Int64>(id));
  if (del.execute() == 0) return notFoundError("no rule with id " + std::to_string(id));
  return Status();
}

std::optional<RuleRecord> StateStore::rule(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement select(*session_);
  select << "SELECT " << kRuleColumns << " FROM rules WHERE id = ?",
      bind(static_cast<Poco::Int64>(id)), now;
  RecordSet rs(select);
  auto rules = readRules(rs);
  if (rules.empty()) return std::nullopt;
  return rules.front();
}

std::optional<RuleRecord> StateStore::ruleByName(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement select(*session_);
  select << "SELECT " << kRuleColumns << " FROM rules WHERE name = ?", bind(name), now;
  RecordSet rs(select);
  auto rules = readRules(rs);
  if (rules.empty()) return std::nullopt;
  return rules.front();
}

std::vector<RuleRecord> StateStore::rules() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement select(*session_);
  select << "SELECT " << kRuleColumns << " FROM rules ORDER BY id", now;
  RecordSet rs(select);
  return readRules(rs);
}

int64_t StateStore::ruleCount() {
  std::lock_guard<std::mutex> lock(mutex_);
  Poco::Int64 count = 0;
  *session_ << "SELECT COUNT(*) FROM rules", into(count), now;
  return count;
}

void StateStore::setNextRun(int64_t ruleId, int64_t nextRunAt) {
  std::lock_guard<std::mutex> lock(mutex_);
  *session_ << "UPDATE rules SET next_run_at = ? WHERE id = ?",
      bind(static_cast<Poco::Int64>(nextRunAt)), bind(static_cast<Poco::Int64>(ruleId)), now;
}

void StateStore::setRetryAt(int64_t ruleId, int64_t retryAt) {
  std::lock_guard<std::mutex> lock(mutex_);
  *session_ << "UPDATE rules SET retry_at = ? WHERE id = ?",
      bind(static_cast<Poco::Int64>(retryAt)), bind(static_cast<Poco::Int64>(ruleId)), now;
}

TaskRecord StateStore::insertTask(const RuleRecord& rule, const std::string& trigger,
                                  int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  Poco::Data::Session& s = *session_;
  s << "INSERT INTO tasks(rule_id, rule_name, trigger, status, queued_at) VALUES(?, ?, ?, ?, ?)",
      bind(static_cast<Poco::Int64>(rule.id)), bind(rule.name), bind(trigger),
      bind(std::string(task_status::kQueued)), bind(static_cast<Poco::Int64>(nowMs)), now;
  Poco::Int64 id = 0;
  s << "SELECT last_insert_rowid()", into(id), now;
  TaskRecord t;
  t.id = id;
  t.ruleId = rule.id;
  t.ruleName = rule.name;
  t.trigger = trigger;
  t.status = task_status::kQueued;
  t.queuedAt = nowMs;
  return t;
}

void StateStore::saveTask(const TaskRecord& t) {
  std::lock_guard<std::mutex> lock(mutex_);
  using I = Poco::Int64;
  *session_ << "UPDATE tasks SET status = ?, reason = ?, error_code = ?, started_at = ?, "
               "ended_at = ?, bytes_done = ?, bytes_total = ?, blobs_done = ?, blobs_total = ?, "
               "tags_done = ?, report = ? WHERE id = ?",
      bind(t.status), bind(t.reason), bind(t.errorCode), bind(I(t.startedAt)), bind(I(t.endedAt)),
      bind(I(t.bytesDone)), bind(I(t.bytesTotal)), bind(I(t.blobsDone)), bind(I(t.blobsTotal)),
      bind(I(t.tagsDone)), bind(t.reportJson), bind(I(t.id)), now;
}

std::optional<TaskRecord> StateStore::task(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement select(*session_);
  select << "SELECT " << kTaskColumns << " FROM tasks WHERE id = ?",
      bind(static_cast<Poco::Int64>(id)), now;
  RecordSet rs(select);
  auto tasks = readTasks(rs);
  if (tasks.empty()) return std::nullopt;
  return tasks.front();
}

std::vector<TaskRecord> StateStore::tasks(int64_t ruleId, const std::string& status,
                                          int64_t beforeId, int limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement select(*session_);
  select << "SELECT " << kTaskColumns
         << " FROM tasks WHERE (? = 0 OR rule_id = ?) AND (? = '' OR status = ?)"
            " AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
      bind(static_cast<Poco::Int64>(ruleId)), bind(static_cast<Poco::Int64>(ruleId)),
      bind(status), bind(status), bind(static_cast<Poco::Int64>(beforeId)),
      bind(static_cast<Poco::Int64>(beforeId)), bind(limit), now;
  RecordSet rs(select);
  return readTasks(rs);
}

std::vector<TaskRecord> StateStore::activeTasks() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement select(*session_);
  select << "SELECT " << kTaskColumns
         << " FROM tasks WHERE status IN ('queued', 'running') ORDER BY id",
      now;
  RecordSet rs(select);
  return readTasks(rs);
}

int StateStore::failRunningTasks(const std::string& reason, int64_t nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement update(*session_);
  update << "UPDATE tasks SET status = 'failed', reason = ?, ended_at = ? "
            "WHERE status = 'running'",
      bind(reason), bind(static_cast<Poco::Int64>(nowMs));
  return static_cast<int>(update.execute());
}

int StateStore::pruneTasks(int64_t olderThan, int keepPerRule) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement byAge(*session_);
  byAge << "DELETE FROM tasks WHERE status NOT IN ('queued', 'running') AND ended_at < ?",
      bind(static_cast<Poco::Int64>(olderThan));
  int deleted = static_cast<int>(byAge.execute());
  Statement byCount(*session_);
  byCount << "DELETE FROM tasks WHERE status NOT IN ('queued', 'running') AND id IN ("
             " SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY rule_id ORDER BY id"
             " DESC) AS n FROM tasks WHERE status NOT IN ('queued', 'running')) WHERE n > ?)",
      bind(keepPerRule);
  deleted += static_cast<int>(byCount.execute());
  return deleted;
}

}  // namespace tributary::state
