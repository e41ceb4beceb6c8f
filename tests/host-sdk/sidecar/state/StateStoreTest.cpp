// StateStore: schema creation and version, rules (unique names), tasks, recovery, retention.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <boost/test/unit_test.hpp>

#include <set>

#include "TempDirectory.h"
#include "tributary/scheduler/ReportSummary.h"
#include "tributary/state/StateStore.h"

using namespace tributary;
using namespace tributary::state;

BOOST_AUTO_TEST_SUITE(StateStoreTests)

BOOST_AUTO_TEST_CASE(creates_migrates_and_reopens_with_rules_and_tasks_kept) {
  TempDirectory dir;
  const std::string path = dir.path() + "/state.db";
  int64_t taskId = 0;
  {
    auto store = StateStore::open(path);
    BOOST_REQUIRE_MESSAGE(store.isOk(), store.status().message());
    BOOST_TEST((*store)->schemaVersion() == StateStore::kSchemaVersion);
    auto rule = (*store)->insertRule("a", "{\"name\":\"a\"}", 1000);
    BOOST_REQUIRE(rule.isOk());
    auto dup = (*store)->insertRule("a", "{}", 1000);
    BOOST_TEST(static_cast<int>(dup.status().code()) == static_cast<int>(StatusCode::kAlreadyExists));
    BOOST_TEST(dup.status().message().find("`a`") != std::string::npos);
    TaskRecord t = (*store)->insertTask(*rule, "manual", 2000);
    t.status = task_status::kRunning;
    t.startedAt = 2100;
    t.bytesDone = 42;
    (*store)->saveTask(t);
    taskId = t.id;
  }
  auto store = StateStore::open(path);
  BOOST_REQUIRE(store.isOk());
  BOOST_TEST((*store)->rules().size() == 1u);
  BOOST_TEST((*store)->failRunningTasks("interrupted", 3000) == 1);
  auto t = (*store)->task(taskId);
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST(t->status == "failed");
  BOOST_TEST(t->reason == "interrupted");
  BOOST_TEST(t->bytesDone == 42);
  BOOST_TEST(t->endedAt == 3000);
}

BOOST_AUTO_TEST_CASE(update_refuses_a_taken_name_and_delete_reports_missing) {
  TempDirectory dir;
  auto store = std::move(StateStore::open(dir.path() + "/s.db")).value();
  auto a = *store->insertRule("a", "{}", 1);
  auto b = *store->insertRule("b", "{}", 1);
  BOOST_TEST(static_cast<int>(store->updateRule(b.id, "a", "{}", 2).code()) ==
             static_cast<int>(StatusCode::kAlreadyExists));
  BOOST_TEST(store->updateRule(b.id, "c", "{\"x\":1}", 2).isOk());
  BOOST_TEST(store->ruleByName("c")->json == "{\"x\":1}");
  BOOST_TEST(store->deleteRule(a.id).isOk());
  BOOST_TEST(static_cast<int>(store->deleteRule(a.id).code()) ==
             static_cast<int>(StatusCode::kNotFound));
  BOOST_TEST(store->ruleCount() == 1);
}

BOOST_AUTO_TEST_CASE(tasks_filter_page_and_prune_by_age_and_count) {
  TempDirectory dir;
  auto store = std::move(StateStore::open(dir.path() + "/s.db")).value();
  auto a = *store->insertRule("a", "{}", 1);
  auto b = *store->insertRule("b", "{}", 1);
  for (int i = 0; i < 5; ++i) {
    TaskRecord t = store->insertTask(a, "scheduled", 100 + i);
    t.status = task_status::kSucceeded;
    t.endedAt = 100 + i;
    store->saveTask(t);
  }
  TaskRecord fb = store->insertTask(b, "manual", 200);
  fb.status = task_status::kFailed;
  fb.endedAt = 200;
  store->saveTask(fb);
  store->insertTask(b, "manual", 300);  // queued: never pruned
  BOOST_TEST(store->tasks(a.id, "", 0, 100).size() == 5u);
  BOOST_TEST(store->tasks(0, "failed", 0, 100).size() == 1u);
  auto page = store->tasks(0, "", 0, 2);
  BOOST_TEST(page.size() == 2u);
  BOOST_TEST((page[0].id > page[1].id));
  BOOST_TEST(store->tasks(0, "", page[1].id, 100).size() == 5u);
  BOOST_TEST(store->activeTasks().size() == 1u);
  // age: ended before 102 -> two of a's go; count: keep 2 per rule -> one more of a's.
  BOOST_TEST(store->pruneTasks(102, 2) == 3);
  BOOST_TEST(store->tasks(a.id, "", 0, 100).size() == 2u);
  BOOST_TEST(store->tasks(b.id, "", 0, 100).size() == 2u);
}

