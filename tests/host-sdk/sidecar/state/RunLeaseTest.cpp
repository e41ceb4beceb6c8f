// StateStore's run leases on SQLite: held once and joined, taken over only after expiry (the
// holder's task then failed), renewed, reaped by one caller, periods claimed once, cancel
// requests, ended tasks final; StateLocation's URL rules.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "TempDirectory.h"
#include "tributary/state/StateLocation.h"
#include "tributary/state/StateStore.h"

using namespace tributary;
using namespace tributary::state;

namespace {

void sleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

struct TwoSidecars {
  TempDirectory dir;
  // Two connections to one file: what two sidecars sharing a database see.
  std::unique_ptr<StateStore> a = std::move(StateStore::open(dir.path() + "/s.db")).value();
  std::unique_ptr<StateStore> b = std::move(StateStore::open(dir.path() + "/s.db")).value();
  RuleRecord rule = std::move(a->insertRule("r", "{}", 1)).value();
};

}  // namespace

BOOST_AUTO_TEST_SUITE(RunLeaseTests)

BOOST_FIXTURE_TEST_CASE(a_rule_run_lease_is_held_once_and_joined_until_released, TwoSidecars) {
  BOOST_TEST(a->schemaVersion() == StateStore::kSchemaVersion);
  RuleRunClaim first = a->claimRuleRun(rule, "manual", "sidecar-a", 30000, 10);
  BOOST_REQUIRE(first.acquired);
  BOOST_TEST(first.task.owner == "sidecar-a");
  BOOST_TEST(b->task(first.task.id)->owner == "sidecar-a");
  RuleRunClaim second = b->claimRuleRun(rule, "scheduled", "sidecar-b", 30000, 11);
  BOOST_TEST(!second.acquired);
  BOOST_TEST(second.task.id == first.task.id);  // B joins A's task
  BOOST_TEST(b->tasks(rule.id, "", 0, 10).size() == 1u);

  // Ended and released: the next claim gets a new task.
  TaskRecord done = first.task;
  done.status = task_status::kSucceeded;
  a->saveTask(done);
  a->releaseLease(rule.id, first.task.id);
  RuleRunClaim third = b->claimRuleRun(rule, "scheduled", "sidecar-b", 30000, 12);
  BOOST_TEST(third.acquired);
  BOOST_TEST(third.task.id != first.task.id);
}

BOOST_FIXTURE_TEST_CASE(a_lease_on_an_ended_task_is_free_without_waiting_for_expiry,
                        TwoSidecars) {
  RuleRunClaim first = a->claimRuleRun(rule, "manual", "sidecar-a", 30000, 10);
  TaskRecord done = first.task;
  done.status = task_status::kFailed;
  a->saveTask(done);  // the sidecar died before releasing
  RuleRunClaim next = b->claimRuleRun(rule, "manual", "sidecar-b", 30000, 11);
  BOOST_TEST(next.acquired);
  BOOST_TEST(next.replacedTaskId == 0);
}

BOOST_FIXTURE_TEST_CASE(an_expired_lease_is_taken_over_and_its_task_failed, TwoSidecars) {
  RuleRunClaim first = a->claimRuleRun(rule, "manual", "sidecar-a", 150, 10);
  TaskRecord running = first.task;
  running.status = task_status::kRunning;
  a->saveTask(running);
  BOOST_TEST(!b->claimRuleRun(rule, "manual", "sidecar-b", 150, 11).acquired);
  sleepMs(250);  // sidecar A stopped renewing
  RuleRunClaim taken = b->claimRuleRun(rule, "manual", "sidecar-b", 30000, 12);
  BOOST_REQUIRE(taken.acquired);
  BOOST_TEST(taken.replacedTaskId == first.task.id);
  auto old = b->task(first.task.id);
  BOOST_TEST(old->status == "failed");
  BOOST_TEST(old->reason.find("interrupted: sidecar `sidecar-a`") == 0u);
  // A comes back: its renewal no longer holds the lease, and its late save changes nothing.
  BOOST_TEST(a->renewLeases("sidecar-a", 30000).empty());
  TaskRecord late = running;
  late.status = task_status::kSucceeded;
  a->saveTask(late);
  BOOST_TEST(b->task(first.task.id)->status == "failed");
}

BOOST_FIXTURE_TEST_CASE(renewal_keeps_a_lease_and_one_caller_reaps_an_expired_one, TwoSidecars) {
  RuleRunClaim first = a->claimRuleRun(rule, "manual", "sidecar-a", 300, 10);
  for (int i = 0; i < 4; ++i) {  // 600 ms of renewals every 150 ms: never expires
    sleepMs(150);
    auto held = a->renewLeases("sidecar-a", 300);
    BOOST_REQUIRE(held.size() == 1u);
    BOOST_TEST(held[0].taskId == first.task.id);
    BOOST_TEST(b->reapExpiredLeases("interrupted", 20).empty());
  }
  sleepMs(400);  // renewals stop
  auto reaped = b->reapExpiredLeases("interrupted", 30);
  BOOST_REQUIRE(reaped.size() == 1u);
  BOOST_TEST(reaped[0].id == first.task.id);
  BOOST_TEST(reaped[0].status == "failed");
  BOOST_TEST(reaped[0].trigger == "manual");
  BOOST_TEST(a->reapExpiredLeases("interrupted", 31).empty());  // already reaped
  BOOST_TEST(b->claimRuleRun(rule, "manual", "sidecar-b", 300, 32).acquired);
}

