// StateStore: schema creation and version, rules (unique names), tasks, recovery, retention.
#include <boost/test/unit_test.hpp>

#include "TempDirectory.h"
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

BOOST_AUTO_TEST_SUITE_END()