namespace {

// A provider report as `execute` writes it (docs/report.md), with `rows` tag rows; a task list
// must not carry these.
std::string reportWithTags(int rows, const std::string& status = "partial") {
  std::string tags;
  for (int i = 0; i < rows; ++i) {
    const std::string action = i == 0 ? "failed" : i % 2 ? "synced" : "unchanged";
    tags += std::string(i ? "," : "") + "{\"tag\":\"v" + std::to_string(i) +
            "\",\"action\":\"" + action + "\",\"reason_code\":\"\",\"reason\":\"\","
            "\"source_digest\":\"sha256:" + std::string(64, 'a') + "\",\"bytes\":1024}";
  }
  const int synced = rows / 2, unchanged = rows - 1 - rows / 2;
  return "{\"schema_version\":1,\"rule\":\"a\",\"dry_run\":false,\"status\":\"" + status +
         "\",\"counts\":{\"synced\":" + std::to_string(synced) +
         ",\"unchanged\":" + std::to_string(unchanged) +
         ",\"kept\":0,\"skipped\":0,\"deferred\":0,\"failed\":1,\"beyond_latest_n\":0,"
         "\"excluded_by_regex\":0},\"totals\":{\"bytes\":" + std::to_string(1024 * synced) +
         ",\"blobs\":" + std::to_string(synced) + ",\"blobs_reused\":3,\"duration_ms\":5},"
         "\"notes\":[],\"tags\":[" + tags + "]}";
}

std::string expectedSummary(int rows) {
  const int synced = rows / 2, unchanged = rows - 1 - rows / 2;
  return "{\"counts\":{\"beyond_latest_n\":0,\"deferred\":0,\"excluded_by_regex\":0,"
         "\"failed\":1,\"kept\":0,\"skipped\":0,\"synced\":" + std::to_string(synced) +
         ",\"unchanged\":" + std::to_string(unchanged) + "},\"bytes_fetched\":" +
         std::to_string(1024 * synced) + ",\"blobs_fetched\":" + std::to_string(synced) +
         ",\"blobs_reused\":3}";
}

TaskRecord endedWithReport(StateStore& store, const RuleRecord& rule, int64_t at, int rows) {
  TaskRecord t = store.insertTask(rule, "scheduled", at);
  t.status = task_status::kPartial;
  t.startedAt = at;
  t.endedAt = at + 1;
  t.reportJson = reportWithTags(rows);
  t.summaryJson = scheduler::ReportSummary::parse(t.reportJson).taskSummaryJson();
  store.saveTask(t);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_task_list_carries_summaries_and_only_one_task_its_report) {
  TempDirectory dir;
  auto store = std::move(StateStore::open(dir.path() + "/s.db")).value();
  auto a = *store->insertRule("a", "{}", 1);
  auto b = *store->insertRule("b", "{}", 1);
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(endedWithReport(*store, i % 3 ? a : b, 100 + i, 40 + i).id);
  store->insertTask(a, "manual", 200);  // queued: no report, no summary
  const auto all = store->tasks(0, "", 0, 1000);
  BOOST_TEST(all.size() == 8u);
  BOOST_TEST(all.front().status == task_status::kQueued);
  BOOST_TEST(all.front().summaryJson.empty());
  for (size_t i = 1; i < all.size(); ++i) {
    BOOST_TEST(all[i].reportJson.empty(), "task " << all[i].id << " listed with its report");
    BOOST_TEST(all[i].summaryJson == expectedSummary(40 + static_cast<int>(all.size() - 1 - i)));
    BOOST_TEST(all[i].tagsDone == 0);
    BOOST_TEST(all[i].status == task_status::kPartial);
  }
  for (const auto& t : store->activeTasks()) BOOST_TEST(t.reportJson.empty());

  // One task: its whole report, and the same summary.
  auto one = store->task(ids[2]);
  BOOST_REQUIRE(one.has_value());
  BOOST_TEST(one->reportJson == reportWithTags(42));
  BOOST_TEST(one->summaryJson == expectedSummary(42));

  // Cursor paging over ended tasks of one rule and of all: every task once, newest first.
  for (int64_t rule : {int64_t(0), a.id}) {
    std::vector<int64_t> seen;
    int64_t cursor = 0;
    for (;;) {
      auto page = store->tasks(rule, task_status::kPartial, cursor, 3);
      for (const auto& t : page) {
        BOOST_TEST(t.reportJson.empty());
        BOOST_TEST(!t.summaryJson.empty());
        seen.push_back(t.id);
      }
      if (page.size() < 3) break;
      cursor = page.back().id;
    }
    std::vector<int64_t> want;
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
      if (rule == 0 || store->task(*it)->ruleId == rule) want.push_back(*it);
    }
    BOOST_TEST(seen == want, "rule " << rule);
  }
}