BOOST_FIXTURE_TEST_CASE(a_period_and_a_retry_are_claimed_by_one_caller, TwoSidecars) {
  a->setNextRun(rule.id, 1000);
  BOOST_TEST(a->claimNextRun(rule.id, 1000, 2000));
  BOOST_TEST(!b->claimNextRun(rule.id, 1000, 2000));
  BOOST_TEST(b->rule(rule.id)->nextRunAt == 2000);
  a->setRetryAt(rule.id, 500);
  BOOST_TEST(b->claimRetry(rule.id, 500));
  BOOST_TEST(!a->claimRetry(rule.id, 500));
}

BOOST_FIXTURE_TEST_CASE(a_cancel_request_reaches_the_owner_of_an_active_task, TwoSidecars) {
  RuleRunClaim first = a->claimRuleRun(rule, "manual", "sidecar-a", 30000, 10);
  BOOST_TEST(a->cancelRequests("sidecar-a").empty());
  BOOST_TEST(b->requestCancel(first.task.id, "cancelled by request"));
  auto asked = a->cancelRequests("sidecar-a");
  BOOST_REQUIRE(asked.size() == 1u);
  BOOST_TEST(asked[0].first == first.task.id);
  BOOST_TEST(asked[0].second == "cancelled by request");
  BOOST_TEST(b->cancelRequests("sidecar-b").empty());
  TaskRecord done = first.task;
  done.status = task_status::kCancelled;
  a->saveTask(done);
  BOOST_TEST(a->cancelRequests("sidecar-a").empty());
  BOOST_TEST(!b->requestCancel(first.task.id, "again"));  // ended
}

BOOST_FIXTURE_TEST_CASE(at_start_a_sidecar_fails_its_running_tasks_and_requeues_queued_ones,
                        TwoSidecars) {
  RuleRecord other = std::move(a->insertRule("o", "{}", 1)).value();
  RuleRunClaim running = a->claimRuleRun(rule, "manual", "sidecar-a", 30000, 10);
  TaskRecord r = running.task;
  r.status = task_status::kRunning;
  a->saveTask(r);
  RuleRunClaim queued = a->claimRuleRun(other, "manual", "sidecar-a", 30000, 11);
  auto requeued = a->recoverTasks("sidecar-a", "interrupted", 30000, 12);
  BOOST_REQUIRE(requeued.size() == 1u);
  BOOST_TEST(requeued[0].id == queued.task.id);
  BOOST_TEST(a->task(running.task.id)->status == "failed");
  BOOST_TEST(a->task(running.task.id)->reason == "interrupted");
  BOOST_TEST(!b->claimRuleRun(other, "manual", "sidecar-b", 30000, 13).acquired);  // still held
  BOOST_TEST(b->claimRuleRun(rule, "manual", "sidecar-b", 30000, 13).acquired);    // released
}

BOOST_AUTO_TEST_CASE(a_state_location_is_a_path_or_a_postgresql_url_without_password) {
  auto path = StateLocation::parse("/var/lib/tributary/state.db");
  BOOST_REQUIRE(path.isOk());
  BOOST_TEST((path->kind() == StateLocation::Kind::kSqlite));
  auto url = StateLocation::parse("postgresql://trib@127.0.0.1:5433/fleet");
  BOOST_REQUIRE(url.isOk());
  BOOST_TEST((url->kind() == StateLocation::Kind::kPostgres));
  BOOST_TEST(url->display() == "postgresql://trib@127.0.0.1:5433/fleet");
  BOOST_TEST(url->postgresConnectionString("/etc/trib/it's").find(
                 "passfile='/etc/trib/it\\'s'") != std::string::npos);
  BOOST_TEST(url->postgresConnectionString("").find("passfile") == std::string::npos);
  BOOST_TEST(!StateLocation::parse("postgresql://trib@db/my%20db").isOk());  // a space
  BOOST_TEST(url->postgresConnectionString("").find("port=5433") != std::string::npos);

  auto withPassword = StateLocation::parse("postgresql://trib:hunter2@db/fleet");
  BOOST_REQUIRE(!withPassword.isOk());
  BOOST_TEST(withPassword.status().message().find("hunter2") == std::string::npos);
  BOOST_TEST(withPassword.status().message().find("state_passfile") != std::string::npos);
  BOOST_TEST(!StateLocation::parse("postgresql://db/fleet").isOk());          // no user
  BOOST_TEST(!StateLocation::parse("postgresql://trib@db").isOk());           // no database
  BOOST_TEST(!StateLocation::parse("postgresql://trib@db:99999/x").isOk());   // bad port
  BOOST_TEST(!StateLocation::parse("mysql://trib@db/x").isOk());
}

BOOST_AUTO_TEST_SUITE_END()
