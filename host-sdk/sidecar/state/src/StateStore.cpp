#include "tributary/state/StateStore.h"

#include <poll.h>

#include <libpq-fe.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/PostgreSQL/SessionImpl.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include "SqlDialect.h"
#include "tributary/scheduler/ReportSummary.h"

namespace tributary::state {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Statement;
using I = Poco::Int64;

namespace {

// Migrations after the first (whose column types differ per dialect, SqlDialect::migration1),
// common to both engines. Applied in order; never edit a released one.
const char* const kLaterMigrations[] = {
    // 2: run leases (one row per rule), the owning sidecar and a cancel request per task.
    "CREATE TABLE leases ("
    "  rule_id BIGINT PRIMARY KEY,"
    "  task_id BIGINT NOT NULL DEFAULT 0,"
    "  owner TEXT NOT NULL DEFAULT '',"
    "  expires_at BIGINT NOT NULL DEFAULT 0);"
    "ALTER TABLE tasks ADD COLUMN owner TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE tasks ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX leases_by_owner ON leases(owner);",
    // 3: a task's report summary, so a task list need not read the reports (backfilled from
    // the stored reports by backfillSummaries).
    "ALTER TABLE tasks ADD COLUMN summary TEXT NOT NULL DEFAULT '';",
};
static_assert(sizeof(kLaterMigrations) / sizeof(kLaterMigrations[0]) + 1 ==
                  StateStore::kSchemaVersion,
              "one migration per schema version");

const char kRuleColumns[] = "id, name, json, created_at, updated_at, next_run_at, retry_at";
// A list reads every column but `report` (kTaskListColumns): a page of 1000 tasks then holds
// 1000 summaries of a few hundred bytes, not 1000 reports of up to megabytes each.
#define TRIB_TASK_LIST_COLUMNS                                                                 \
  "id, rule_id, rule_name, trigger, status, reason, error_code, queued_at, started_at, "      \
  "ended_at, bytes_done, bytes_total, blobs_done, blobs_total, tags_done, owner, summary"
const char kTaskListColumns[] = TRIB_TASK_LIST_COLUMNS;
const char kTaskColumns[] = TRIB_TASK_LIST_COLUMNS ", report";
#undef TRIB_TASK_LIST_COLUMNS
constexpr size_t kReportColumn = 17;
const char kActive[] = "status IN ('queued', 'running')";

int64_t i64(RecordSet& rs, size_t col, size_t row) {
  return rs.isNull(col, row) ? 0 : rs.value(col, row).convert<Poco::Int64>();
}
std::string str(RecordSet& rs, size_t col, size_t row) {
  return rs.isNull(col, row) ? std::string() : rs.value(col, row).convert<std::string>();
}

// meta.value is TEXT, which Poco's PostgreSQL connector reads as a CLOB (no number conversion).
int versionValue(RecordSet& rs) {
  try {
    return std::stoi(str(rs, 0, 0));
  } catch (const std::exception&) {
    return 0;
  }
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
    t.owner = str(rs, 15, row);
    t.summaryJson = str(rs, 16, row);
    if (rs.columnCount() > kReportColumn) t.reportJson = str(rs, kReportColumn, row);
    out.push_back(std::move(t));
  }
  return out;
}

// Poco runs one statement per execution: a migration script is split at its semicolons.
void runScript(Poco::Data::Session& s, const std::string& script) {
  size_t start = 0;
  while (start < script.size()) {
    size_t end = script.find(';', start);
    if (end == std::string::npos) end = script.size();
    std::string sql = script.substr(start, end - start);
    if (sql.find_first_not_of(" \n") != std::string::npos) s << sql, now;
    start = end + 1;
  }
}

// Schema 3: the summary of every task that already has a report, a few reports at a time
// (a database may hold thousands of large ones).
void backfillSummaries(Poco::Data::Session& s, const SqlDialect& dialect) {
  constexpr I kBatch = 32;
  I after = 0;
  for (;;) {
    Statement select(s);
    select << dialect.sql("SELECT id, report FROM tasks WHERE id > ? AND report <> '' "
                          "ORDER BY id LIMIT ?"),
        bind(after), bind(kBatch), now;
    RecordSet rs(select);
    if (rs.rowCount() == 0) return;
    for (size_t row = 0; row < rs.rowCount(); ++row) {
      after = i64(rs, 0, row);
      const std::string summary =
          scheduler::ReportSummary::parse(str(rs, 1, row)).taskSummaryJson();
      s << dialect.sql("UPDATE tasks SET summary = ? WHERE id = ?"), bind(summary), bind(after),
          now;
    }
  }
}

// Rolls back unless committed: every multi-statement change is all or nothing.
class Transaction {
 public:
  explicit Transaction(Poco::Data::Session& s) : s_(s) { s_.begin(); }
  ~Transaction() {
    if (!done_) {
      try {
        s_.rollback();
      } catch (...) {
        // the connection broke: the server rolls back on its own
      }
    }
  }
  void commit() {
    s_.commit();
    done_ = true;
  }

