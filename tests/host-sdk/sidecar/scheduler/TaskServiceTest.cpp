// TaskService with a fake provider execute: join, cancel, no overlap, destinations serialised,
// deferred retry at the budget's reset, recovery, stop.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "TempDirectory.h"
#include "scheduler/FakeProvider.h"
#include "tributary/scheduler/ReportSummary.h"
#include "tributary/scheduler/TaskService.h"

using namespace tributary;
using namespace tributary::scheduler;
using state::StateStore;
using state::TaskRecord;

namespace {

std::string ruleJson(const std::string& name, const std::string& dest,
                     const std::string& period = "manual") {
  return "{\"name\":\"" + name + "\",\"destination\":{\"repository\":\"" + dest +
         "\"},\"update_period\":\"" + period + "\"}";
}

struct Fixture {
  TempDirectory dir;
  std::unique_ptr<StateStore> store = std::move(StateStore::open(dir.path() + "/s.db")).value();
  FakeProvider provider;
  TaskServiceOptions options;
  std::unique_ptr<TaskService> service;

  void start(int workers = 2) {
    options.workers = workers;
    service = std::make_unique<TaskService>(
        *store, options,
        [this](const std::string& r, const rp_task_v1* t) { return provider.execute(r, t); },
        nullptr);
    BOOST_REQUIRE(service->start().isOk());
  }
  int64_t addRule(const std::string& name, const std::string& dest,
                  const std::string& period = "manual") {
    auto rule = store->insertRule(name, ruleJson(name, dest, period), TaskService::nowMs());
    BOOST_REQUIRE(rule.isOk());
    if (service) BOOST_REQUIRE(service->ruleChanged(rule->id).isOk());
    return rule->id;
  }
  TaskRecord waitFor(int64_t taskId, const std::string& status, int ms = 3000) {
    for (int i = 0; i < ms / 5; ++i) {
      auto t = service->task(taskId);
      if (t && t->status == status) return *t;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    auto t = service->task(taskId);
    BOOST_FAIL("task " << taskId << " not " << status << " but " << (t ? t->status : "gone"));
    return {};
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(TaskServiceTests)

BOOST_FIXTURE_TEST_CASE(execute_joins_the_rules_running_task, Fixture) {
  start();
  const int64_t rule = addRule("a", "m/a");
  auto first = service->execute(rule, "manual");
  BOOST_REQUIRE(first.isOk());
  BOOST_TEST(!first->joined);
  waitFor(first->task.id, "running");
  for (int i = 0; i < 200 && service->task(first->task.id)->bytesDone == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto second = service->execute(rule, "manual");
  BOOST_REQUIRE(second.isOk());
  BOOST_TEST(second->joined);
  BOOST_TEST(second->task.id == first->task.id);
  BOOST_TEST(second->task.bytesDone == 10);  // live progress
  provider.go();
  auto done = waitFor(first->task.id, "succeeded");
  BOOST_TEST(done.tagsDone == 1);
  BOOST_TEST(done.reportJson.find("synced") != std::string::npos);
  BOOST_TEST(provider.calls == 1);
}

BOOST_FIXTURE_TEST_CASE(cancel_queued_ends_at_once_and_running_through_the_provider, Fixture) {
  start(1);
  const int64_t a = addRule("a", "m/a"), b = addRule("b", "m/b");
  auto ta = *service->execute(a, "manual");
  waitFor(ta.task.id, "running");
  auto tb = *service->execute(b, "manual");
  auto cancelledQueued = service->cancel(tb.task.id);
  BOOST_REQUIRE(cancelledQueued.isOk());
  BOOST_TEST(cancelledQueued->status == "cancelled");
  auto asked = service->cancel(ta.task.id);
  BOOST_REQUIRE(asked.isOk());
  auto done = waitFor(ta.task.id, "cancelled");
  BOOST_TEST(done.reason == "cancelled by request");
  BOOST_TEST(done.errorCode == "RP_ERR_CANCELLED");
  BOOST_TEST(static_cast<int>(service->cancel(ta.task.id).status().code()) ==
             static_cast<int>(StatusCode::kFailedPrecondition));
  BOOST_TEST(static_cast<int>(service->cancel(9999).status().code()) ==
             static_cast<int>(StatusCode::kNotFound));
  BOOST_TEST(provider.calls == 1);  // b never ran
}

BOOST_FIXTURE_TEST_CASE(rules_with_one_destination_never_run_at_once, Fixture) {
  start(3);
  const int64_t a = addRule("a", "m/same"), b = addRule("b", "m/same"), c = addRule("c", "m/c");
  auto ta = *service->execute(a, "manual");
  auto tb = *service->execute(b, "manual");
  auto tc = *service->execute(c, "manual");
  waitFor(ta.task.id, "running");
  waitFor(tc.task.id, "running");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_TEST(service->task(tb.task.id)->status == "queued");
  provider.go();
  waitFor(tb.task.id, "succeeded");
  BOOST_TEST(!provider.destOverlap);
}

BOOST_FIXTURE_TEST_CASE(an_update_never_interrupts_the_running_task, Fixture) {
  start();
  const int64_t rule = addRule("a", "m/a");
  auto running = *service->execute(rule, "manual");
  waitFor(running.task.id, "running");
  BOOST_REQUIRE(store->updateRule(rule, "a", ruleJson("a", "m/other"), 1).isOk());
  BOOST_REQUIRE(service->ruleChanged(rule).isOk());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_TEST(service->task(running.task.id)->status == "running");
  provider.go();
  waitFor(running.task.id, "succeeded");
  BOOST_TEST(service->execute(rule, "manual").isOk());
  for (int i = 0; i < 200 && provider.calls < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::lock_guard<std::mutex> lock(provider.mutex);
  BOOST_REQUIRE(provider.rulesSeen.size() == 2u);
  BOOST_TEST(provider.rulesSeen[0].find("m/a") != std::string::npos);      // as it started
  BOOST_TEST(provider.rulesSeen[1].find("m/other") != std::string::npos);  // the next run
}

BOOST_FIXTURE_TEST_CASE(a_full_queue_refuses, Fixture) {
  options.queueLimit = 1;
  start(1);
  const int64_t a = addRule("a", "m/a"), b = addRule("b", "m/b"), c = addRule("c", "m/c");
  waitFor(service->execute(a, "manual")->task.id, "running");
  BOOST_TEST(service->execute(b, "manual").isOk());
  auto refused = service->execute(c, "manual");
  BOOST_TEST(static_cast<int>(refused.status().code()) ==
             static_cast<int>(StatusCode::kResourceExhausted));
  provider.go();
}

BOOST_FIXTURE_TEST_CASE(a_scheduled_rule_never_overlaps_itself, Fixture) {
  options.intervalDivisor = 600;  // 1m -> every 100 ms
  start(4);
  const int64_t rule = addRule("tick", "m/t", "1m");
  // Polled rather than slept: on a loaded machine the first fire may come late.
  for (int i = 0; i < 1000 && provider.calls < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(350));  // several fire times pass
  BOOST_TEST(provider.calls == 1);  // the first run is still going: later fires joined it
  provider.go();
  for (int i = 0; i < 1000 && provider.calls < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  BOOST_TEST(provider.calls >= 3);
  BOOST_TEST(provider.maxRunning == 1);
  for (const auto& t : service->tasks(rule, "", 0, 100)) BOOST_TEST(t.trigger == "scheduled");
}

BOOST_FIXTURE_TEST_CASE(deferred_tags_run_again_when_the_budget_resets, Fixture) {
  const int64_t resetAt = TaskService::nowMs() + 1000;
  provider.report = "{\"status\":\"partial\",\"counts\":{\"deferred\":2},\"budget\":{\"reset_at\":\"" +
                    formatRfc3339Ms(resetAt) + "\"}}";
  provider.go();
  start();
  const int64_t rule = addRule("hub", "m/h");
  auto first = *service->execute(rule, "manual");
  BOOST_TEST(waitFor(first.task.id, "partial").status == "partial");
  BOOST_TEST(store->rule(rule)->retryAt == resetAt);
  if (TaskService::nowMs() < resetAt - 50) {
    BOOST_TEST(service->tasks(rule, "", 0, 10).size() == 1u);  // not before reset_at
  }
  provider.report = "{\"status\":\"succeeded\"}";
  while (TaskService::nowMs() < resetAt + 1000 && service->tasks(rule, "", 0, 10).size() < 2 ) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto all = service->tasks(rule, "", 0, 10);
  BOOST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].trigger == "retry");
  BOOST_TEST(all[0].queuedAt >= resetAt);
  BOOST_TEST(store->rule(rule)->retryAt == 0);
}

BOOST_FIXTURE_TEST_CASE(a_fire_time_missed_while_down_runs_once_at_start, Fixture) {
  provider.go();
  const int64_t rule = addRule("daily", "m/d", "1d");
  store->setNextRun(rule, TaskService::nowMs() - 5LL * 86400 * 1000);  // five days missed
  start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto all = service->tasks(rule, "", 0, 10);
  BOOST_TEST(all.size() == 1u);
  BOOST_TEST(service->nextRunAt(rule) > TaskService::nowMs() + 86000LL * 1000);
}

BOOST_FIXTURE_TEST_CASE(stop_cancels_running_and_queued_and_records_them, Fixture) {
  start(1);
  const int64_t a = addRule("a", "m/a"), b = addRule("b", "m/b");
  auto ta = *service->execute(a, "manual");
  waitFor(ta.task.id, "running");
  auto tb = *service->execute(b, "manual");
  service->stop();
  BOOST_TEST(store->task(ta.task.id)->status == "cancelled");
  BOOST_TEST(store->task(ta.task.id)->reason == "shutdown");
  BOOST_TEST(store->task(tb.task.id)->status == "cancelled");
  BOOST_TEST(!service->execute(a, "manual").isOk());
}

BOOST_AUTO_TEST_CASE(report_summary_reads_old_and_new_shapes) {
  auto oldShape = ReportSummary::parse(
      "{\"status\":\"partial\",\"totals\":{\"bytes_fetched\":5},\"tags\":[{\"action\":\"synced\"},"
      "{\"action\":\"deferred\"}]}");
  BOOST_TEST(oldShape.valid);
  BOOST_TEST(oldShape.bytesFetched == 5);
  BOOST_TEST(oldShape.deferred == 1);
  auto newShape = ReportSummary::parse(
      "{\"status\":\"succeeded\",\"counts\":{\"deferred\":0},\"totals\":{\"bytes\":7,\"blobs\":2,"
      "\"blobs_reused\":3},\"budget\":{\"reset_at\":\"2026-01-02T03:04:05Z\"}}");
  BOOST_TEST(newShape.bytesFetched == 7);
  BOOST_TEST(newShape.blobsReused == 3);
  BOOST_TEST(newShape.resetAtMs == 1767323045000LL);
  BOOST_TEST(!ReportSummary::parse("[1]").valid);
  BOOST_TEST(formatRfc3339Ms(1767323045123LL) == "2026-01-02T03:04:05.123Z");
}

BOOST_AUTO_TEST_CASE(a_task_summary_has_the_reports_counts_totals_and_error_and_no_tag_rows) {
  // The report's own counts (every action it names), whatever the rows say.
  auto withCounts = ReportSummary::parse(
      "{\"status\":\"failed\",\"counts\":{\"synced\":0,\"failed\":0,\"note\":\"x\"},"
      "\"totals\":{\"bytes\":0,\"blobs\":0,\"blobs_reused\":0},\"error\":{\"code\":"
      "\"RP_ERR_UNAVAILABLE\",\"message\":\"listing tags of a/b: connection refused\"},"
      "\"tags\":[{\"tag\":\"v1\",\"action\":\"synced\"}]}");
  BOOST_TEST(withCounts.taskSummaryJson() ==
             "{\"counts\":{\"failed\":0,\"synced\":0},\"bytes_fetched\":0,\"blobs_fetched\":0,"
             "\"blobs_reused\":0,\"error\":\"listing tags of a/b: connection refused\"}");
  // An older report without counts: its rows counted by action.
  auto rowsOnly = ReportSummary::parse(
      "{\"status\":\"partial\",\"totals\":{\"bytes_fetched\":5},\"tags\":[{\"tag\":\"a\","
      "\"action\":\"synced\"},{\"tag\":\"b\",\"action\":\"synced\"},{\"tag\":\"c\","
      "\"action\":\"deferred\"}]}");
  BOOST_TEST(rowsOnly.taskSummaryJson() ==
             "{\"counts\":{\"deferred\":1,\"synced\":2},\"bytes_fetched\":5,"
             "\"blobs_fetched\":0,\"blobs_reused\":0}");
  // A huge error message is cut: the summary stays small.
  auto huge = ReportSummary::parse("{\"error\":{\"message\":\"" + std::string(100000, 'x') +
                                   "\"}}");
  BOOST_TEST(huge.taskSummaryJson().size() < ReportSummary::kMaxErrorBytes + 200);
  BOOST_TEST(ReportSummary::parse("not json").taskSummaryJson() == "");
}

BOOST_AUTO_TEST_SUITE_END()
