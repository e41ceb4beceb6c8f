// The exact JSON of the execute report and the plan, and the report's status rule.
#include <boost/test/unit_test.hpp>

#include "tributary/plugin/PlanReport.h"
#include "tributary/plugin/SyncReport.h"

using namespace tributary::plugin;

namespace {
SyncReport::Entry entry(const std::string& tag, SyncReport::Action a) {
  SyncReport::Entry e;
  e.tag = tag;
  e.action = a;
  return e;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ReportTest)

BOOST_AUTO_TEST_CASE(status_rule) {
  SyncReport none("r");
  BOOST_TEST(none.status() == "succeeded");
  SyncReport ok("r");
  ok.add(entry("a", SyncReport::Action::kSynced));
  ok.add(entry("b", SyncReport::Action::kKept));
  ok.add(entry("c", SyncReport::Action::kSkipped));
  BOOST_TEST(ok.status() == "succeeded");
  ok.add(entry("d", SyncReport::Action::kFailed));
  BOOST_TEST(ok.status() == "partial");
  SyncReport bad("r");
  bad.add(entry("a", SyncReport::Action::kFailed));
  bad.add(entry("b", SyncReport::Action::kFailed));
  BOOST_TEST(bad.status() == "failed");
}

BOOST_AUTO_TEST_CASE(report_json_shape) {
  SyncReport r("nginx-stable");
  SyncReport::Entry e = entry("1.25", SyncReport::Action::kSynced);
  e.digest = "sha256:" + std::string(64, 'a');
  e.pushedAtMs = 1714558830123LL;
  e.reason = "absent at destination";
  e.bytesFetched = 42;
  r.add(e);
  SyncReport::Entry f = entry("1.24", SyncReport::Action::kFailed);
  f.reason = "UNAVAILABLE: \"quoted\"\nline";
  r.add(f);
  r.setTotals(42, 1, 2, 1500);
  BOOST_TEST(r.toJson() ==
             "{\"rule\":\"nginx-stable\",\"status\":\"partial\",\"tags\":["
             "{\"tag\":\"1.25\",\"digest\":\"sha256:" + std::string(64, 'a') +
             "\",\"pushed_at\":\"2024-05-01T10:20:30.123Z\",\"action\":\"synced\","
             "\"reason\":\"absent at destination\",\"bytes_fetched\":42},"
             "{\"tag\":\"1.24\",\"digest\":null,\"pushed_at\":null,\"action\":\"failed\","
             "\"reason\":\"UNAVAILABLE: \\\"quoted\\\"\\nline\",\"bytes_fetched\":0}],"
             "\"totals\":{\"bytes_fetched\":42,\"blobs_fetched\":1,\"blobs_reused\":2,"
             "\"duration_ms\":1500,\"ranged_blobs\":0,\"ranged_bytes\":0,"
             "\"mirror_blobs\":0,\"mirror_bytes\":0}}");
}

BOOST_AUTO_TEST_CASE(plan_json_shape) {
  PlanReport p("r");
  PlanReport::Entry e;
  e.tag = "v1";
  e.digest = "sha256:" + std::string(64, 'b');
  e.pushedAtMs = 0;
  e.timestampSource = "config.created";
  e.action = PlanReport::Action::kSync;
  e.reason = "absent at destination";
  e.bytesToFetch = 7;
  p.add(e);
  p.setTotals(7, 1, 3);
  BOOST_TEST(p.toJson() ==
             "{\"rule\":\"r\",\"tags\":[{\"tag\":\"v1\",\"digest\":\"sha256:" +
             std::string(64, 'b') +
             "\",\"pushed_at\":\"1970-01-01T00:00:00Z\",\"timestamp_source\":\"config.created\","
             "\"action\":\"sync\",\"reason\":\"absent at destination\",\"bytes_to_fetch\":7}],"
             "\"totals\":{\"bytes_to_fetch\":7,\"blobs_to_fetch\":1,\"blobs_reused\":3}}");
}

BOOST_AUTO_TEST_CASE(deferred_is_partial_not_failed_and_the_budget_and_notes_are_reported) {
  SyncReport r("hub");
  r.add(entry("a", SyncReport::Action::kSynced));
  SyncReport::Entry d = entry("b", SyncReport::Action::kDeferred);
  d.reason = "the window resets by 2023-11-14T22:13:30Z";
  r.add(d);
  BOOST_TEST(r.status() == "partial");
  SyncReport all("hub");
  all.add(entry("b", SyncReport::Action::kDeferred));
  BOOST_TEST(all.status() == "partial");  // deferred only: still not failed
  tributary::registry::PullBudgetState b;
  b.known = true;
  b.limit = 100;
  b.remaining = 4;
  b.windowSeconds = 21600;
  b.resetAtMs = 1700000010000LL;
  b.pullsNeeded = 6;
  b.pullsSpent = 4;
  r.setBudget(b);
  r.setNotes({"fell back"});
  r.setTimestampKind("pushed");
  const std::string json = r.toJson();
  BOOST_TEST(json.find("\"action\":\"deferred\",\"reason\":\"the window resets by "
                       "2023-11-14T22:13:30Z\",\"reason_code\":\"budget_exhausted\"") !=
                 std::string::npos, json);
  BOOST_TEST(json.find("\"timestamp_kind\":\"pushed\",\"notes\":[\"fell back\"],"
                       "\"budget\":{\"limit\":100,\"remaining\":4,\"window_seconds\":21600,"
                       "\"reset_at\":\"2023-11-14T22:13:30Z\",\"pulls_needed\":6,"
                       "\"pulls_spent\":4,\"reserve\":0}") != std::string::npos, json);
}

BOOST_AUTO_TEST_SUITE_END()