 private:
  Poco::Data::Session& s_;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& path) {
  auto location = StateLocation::parse(path);
  if (!location.isOk()) return location.status();
  return open(*location);
}

Result<std::unique_ptr<StateStore>> StateStore::open(const StateLocation& location,
                                                     const std::string& passfile) {
  const bool postgres = location.kind() == StateLocation::Kind::kPostgres;
  try {
    std::unique_ptr<Poco::Data::Session> session;
    if (postgres) {
      Poco::Data::PostgreSQL::Connector::registerConnector();
      session = std::make_unique<Poco::Data::Session>(
          "PostgreSQL", location.postgresConnectionString(passfile));
    } else {
      Poco::Data::SQLite::Connector::registerConnector();
      session = std::make_unique<Poco::Data::Session>("SQLite", location.sqlitePath());
    }
    std::unique_ptr<StateStore> store(
        new StateStore(std::move(session),
                       postgres ? SqlDialect::postgresql() : SqlDialect::sqlite(),
                       location.display()));
    TRIB_RETURN_IF_ERROR(store->migrate());
    return store;
  } catch (const Poco::Exception& e) {
    return ioError("opening the state database `" + location.display() +
                   "`: " + e.displayText());
  }
}

StateStore::StateStore(std::unique_ptr<Poco::Data::Session> session, const SqlDialect& dialect,
                       std::string display)
    : session_(std::move(session)), dialect_(dialect), display_(std::move(display)) {}

StateStore::~StateStore() = default;

bool StateStore::sharedByFleet() const { return dialect_.postgres; }

namespace {

// Between statements nothing is owed on a PostgreSQL connection, so a readable socket means
// the server spoke first: the FATAL it sends before closing at a shutdown or restart, or the
// close itself. Reading it marks a closed connection bad at once, so it is reopened before
// the next statement instead of failing that statement (an API request answered 500, a
// task's end not recorded). A connection that died silently is still found by the statement
// that uses it.
void noticeServerClose(PGconn* conn) {
  // A read returns the FATAL message first and the close at the next one (a few at most).
  for (int reads = 0; reads < 8 && conn != nullptr && PQstatus(conn) == CONNECTION_OK; ++reads) {
    pollfd p{PQsocket(conn), POLLIN, 0};
    if (p.fd < 0 || ::poll(&p, 1, 0) <= 0) return;
    if (PQconsumeInput(conn) == 0) return;  // the close: the connection is bad now
  }
}

}  // namespace

Poco::Data::Session& StateStore::session() {
  // A PostgreSQL server restart or a dropped connection leaves the session bad; the statement
  // that found it threw, the next call reconnects. Not through Session::reconnect(): Poco's
  // PostgreSQL handle finishes only a connection that is still good, so reconnecting a broken
  // one leaked its libpq connection (memory and socket) at every outage. PQreset (the
  // handle's reset()) reconnects the same libpq connection instead; a transaction the break
  // interrupted is over on the server, and the handle is told so.
  auto* pg = dialect_.postgres
                 ? dynamic_cast<Poco::Data::PostgreSQL::SessionImpl*>(session_->impl())
                 : nullptr;
  if (pg != nullptr) noticeServerClose(pg->handle());
  if (dialect_.postgres && !session_->isConnected()) {
    if (pg == nullptr) {
      session_->reconnect();
    } else if (pg->handle().reset() && pg->handle().isTransaction()) {
      try {
        pg->handle().rollback();
      } catch (const Poco::Exception&) {
        // the next statement reports the connection's state
      }
    }
  }
  return *session_;
}

Status StateStore::migrate() {
  MutexLock lock(mutex_);
  Poco::Data::Session& s = session();
  if (!dialect_.postgres) {
    // WAL: readers (the API) never block the writer (a task ending) and a crash loses nothing
    // that was committed.
    s << "PRAGMA journal_mode=WAL", now;
    // WAL + NORMAL: a commit is not fsynced (the WAL is at checkpoints), so recording a task's
    // start costs no disk flush; a power loss may drop the last commits, never corrupt the file.
    s << "PRAGMA synchronous=NORMAL", now;
    s << "PRAGMA busy_timeout=5000", now;
    s << "PRAGMA foreign_keys=ON", now;
  }
  if (dialect_.postgres) {
    // libpq prints NOTICEs to stderr ("relation meta already exists, skipping"): not news.
    s << "SET client_min_messages TO WARNING", now;
  }
  Transaction tx(s);
  if (dialect_.postgres) {
    // Sidecars starting at once queue here; each reads the version only once it holds the
    // lock, so the first migrates and the others find the schema current. The lock ends
    // with the transaction (no session lock left behind by a sidecar that dies).
    Poco::Int64 locked = 0;
    s << "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock($1)) AS l",
        bind(static_cast<I>(kMigrationLock)), into(locked), now;
  }
  s << "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", now;
  int version = 0;
  {
    Statement select(s);
    select << "SELECT value FROM meta WHERE key = 'schema_version'", now;
    RecordSet rs(select);
    if (rs.rowCount() > 0) version = versionValue(rs);
  }
  if (version > kSchemaVersion) {
    return failedPreconditionError("the state database has schema version " +
                                   std::to_string(version) + ", newer than this tributary's " +
                                   std::to_string(kSchemaVersion) +
                                   "; use a newer tributary or another replication.state");
  }
  if (version == kSchemaVersion) return Status();  // the transaction rolls back: nothing to do
  for (int v = version + 1; v <= kSchemaVersion; ++v) {
    runScript(s, v == 1 ? dialect_.migration1 : kLaterMigrations[v - 2]);
    if (v == 3) backfillSummaries(s, dialect_);
  }
  s << dialect_.sql("INSERT INTO meta(key, value) VALUES('schema_version', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      bind(std::to_string(kSchemaVersion)), now;
  tx.commit();
  return Status();
}

int StateStore::schemaVersion() {
  MutexLock lock(mutex_);
  Statement select(session());
  select << "SELECT value FROM meta WHERE key = 'schema_version'", now;
  RecordSet rs(select);
  return rs.rowCount() > 0 ? versionValue(rs) : 0;
}

Result<RuleRecord> StateStore::insertRule(const std::string& name, const std::string& json,
                                          int64_t nowMs) {
  MutexLock lock(mutex_);
  Poco::Data::Session& s = session();
  I count = 0;
  s << dialect_.sql("SELECT COUNT(*) FROM rules WHERE name = ?"), bind(name), into(count), now;
  if (count > 0) return alreadyExistsError("a rule named `" + name + "` already exists");
  I id = 0;
  // A sidecar creating the same name at once: the UNIQUE constraint refuses the second.
  try {
    s << dialect_.sql("INSERT INTO rules(name, json, created_at, updated_at) VALUES(?, ?, ?, ?) "
                      "RETURNING id"),
        bind(name), bind(json), bind(I(nowMs)), bind(I(nowMs)), into(id), now;
  } catch (const Poco::Data::DataException& e) {
    Statement again(s);
    again << dialect_.sql("SELECT COUNT(*) FROM rules WHERE name = ?"), bind(name), into(count),
        now;
    if (count > 0) return alreadyExistsError("a rule named `" + name + "` already exists");
    throw;
  }
  RuleRecord r;
  r.id = id;
  r.name = name;
  r.json = json;
  r.createdAt = r.updatedAt = nowMs;
  return r;
}

Status StateStore::updateRule(int64_t id, const std::string& name, const std::string& json,
                              int64_t nowMs) {
  MutexLock lock(mutex_);
  Poco::Data::Session& s = session();
  I count = 0;
  s << dialect_.sql("SELECT COUNT(*) FROM rules WHERE name = ? AND id <> ?"), bind(name),
      bind(I(id)), into(count), now;
  if (count > 0) return alreadyExistsError("a rule named `" + name + "` already exists");
  // A changed schedule is recomputed by the scheduler: next_run_at back to "not computed".
  Statement update(s);
  update << dialect_.sql(
                "UPDATE rules SET name = ?, json = ?, updated_at = ?, next_run_at = 0 WHERE id = ?"),
      bind(name), bind(json), bind(I(nowMs)), bind(I(id));
  if (update.execute() == 0) return notFoundError("no rule with id " + std::to_string(id));
  return Status();
}

Status StateStore::deleteRule(int64_t id) {
  MutexLock lock(mutex_);
  Poco::Data::Session& s = session();
  Transaction tx(s);
  Statement del(s);
  del << dialect_.sql("DELETE FROM rules WHERE id = ?"), bind(I(id));
  if (del.execute() == 0) return notFoundError("no rule with id " + std::to_string(id));
  s << dialect_.sql("DELETE FROM leases WHERE rule_id = ?"), bind(I(id)), now;
  tx.commit();
  return Status();
}

std::optional<RuleRecord> StateStore::rule(int64_t id) {
  MutexLock lock(mutex_);
  Statement select(session());
  select << "SELECT " << kRuleColumns << dialect_.sql(" FROM rules WHERE id = ?"), bind(I(id)),
      now;
  RecordSet rs(select);
  auto rules = readRules(rs);
  if (rules.empty()) return std::nullopt;
  return rules.front();
}

std::optional<RuleRecord> StateStore::ruleByName(const std::string& name) {
  MutexLock lock(mutex_);
  Statement select(session());
  select << "SELECT " << kRuleColumns << dialect_.sql(" FROM rules WHERE name = ?"), bind(name),
      now;
  RecordSet rs(select);
  auto rules = readRules(rs);
  if (rules.empty()) return std::nullopt;
  return rules.front();
}

std::vector<RuleRecord> StateStore::rules() {
  MutexLock lock(mutex_);
  Statement select(session());
  select << "SELECT " << kRuleColumns << " FROM rules ORDER BY id", now;
  RecordSet rs(select);
  return readRules(rs);
}

int64_t StateStore::ruleCount() {
  MutexLock lock(mutex_);
  I count = 0;
  session() << "SELECT COUNT(*) FROM rules", into(count), now;
  return count;
}

void StateStore::setNextRun(int64_t ruleId, int64_t nextRunAt) {
  MutexLock lock(mutex_);
  session() << dialect_.sql("UPDATE rules SET next_run_at = ? WHERE id = ?"), bind(I(nextRunAt)),
      bind(I(ruleId)), now;
}

void StateStore::setRetryAt(int64_t ruleId, int64_t retryAt) {
  MutexLock lock(mutex_);
  session() << dialect_.sql("UPDATE rules SET retry_at = ? WHERE id = ?"), bind(I(retryAt)),
      bind(I(ruleId)), now;
}

bool StateStore::claimNextRun(int64_t ruleId, int64_t expected, int64_t next) {
  MutexLock lock(mutex_);
  Statement update(session());
  update << dialect_.sql("UPDATE rules SET next_run_at = ? WHERE id = ? AND next_run_at = ?"),
      bind(I(next)), bind(I(ruleId)), bind(I(expected));
  return update.execute() == 1;
}

bool StateStore::claimRetry(int64_t ruleId, int64_t expected) {
  MutexLock lock(mutex_);
  Statement update(session());
  update << dialect_.sql("UPDATE rules SET retry_at = 0 WHERE id = ? AND retry_at = ?"),
      bind(I(ruleId)), bind(I(expected));
  return update.execute() == 1;
}

TaskRecord StateStore::insertTask(const RuleRecord& rule, const std::string& trigger,
                                  int64_t nowMs) {
  MutexLock lock(mutex_);
  I id = 0;
  session() << dialect_.sql("INSERT INTO tasks(rule_id, rule_name, trigger, status, queued_at) "
                            "VALUES(?, ?, ?, ?, ?) RETURNING id"),
      bind(I(rule.id)), bind(rule.name), bind(trigger), bind(std::string(task_status::kQueued)),
      bind(I(nowMs)), into(id), now;
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
  MutexLock lock(mutex_);
  session() << dialect_.sql(
                   std::string("UPDATE tasks SET status = ?, reason = ?, error_code = ?, "
                               "started_at = ?, ended_at = ?, bytes_done = ?, bytes_total = ?, "
                               "blobs_done = ?, blobs_total = ?, tags_done = ?, report = ?, "
                               "summary = ? WHERE id = ? AND ") + kActive),
      bind(t.status), bind(t.reason), bind(t.errorCode), bind(I(t.startedAt)), bind(I(t.endedAt)),
      bind(I(t.bytesDone)), bind(I(t.bytesTotal)), bind(I(t.blobsDone)), bind(I(t.blobsTotal)),
      bind(I(t.tagsDone)), bind(t.reportJson), bind(t.summaryJson), bind(I(t.id)), now;
}

std::optional<TaskRecord> StateStore::taskLocked(int64_t id) {
  Statement select(session());
  select << "SELECT " << kTaskColumns << dialect_.sql(" FROM tasks WHERE id = ?"), bind(I(id)),
      now;
  RecordSet rs(select);
  auto tasks = readTasks(rs);
  if (tasks.empty()) return std::nullopt;
  return tasks.front();
}

std::optional<TaskRecord> StateStore::task(int64_t id) {
  MutexLock lock(mutex_);
  return taskLocked(id);
}

std::vector<TaskRecord> StateStore::tasks(int64_t ruleId, const std::string& status,
                                          int64_t beforeId, int limit) {
  MutexLock lock(mutex_);
  Statement select(session());
  select << "SELECT " << kTaskListColumns
         << dialect_.sql(" FROM tasks WHERE (? = 0 OR rule_id = ?) AND (? = '' OR status = ?)"
                         " AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?"),
      bind(I(ruleId)), bind(I(ruleId)), bind(status), bind(status), bind(I(beforeId)),
      bind(I(beforeId)), bind(I(limit)), now;
  RecordSet rs(select);
  return readTasks(rs);
}

std::vector<TaskRecord> StateStore::activeTasks() {
  MutexLock lock(mutex_);
  Statement select(session());
  select << "SELECT " << kTaskListColumns << " FROM tasks WHERE " << kActive << " ORDER BY id",
      now;
  RecordSet rs(select);
  return readTasks(rs);
}

int StateStore::failRunningTasks(const std::string& reason, int64_t nowMs) {
  MutexLock lock(mutex_);
  Statement update(session());
  update << dialect_.sql("UPDATE tasks SET status = 'failed', reason = ?, ended_at = ? "
                         "WHERE status = 'running'"),
      bind(reason), bind(I(nowMs));
  return static_cast<int>(update.execute());
}

int StateStore::pruneTasks(int64_t olderThan, int keepPerRule) {
  MutexLock lock(mutex_);
  Poco::Data::Session& s = session();
  Statement byAge(s);
  byAge << dialect_.sql(std::string("DELETE FROM tasks WHERE NOT ") + kActive +
                        " AND ended_at < ?"),
      bind(I(olderThan));
  int deleted = static_cast<int>(byAge.execute());
  Statement byCount(s);
  byCount << dialect_.sql(std::string("DELETE FROM tasks WHERE NOT ") + kActive +
                          " AND id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION "
                          "BY rule_id ORDER BY id DESC) AS n FROM tasks WHERE NOT " + kActive +
                          ") AS ranked WHERE n > ?)"),
      bind(I(keepPerRule));
  deleted += static_cast<int>(byCount.execute());
  return deleted;
}

RuleRunClaim StateStore::claimRuleRun(const RuleRecord& rule, const std::string& trigger,
                                      const std::string& owner, int64_t ttlMs, int64_t nowMs) {
  MutexLock lock(mutex_);
  Poco::Data::Session& s = session();
  Transaction tx(s);
  // The row exists from the first claim on; its lock (PostgreSQL: FOR UPDATE, which a second
  // sidecar's claim waits on until this transaction ends) makes check-then-take atomic.
  s << dialect_.sql("INSERT INTO leases(rule_id) VALUES(?) ON CONFLICT(rule_id) DO NOTHING"),
      bind(I(rule.id)), now;
  Statement select(s);
  select << dialect_.sql(std::string("SELECT task_id, owner, expires_at, ") + dialect_.nowMs +
                         " FROM leases WHERE rule_id = ?" + dialect_.forUpdate),
      bind(I(rule.id)), now;
  RecordSet lease(select);
  RuleRunClaim claim;
  if (lease.rowCount() > 0 && i64(lease, 0, 0) != 0) {
    const int64_t holderId = i64(lease, 0, 0);
    const std::string holderOwner = str(lease, 1, 0);
    const bool expired = i64(lease, 2, 0) < i64(lease, 3, 0);
    auto holder = taskLocked(holderId);
    if (holder && task_status::isActive(holder->status)) {
      if (!expired) {
        claim.task = *holder;
        tx.commit();
        return claim;
      }
      s << dialect_.sql(std::string("UPDATE tasks SET status = 'failed', reason = ?, "
                                    "ended_at = ? WHERE id = ? AND ") + kActive),
          bind("interrupted: sidecar `" + holderOwner + "` stopped renewing its lease"),
          bind(I(nowMs)), bind(I(holderId)), now;
      claim.replacedTaskId = holderId;
    }
  }
  I id = 0;
  s << dialect_.sql("INSERT INTO tasks(rule_id, rule_name, trigger, status, queued_at, owner) "
                    "VALUES(?, ?, ?, 'queued', ?, ?) RETURNING id"),
      bind(I(rule.id)), bind(rule.name), bind(trigger), bind(I(nowMs)), bind(owner), into(id),
      now;
  s << dialect_.sql(std::string("UPDATE leases SET task_id = ?, owner = ?, expires_at = ") +
                    dialect_.nowMs + " + ? WHERE rule_id = ?"),
      bind(id), bind(owner), bind(I(ttlMs)), bind(I(rule.id)), now;
  tx.commit();
  claim.acquired = true;
  claim.task.id = id;
  claim.task.ruleId = rule.id;
  claim.task.ruleName = rule.name;
  claim.task.trigger = trigger;
  claim.task.status = task_status::kQueued;
  claim.task.queuedAt = nowMs;
  claim.task.owner = owner;
  return claim;
}

std::vector<HeldLease> StateStore::renewLeases(const std::string& owner, int64_t ttlMs) {
  MutexLock lock(mutex_);
  Poco::Data::Session& s = session();
  // One statement for every lease of this sidecar; a lease someone reaped after its expiry no
  // longer names this owner and is not extended.
  s << dialect_.sql(std::string("UPDATE leases SET expires_at = ") + dialect_.nowMs +
                    " + ? WHERE owner = ? AND task_id <> 0"),
      bind(I(ttlMs)), bind(owner), now;
  Statement select(s);
  select << dialect_.sql("SELECT rule_id, task_id FROM leases WHERE owner = ? AND task_id <> 0"),
      bind(owner), now;
  RecordSet rs(select);
  std::vector<HeldLease> held;
  for (size_t row = 0; row < rs.rowCount(); ++row) held.push_back({i64(rs, 0, row), i64(rs, 1, row)});
  return held;
}

void StateStore::releaseLease(int64_t ruleId, int64_t taskId) {
  MutexLock lock(mutex_);
  session() << dialect_.sql("UPDATE leases SET task_id = 0, owner = '', expires_at = 0 "
                            "WHERE rule_id = ? AND task_id = ?"),
      bind(I(ruleId)), bind(I(taskId)), now;
}

std::vector<TaskRecord> StateStore::reapExpiredLeases(const std::string& reason, int64_t nowMs) {
  MutexLock lock(mutex_);
  Poco::Data::Session& s = session();
  Statement select(s);
  select << std::string("SELECT rule_id, task_id, owner FROM leases WHERE task_id <> 0 AND "
                        "expires_at < ") + dialect_.nowMs,
      now;
  RecordSet rs(select);
  std::vector<TaskRecord> reaped;
  for (size_t row = 0; row < rs.rowCount(); ++row) {
    const int64_t ruleId = i64(rs, 0, row), taskId = i64(rs, 1, row);
    const std::string owner = str(rs, 2, row);
    Transaction tx(s);
    // Conditional on the same holder and still expired: of the sidecars reaping at once, one
    // clears it; a holder that renewed in between keeps it.
    Statement clear(s);
    clear << dialect_.sql(std::string("UPDATE leases SET task_id = 0, owner = '', expires_at = 0"
                                      " WHERE rule_id = ? AND task_id = ? AND expires_at < ") +
                          dialect_.nowMs),
        bind(I(ruleId)), bind(I(taskId));
    if (clear.execute() != 1) continue;
    Statement fail(s);
    fail << dialect_.sql(std::string("UPDATE tasks SET status = 'failed', reason = ?, "
                                     "ended_at = ? WHERE id = ? AND ") + kActive),
        bind(reason + ": sidecar `" + owner + "` stopped renewing its lease"), bind(I(nowMs)),
        bind(I(taskId));
    const bool failed = fail.execute() == 1;
    tx.commit();
    if (failed) {
      if (auto t = taskLocked(taskId)) reaped.push_back(*t);
    }
  }
  return reaped;
}

std::vector<TaskRecord> StateStore::recoverTasks(const std::string& owner,
                                                 const std::string& reason, int64_t ttlMs,
                                                 int64_t nowMs) {
  MutexLock lock(mutex_);
  Poco::Data::Session& s = session();
  Statement select(s);
  select << "SELECT " << kTaskListColumns << " FROM tasks WHERE " << kActive << " ORDER BY id",
      now;
  RecordSet rs(select);
  std::vector<TaskRecord> queued;
  for (TaskRecord& t : readTasks(rs)) {
    Transaction tx(s);
    Statement leaseSelect(s);
    leaseSelect << dialect_.sql(std::string("SELECT task_id, owner FROM leases WHERE rule_id = ?") +
                                dialect_.forUpdate),
        bind(I(t.ruleId)), now;
    RecordSet lease(leaseSelect);
    const bool holds = lease.rowCount() > 0 && i64(lease, 0, 0) == t.id;
    const std::string leaseOwner = holds ? str(lease, 1, 0) : std::string();
    // A task holding another live sidecar's lease is that sidecar's business.
    if (dialect_.postgres && holds && leaseOwner != owner) continue;
    if (t.status == task_status::kRunning) {
      s << dialect_.sql(std::string("UPDATE tasks SET status = 'failed', reason = ?, "
                                    "ended_at = ? WHERE id = ? AND ") + kActive),
          bind(reason), bind(I(nowMs)), bind(I(t.id)), now;
      s << dialect_.sql("UPDATE leases SET task_id = 0, owner = '', expires_at = 0 "
                        "WHERE rule_id = ? AND task_id = ?"),
          bind(I(t.ruleId)), bind(I(t.id)), now;
    } else {
      s << dialect_.sql(std::string("INSERT INTO leases(rule_id, task_id, owner, expires_at) "
                                    "VALUES(?, ?, ?, ") + dialect_.nowMs + " + ?) "
                        "ON CONFLICT(rule_id) DO UPDATE SET task_id = excluded.task_id, "
                        "owner = excluded.owner, expires_at = excluded.expires_at"),
          bind(I(t.ruleId)), bind(I(t.id)), bind(owner), bind(I(ttlMs)), now;
      s << dialect_.sql("UPDATE tasks SET owner = ? WHERE id = ?"), bind(owner), bind(I(t.id)),
          now;
      t.owner = owner;
      queued.push_back(t);
    }
    tx.commit();
  }
  return queued;
}

bool StateStore::requestCancel(int64_t taskId, const std::string& reason) {
  MutexLock lock(mutex_);
  Statement update(session());
  update << dialect_.sql(std::string("UPDATE tasks SET cancel_reason = ? WHERE id = ? AND ") +
                         kActive),
      bind(reason), bind(I(taskId));
  return update.execute() == 1;
}

void StateStore::requestCancelForRule(int64_t ruleId, const std::string& reason) {
  MutexLock lock(mutex_);
  session() << dialect_.sql(std::string("UPDATE tasks SET cancel_reason = ? WHERE rule_id = ? "
                                        "AND ") + kActive),
      bind(reason), bind(I(ruleId)), now;
}

std::vector<std::pair<int64_t, std::string>> StateStore::cancelRequests(const std::string& owner) {
  MutexLock lock(mutex_);
  Statement select(session());
  select << dialect_.sql(std::string("SELECT id, cancel_reason FROM tasks WHERE owner = ? AND "
                                     "cancel_reason <> '' AND ") + kActive),
      bind(owner), now;
  RecordSet rs(select);
  std::vector<std::pair<int64_t, std::string>> out;
  for (size_t row = 0; row < rs.rowCount(); ++row) out.emplace_back(i64(rs, 0, row), str(rs, 1, row));
  return out;
}

}  // namespace tributary::state
