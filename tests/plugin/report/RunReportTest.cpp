// The exact JSON of the run report (plan and execute alike) and its status rule.
#include <boost/test/unit_test.hpp>

#include "tributary/plugin/report/RunReport.h"

using namespace tributary::plugin;

namespace {

RunReport::TagRow row(const std::string& tag, TagAction a) {
  RunReport::TagRow r;
  r.tag = tag;
  r.action = a;
  return r;
}

RunReport report(bool dryRun = false) {
  return RunReport("nginx-stable", {"custom", "registry.example.org:5000", "library/nginx"},
                   "mirror/nginx", dryRun);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(RunReportTest)

BOOST_AUTO_TEST_CASE(status_rule) {
  RunReport none = report();
  BOOST_TEST(none.status() == "succeeded");
  RunReport ok = report();
  ok.add(row("a", TagAction::kSynced));
  ok.add(row("b", TagAction::kKept));
  ok.add(row("c", TagAction::kSkipped));
  ok.add(row("old", TagAction::kBeyondLatestN));
  BOOST_TEST(ok.status() == "succeeded");
  ok.add(row("d", TagAction::kFailed));
  BOOST_TEST(ok.status() == "partial");
  RunReport bad = report();
  bad.add(row("a", TagAction::kFailed));
  bad.add(row("b", TagAction::kFailed));
  bad.add(row("old", TagAction::kBeyondLatestN));  // not selected: does not save the run
  BOOST_TEST(bad.status() == "failed");
  RunReport waiting = report();
  waiting.add(row("a", TagAction::kSynced));
  waiting.add(row("b", TagAction::kDeferred));
  BOOST_TEST(waiting.status() == "partial");
  RunReport unreachable = report();
  unreachable.setError("RP_ERR_UNAVAILABLE", "listing tags: connection refused");
  BOOST_TEST(unreachable.status() == "failed");
}

BOOST_AUTO_TEST_CASE(report_json_shape) {
  RunReport r = report();
  RunReport::TagRow e = row("1.25", TagAction::kSynced);
  e.sourceDigest = "sha256:" + std::string(64, 'a');
  e.chosenDigest = e.sourceDigest;
  e.timestampMs = 1714558830123LL;
  e.timestampKind = "created";
  e.reason = "absent at destination";
  e.bytes = 42;
  r.add(e);
  RunReport::TagRow f = row("1.24", TagAction::kFailed);
  f.reasonCode = "fetch_failed";
  f.reason = "\"quoted\"\nline";
  f.timestampKind = "created";
  r.add(f);
  r.totals().bytes = 42;
  r.totals().blobs = 1;
  r.totals().blobsReused = 2;
  r.totals().durationMs = 1500;
  r.addNote("a note");
  BOOST_TEST(r.toJson() ==
             "{\"schema_version\":1,\"rule\":\"nginx-stable\","
             "\"source\":{\"type\":\"custom\",\"registry\":\"registry.example.org:5000\","
             "\"repository\":\"library/nginx\"},\"destination\":{\"repository\":\"mirror/nginx\"},"
             "\"dry_run\":false,\"status\":\"partial\","
             "\"counts\":{\"synced\":1,\"unchanged\":0,\"kept\":0,\"skipped\":0,\"deferred\":0,"
             "\"failed\":1,\"beyond_latest_n\":0,\"excluded_by_regex\":0},"
             "\"totals\":{\"bytes\":42,\"blobs\":1,\"blobs_reused\":2,\"duration_ms\":1500,"
             "\"ranged_blobs\":0,\"ranged_bytes\":0,\"mirror_blobs\":0,\"mirror_bytes\":0},"
             "\"notes\":[\"a note\"],\"tags\":["
             "{\"tag\":\"1.25\",\"action\":\"synced\",\"reason_code\":\"\","
             "\"reason\":\"absent at destination\",\"source_digest\":\"sha256:" +
                 std::string(64, 'a') + "\",\"destination_digest\":\"\",\"chosen_digest\":\"sha256:" +
                 std::string(64, 'a') +
                 "\",\"timestamp\":\"2024-05-01T10:20:30.123Z\",\"timestamp_kind\":\"created\","
                 "\"bytes\":42},"
                 "{\"tag\":\"1.24\",\"action\":\"failed\",\"reason_code\":\"fetch_failed\","
                 "\"reason\":\"\\\"quoted\\\"\\nline\",\"source_digest\":\"\","
                 "\"destination_digest\":\"\",\"chosen_digest\":\"\",\"timestamp\":null,"
                 "\"timestamp_kind\":\"created\",\"bytes\":0}]}");
}

BOOST_AUTO_TEST_CASE(failed_run_json_has_error_and_budget) {
  RunReport r = report(/*dryRun=*/true);
  r.setError("RP_ERR_UNAUTHENTICATED", "listing tags of library/nginx: 401");
  tributary::registry::PullBudget b;
  b.limit = 100;
  b.remaining = 0;
  b.windowSeconds = 21600;
  b.resetAtMs = 0;
  b.pullsNeeded = 3;
  r.setBudget(b);
  const std::string json = r.toJson();
  BOOST_TEST(json.find("\"dry_run\":true,\"status\":\"failed\",\"error\":{\"code\":"
                       "\"RP_ERR_UNAUTHENTICATED\",\"message\":\"listing tags of library/nginx: "
                       "401\"},\"counts\":") != std::string::npos,
             json);
  BOOST_TEST(json.find("\"budget\":{\"limit\":100,\"remaining\":0,\"window_seconds\":21600,"
                       "\"reset_at\":\"1970-01-01T00:00:00Z\",\"pulls_needed\":3,\"pulls_spent\":0,"
                       "\"reserve\":0},\"notes\":[],"
                       "\"tags\":[]}") != std::string::npos,
             json);
}

BOOST_AUTO_TEST_CASE(deferred_is_partial_not_failed_and_the_budget_and_notes_are_reported) {
  RunReport r = report();
  r.add(row("a", TagAction::kSynced));
  RunReport::TagRow d = row("b", TagAction::kDeferred);
  d.reasonCode = "budget_exhausted";
  d.reason = "the window resets by 2023-11-14T22:13:30Z";
  d.pulls = 0;
  r.add(d);
  BOOST_TEST(r.status() == "partial");
  RunReport all = report();
  all.add(row("b", TagAction::kDeferred));
  BOOST_TEST(all.status() == "partial");  // deferred only: still not failed
  tributary::registry::PullBudget b;
  b.limit = 100;
  b.remaining = 4;
  b.windowSeconds = 21600;
  b.resetAtMs = 1700000010000LL;
  b.pullsNeeded = 6;
  b.pullsSpent = 4;
  r.setBudget(b);
  r.addNote("fell back");
  const std::string json = r.toJson();
  BOOST_TEST(json.find("\"action\":\"deferred\",\"reason_code\":\"budget_exhausted\","
                       "\"reason\":\"the window resets by 2023-11-14T22:13:30Z\"") !=
                 std::string::npos, json);
  BOOST_TEST(json.find("\"budget\":{\"limit\":100,\"remaining\":4,\"window_seconds\":21600,"
                       "\"reset_at\":\"2023-11-14T22:13:30Z\",\"pulls_needed\":6,"
                       "\"pulls_spent\":4,\"reserve\":0},\"notes\":[\"fell back\"]") !=
                 std::string::npos, json);
  // With a budget every row says how many pulls it was admitted for (null: never resolved).
  BOOST_TEST(json.find("\"bytes\":0,\"pulls\":null}") != std::string::npos, json);
  BOOST_TEST(json.find("\"bytes\":0,\"pulls\":0}") != std::string::npos, json);
}

BOOST_AUTO_TEST_CASE(an_unannounced_limit_is_null) {
  RunReport r = report();
  tributary::registry::PullBudget b;
  b.known = false;
  r.setBudget(b);
  const std::string json = r.toJson();
  BOOST_TEST(json.find("\"budget\":{\"limit\":null,\"remaining\":null,") != std::string::npos,
             json);
}

BOOST_AUTO_TEST_SUITE_END()
