#include "tributary/sync/ReportPrinter.h"

#include <boost/test/unit_test.hpp>

#include <sstream>

using tributary::sync::ReportPrinter;

BOOST_AUTO_TEST_SUITE(ReportPrinterTest)

// Schema 1 (tests/schema/report.schema.json).
BOOST_AUTO_TEST_CASE(schema_1_report_shows_both_digests_of_a_kept_tag_and_the_platform_choice) {
  std::ostringstream out;
  const char report[] =
      R"({"schema_version":1,"rule":"nginx-stable","source":{"type":"custom","registry":"r:5000","repository":"a/b"},)"
      R"("destination":{"repository":"m/b"},"dry_run":false,"status":"partial",)"
      R"("counts":{"synced":1,"unchanged":0,"kept":1,"skipped":0,"deferred":0,"failed":1,"beyond_latest_n":1,"excluded_by_regex":2},)"
      R"("totals":{"bytes":52428800,"blobs":7,"blobs_reused":1,"duration_ms":2350,"ranged_blobs":0,"ranged_bytes":0,"mirror_blobs":0,"mirror_bytes":0},)"
      R"("notes":["cache: 2 created times read from the cache"],"tags":[)"
      R"({"tag":"1.25.3","action":"synced","reason_code":"absent","reason":"absent in destination","source_digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","destination_digest":"","chosen_digest":"sha256:5044aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffff0000000011","platform":"linux/arm64","timestamp":"2024-05-01T10:00:00Z","timestamp_kind":"created","bytes":52428800},)"
      R"({"tag":"1.25","action":"kept","reason_code":"destination_differs","reason":"kept: destination differs","source_digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","destination_digest":"sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210","chosen_digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","timestamp":"2024-04-01T10:00:00Z","timestamp_kind":"created","bytes":0},)"
      R"({"tag":"1.24","action":"failed","reason_code":"error","reason":"blob sha256:cc:\ndigest mismatch","source_digest":"","destination_digest":"","chosen_digest":"","timestamp":null,"timestamp_kind":"created","bytes":0},)"
      R"({"tag":"1.23","action":"beyond_latest_n","reason_code":"beyond_latest_n","reason":"older than the newest 3","source_digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","destination_digest":"","chosen_digest":"","timestamp":"2023-01-01T00:00:00Z","timestamp_kind":"created","bytes":0},)"
      R"({"tag":"latest","action":"excluded_by_regex","reason_code":"excluded_by_regex","reason":"","source_digest":"","destination_digest":"","chosen_digest":"","timestamp":null,"timestamp_kind":"created","bytes":0},)"
      R"({"tag":"edge","action":"excluded_by_regex","reason_code":"excluded_by_regex","reason":"","source_digest":"","destination_digest":"","chosen_digest":"","timestamp":null,"timestamp_kind":"created","bytes":0}]})";
  BOOST_TEST(ReportPrinter::printReport(out, report).isOk());
  BOOST_TEST(out.str() ==
             "rule nginx-stable: partial\n"
             "TAG     ACTION           DIGEST                             CREATED               REASON\n"
             "1.25.3  synced           linux/arm64 → sha256:5044aaaaaaaa  2024-05-01T10:00:00Z  absent in destination\n"
             "1.25    kept             sha256:0123456789ab                2024-04-01T10:00:00Z  destination differs; destination has sha256:fedcba987654 (set destination.overwrite: true to replace it)\n"
             "1.24    failed           -                                  -                     blob sha256:cc: digest mismatch\n"
             "1.23    beyond_latest_n  sha256:0123456789ab                2023-01-01T00:00:00Z  older than the newest 3\n"
             "6 tags: 1 synced, 1 kept, 1 failed, 1 beyond_latest_n, 2 excluded_by_regex; "
             "fetched 52.4 MB in 7 blobs, 1 blob reused; 2.4 s\n"
             "2 tags do not match policy.tag_regex (--verbose lists them)\n"
             "note: cache: 2 created times read from the cache\n");

  std::ostringstream verbose;
  BOOST_TEST(ReportPrinter::print(verbose, report, {false, true, ""}).isOk());
  BOOST_TEST(verbose.str().find("\nlatest  excluded_by_regex") != std::string::npos);
  BOOST_TEST(verbose.str().find("--verbose lists them") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_rules_single_platform_names_the_chosen_child) {
  const std::string tag =
      R"({"rule":"r","tags":[{"tag":"v1","action":"synced","source_digest":"sha256:aaaaaaaaaaaaaaaa",)"
      R"("chosen_digest":"sha256:5044bbbbbbbbbbbb","timestamp":null,"timestamp_kind":"created"}]})";
  std::ostringstream named, unnamed;
  BOOST_TEST(ReportPrinter::print(named, tag, {false, false, "linux/arm64"}).isOk());
  BOOST_TEST(named.str().find("v1   synced  linux/arm64 → sha256:5044bbbbbbbb  -") !=
             std::string::npos);
  BOOST_TEST(ReportPrinter::printReport(unnamed, tag).isOk());
  BOOST_TEST(unnamed.str().find("sha256:aaaaaaaaaaaa → sha256:5044bbbbbbbb") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(time_column_is_named_for_its_kind) {
  auto header = [](const std::string& kinds) {
    std::ostringstream out;
    std::string tags;
    for (char k : kinds) {
      const std::string kind = k == 'p' ? "pushed" : k == 'u' ? "uploaded" : "created";
      tags += std::string(tags.empty() ? "" : ",") + R"({"tag":"t","action":"synced","timestamp":"2024-01-01T00:00:00Z","timestamp_kind":")" + kind + "\"}";
    }
    BOOST_REQUIRE(ReportPrinter::printReport(out, R"({"rule":"r","tags":[)" + tags + "]}").isOk());
    const std::string text = out.str();
    const size_t start = text.find('\n') + 1;
    return text.substr(start, text.find('\n', start) - start);
  };
  BOOST_TEST(header("p") == "TAG  ACTION  DIGEST  PUSHED                REASON");
  BOOST_TEST(header("u") == "TAG  ACTION  DIGEST  UPLOADED              REASON");
  BOOST_TEST(header("c") == "TAG  ACTION  DIGEST  CREATED               REASON");
  BOOST_TEST(header("pc").find("TIME") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(schema_1_dry_run_and_budget) {
  std::ostringstream out;
  BOOST_TEST(ReportPrinter::printPlan(out,
      R"({"schema_version":1,"rule":"r","dry_run":true,"status":"succeeded",)"
      R"("counts":{"synced":1,"deferred":1},"totals":{"bytes":1500,"blobs":1,"blobs_reused":3,"duration_ms":900},)"
      R"("budget":{"limit":100,"remaining":40,"window_seconds":21600,"reset_at":"2024-05-01T16:00:00Z","pulls_needed":2},)"
      R"("tags":[{"tag":"v2","action":"synced","source_digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","timestamp":"2024-05-01T10:00:00Z","timestamp_kind":"pushed","reason":"absent in destination"},)"
      R"({"tag":"v1","action":"deferred","source_digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","timestamp":"2024-04-01T10:00:00Z","timestamp_kind":"pushed","reason":"pull budget"}]})").isOk());
  BOOST_TEST(out.str() ==
             "plan for rule r (dry run: nothing written)\n"
             "TAG  ACTION    DIGEST               PUSHED                REASON\n"
             "v2   synced    sha256:0123456789ab  2024-05-01T10:00:00Z  absent in destination\n"
             "v1   deferred  sha256:0123456789ab  2024-04-01T10:00:00Z  pull budget\n"
             "2 tags: 1 synced, 1 deferred; to fetch 1.5 kB in 1 blob, 3 blobs reused\n"
             "Docker Hub pull budget: 40 of 100 left per 6 h, resets 2024-05-01T16:00:00Z; "
             "this run needs 2\n");
}

BOOST_AUTO_TEST_CASE(a_failure_report_prints_its_error) {
  std::ostringstream out;
  BOOST_TEST(ReportPrinter::printReport(out,
      R"({"rule":"r","status":"failed","error":{"code":"RP_ERR_UNAVAILABLE","message":"connection refused"},"tags":[]})").isOk());
  BOOST_TEST(out.str() == "rule r: failed\nerror: RP_ERR_UNAVAILABLE: connection refused\n0 tags\n");
}

// The provider's earlier shape (digest, pushed_at, bytes_fetched…) still prints.
BOOST_AUTO_TEST_CASE(report_table_and_totals) {
  std::ostringstream out;
  const char report[] =
      R"({"rule":"nginx-stable","status":"partial","tags":[)"
      R"({"tag":"1.25.3","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","pushed_at":"2024-05-01T10:00:00Z","action":"synced","reason":"","bytes_fetched":52428800},)"
      R"({"tag":"1.25","digest":"sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210","action":"kept","reason":"kept: destination differs"},)"
      R"({"tag":"1.24","action":"failed","reason":"blob sha256:cc:\ndigest mismatch"}],)"
      R"("totals":{"bytes_fetched":52428800,"blobs_fetched":7,"blobs_reused":1,"duration_ms":2350}})";
  BOOST_TEST(ReportPrinter::printReport(out, report).isOk());
  BOOST_TEST(out.str() ==
             "rule nginx-stable: partial\n"
             "TAG     ACTION  DIGEST               TIME                  REASON\n"
             "1.25.3  synced  sha256:0123456789ab  2024-05-01T10:00:00Z\n"
             "1.25    kept    sha256:fedcba987654  -                     destination differs "
             "(set destination.overwrite: true to replace it)\n"
             "1.24    failed  -                    -                     blob sha256:cc: digest mismatch\n"
             "3 tags: 1 synced, 1 kept, 1 failed; fetched 52.4 MB in 7 blobs, 1 blob reused; "
             "2.4 s\n");
}

BOOST_AUTO_TEST_CASE(report_tolerates_missing_fields) {
  std::ostringstream out;
  BOOST_TEST(ReportPrinter::printReport(out, R"({"tags":[{"tag":"x"}, 5]})").isOk());
  BOOST_TEST(out.str() ==
             "rule (unnamed): finished\n"
             "TAG  ACTION  DIGEST  TIME  REASON\n"
             "x    -       -       -\n"
             "1 tag: 1 ?\n");
}

BOOST_AUTO_TEST_CASE(empty_report) {
  std::ostringstream out;
  BOOST_TEST(ReportPrinter::printReport(out, R"({"rule":"r","status":"succeeded","tags":[]})")
                 .isOk());
  BOOST_TEST(out.str() == "rule r: succeeded\n0 tags\n");
}

BOOST_AUTO_TEST_CASE(plan_table_shows_push_times_and_bytes_to_fetch) {
  std::ostringstream out;
  const char plan[] =
      R"({"rule":"r","tags":[)"
      R"({"tag":"v2","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","pushed_at":"2024-05-01T10:00:00Z","timestamp_source":"created","action":"sync","reason":"absent in destination","bytes_to_fetch":1500},)"
      R"({"tag":"v1","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","pushed_at":"2024-04-01T10:00:00Z","timestamp_source":"cached created","action":"unchanged","reason":"same digest","bytes_to_fetch":0}],)"
      R"("totals":{"bytes_to_fetch":1500,"blobs_to_fetch":1,"blobs_reused":3}})";
  BOOST_TEST(ReportPrinter::printPlan(out, plan).isOk());
  BOOST_TEST(out.str() ==
             "plan for rule r (dry run: nothing written)\n"
             "TAG  ACTION     DIGEST               CREATED               REASON\n"
             "v2   sync       sha256:0123456789ab  2024-05-01T10:00:00Z  absent in destination\n"
             "v1   unchanged  sha256:0123456789ab  2024-04-01T10:00:00Z  same digest\n"
             "2 tags: 1 sync, 1 unchanged; to fetch 1.5 kB in 1 blob, 3 blobs reused\n");
}

BOOST_AUTO_TEST_CASE(the_hosts_publishing_mode_ends_plan_and_report) {
  ReportPrinter::Options options;
  options.dryRun = true;
  options.publishing =
      "registry_api (blobs into storage, manifests and tags through http://127.0.0.1:5000)";
  std::ostringstream plan, report;
  BOOST_TEST(ReportPrinter::print(plan, R"({"rule":"r","tags":[]})", options).isOk());
  const std::string planText = plan.str();
  BOOST_TEST(planText.rfind("plan for rule r (dry run: nothing written)\n", 0) == 0, planText);
  const std::string planTail =
      "publish: registry_api (blobs into storage, manifests and tags through "
      "http://127.0.0.1:5000)\n";
  BOOST_TEST(planText.size() > planTail.size());
  BOOST_TEST(planText.compare(planText.size() - planTail.size(), planTail.size(), planTail) == 0,
             planText);
  options.dryRun = false;
  options.publishing = "storage (blobs, manifests and tags into /r)";
  BOOST_TEST(ReportPrinter::print(report, R"({"rule":"r","status":"succeeded","tags":[]})",
                                  options)
                 .isOk());
  const std::string reportText = report.str();
  const std::string reportTail = "publish: storage (blobs, manifests and tags into /r)\n";
  BOOST_TEST(reportText.rfind("rule r: succeeded\n", 0) == 0, reportText);
  BOOST_TEST(reportText.compare(reportText.size() - reportTail.size(), reportTail.size(),
                                reportTail) == 0,
             reportText);
}

BOOST_AUTO_TEST_CASE(not_json_is_an_error_and_prints_nothing) {
  std::ostringstream out;
  auto status = ReportPrinter::printReport(out, "not json");
  BOOST_TEST(!status.isOk());
  BOOST_TEST(status.message().rfind("the provider's report is not valid JSON", 0) == 0);
  BOOST_TEST(ReportPrinter::printPlan(out, "[1,2]").message() ==
             "the provider's plan is not a JSON object");
  BOOST_TEST(out.str().empty());
}

BOOST_AUTO_TEST_CASE(short_digest) {
  BOOST_TEST(ReportPrinter::shortDigest("sha256:0123456789abcdef") == "sha256:0123456789ab");
  BOOST_TEST(ReportPrinter::shortDigest("sha256:0123") == "sha256:0123");
  BOOST_TEST(ReportPrinter::shortDigest("") == "");
}

BOOST_AUTO_TEST_SUITE_END()