// The exact schema (version 2) an earlier tributary created, and tasks it recorded: the
// upgrade to 3 summarises every stored report, so the old rows list with summaries.
BOOST_AUTO_TEST_CASE(a_schema_2_database_lists_summaries_of_its_stored_reports_after_upgrade) {
  TempDirectory dir;
  const std::string path = dir.path() + "/v2.db";
  {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session s("SQLite", path);
    using namespace Poco::Data::Keywords;
    for (const char* sql : {
             "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
             "CREATE TABLE rules (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL "
             "UNIQUE, json TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT "
             "NULL, next_run_at INTEGER NOT NULL DEFAULT 0, retry_at INTEGER NOT NULL DEFAULT 0)",
             "CREATE TABLE tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, rule_id INTEGER NOT NULL,"
             " rule_name TEXT NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL, reason TEXT "
             "NOT NULL DEFAULT '', error_code TEXT NOT NULL DEFAULT '', queued_at INTEGER NOT "
             "NULL, started_at INTEGER NOT NULL DEFAULT 0, ended_at INTEGER NOT NULL DEFAULT 0, "
             "bytes_done INTEGER NOT NULL DEFAULT 0, bytes_total INTEGER NOT NULL DEFAULT 0, "
             "blobs_done INTEGER NOT NULL DEFAULT 0, blobs_total INTEGER NOT NULL DEFAULT 0, "
             "tags_done INTEGER NOT NULL DEFAULT 0, report TEXT NOT NULL DEFAULT '')",
             "CREATE INDEX tasks_by_rule ON tasks(rule_id, id)",
             "CREATE INDEX tasks_by_status ON tasks(status, id)",
             "CREATE TABLE leases (rule_id BIGINT PRIMARY KEY, task_id BIGINT NOT NULL DEFAULT 0,"
             " owner TEXT NOT NULL DEFAULT '', expires_at BIGINT NOT NULL DEFAULT 0)",
             "ALTER TABLE tasks ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
             "ALTER TABLE tasks ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT ''",
             "CREATE INDEX leases_by_owner ON leases(owner)",
             "INSERT INTO meta(key, value) VALUES('schema_version', '2')",
             "INSERT INTO rules(name, json, created_at, updated_at) VALUES('a', '{}', 1, 1)"}) {
      s << sql, now;
    }
    // 70 ended tasks with reports (more than one backfill batch), one failed without a
    // report, one whose report is not JSON, one still queued.
    for (int i = 0; i < 70; ++i) {
      std::string report = reportWithTags(10 + i);
      s << "INSERT INTO tasks(rule_id, rule_name, trigger, status, queued_at, ended_at, report) "
           "VALUES(1, 'a', 'scheduled', 'partial', ?, ?, ?)",
          bind(100 + i), bind(101 + i), bind(report), now;
    }
    s << "INSERT INTO tasks(rule_id, rule_name, trigger, status, reason, queued_at, ended_at) "
         "VALUES(1, 'a', 'manual', 'failed', 'listing tags: connection refused', 300, 301)",
        now;
    s << "INSERT INTO tasks(rule_id, rule_name, trigger, status, queued_at, ended_at, report) "
         "VALUES(1, 'a', 'manual', 'failed', 400, 401, 'not json')",
        now;
    s << "INSERT INTO tasks(rule_id, rule_name, trigger, status, queued_at) "
         "VALUES(1, 'a', 'manual', 'queued', 500)",
        now;
  }
  auto store = StateStore::open(path);
  BOOST_REQUIRE_MESSAGE(store.isOk(), store.status().message());
  BOOST_TEST((*store)->schemaVersion() == 3);
  auto all = (*store)->tasks(0, "", 0, 1000);
  BOOST_REQUIRE(all.size() == 73u);
  BOOST_TEST(all[0].status == task_status::kQueued);
  BOOST_TEST(all[0].summaryJson.empty());
  BOOST_TEST(all[1].summaryJson.empty());  // the report is not JSON: nothing to summarise
  BOOST_TEST(all[2].summaryJson.empty());  // no report
  BOOST_TEST(all[2].reason == "listing tags: connection refused");
  for (size_t i = 3; i < all.size(); ++i) {
    const int rows = 10 + static_cast<int>(all.size() - 1 - i);
    BOOST_TEST(all[i].reportJson.empty());
    BOOST_TEST(all[i].summaryJson == expectedSummary(rows), "task " << all[i].id);
  }
  // The reports themselves are kept as they were.
  BOOST_TEST((*store)->task(all.back().id)->reportJson == reportWithTags(10));
  BOOST_TEST((*store)->task(all[1].id)->reportJson == "not json");
  (*store).reset();
  // Opening again migrates nothing more.
  auto again = StateStore::open(path);
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST((*again)->tasks(0, "", 0, 1000)[3].summaryJson == expectedSummary(79));
}

BOOST_AUTO_TEST_SUITE_END()
