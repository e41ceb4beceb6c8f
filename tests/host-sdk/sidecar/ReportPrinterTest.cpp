#include "tributary/sidecar/ReportPrinter.h"

#include <boost/test/unit_test.hpp>

#include <sstream>

using tributary::sidecar::ReportPrinter;

BOOST_AUTO_TEST_SUITE(ReportPrinterTest)

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
             "TAG     ACTION  DIGEST               REASON\n"
             "1.25.3  synced  sha256:0123456789ab\n"
             "1.25    kept    sha256:fedcba987654  kept: destination differs\n"
             "1.24    failed  -                    blob sha256:cc: digest mismatch\n"
             "3 tags: 1 synced, 1 kept, 1 failed; fetched 52.4 MB in 7 blobs, 1 blob reused; "
             "2.4 s\n");
}

BOOST_AUTO_TEST_CASE(report_tolerates_missing_fields) {
  std::ostringstream out;
  BOOST_TEST(ReportPrinter::printReport(out, R"({"tags":[{"tag":"x"}, 5]})").isOk());
  BOOST_TEST(out.str() ==
             "rule (unnamed): finished\n"
             "TAG  ACTION  DIGEST  REASON\n"
             "x    -       -\n"
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
      R"({"tag":"v1","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","pushed_at":"2024-04-01T10:00:00Z","action":"unchanged","reason":"same digest","bytes_to_fetch":0}],)"
      R"("totals":{"bytes_to_fetch":1500,"blobs_to_fetch":1,"blobs_reused":3}})";
  BOOST_TEST(ReportPrinter::printPlan(out, plan).isOk());
  BOOST_TEST(out.str() ==
             "plan for rule r (dry run: nothing written)\n"
             "TAG  ACTION     DIGEST               PUSHED                REASON\n"
             "v2   sync       sha256:0123456789ab  2024-05-01T10:00:00Z  absent in destination\n"
             "v1   unchanged  sha256:0123456789ab  2024-04-01T10:00:00Z  same digest\n"
             "2 tags: 1 sync, 1 unchanged; to fetch 1.5 kB in 1 blob, 3 blobs reused\n");
}

BOOST_AUTO_TEST_CASE(the_hosts_publishing_mode_follows_the_plan_header_and_ends_the_report) {
  std::ostringstream plan, report;
  BOOST_TEST(ReportPrinter::printPlan(plan, R"({"rule":"r","tags":[]})",
                                      "registry_api (blobs into storage, manifests and tags "
                                      "through http://127.0.0.1:5000)")
                 .isOk());
  BOOST_TEST(plan.str() ==
             "plan for rule r (dry run: nothing written)\n"
             "publish: registry_api (blobs into storage, manifests and tags through "
             "http://127.0.0.1:5000)\n"
             "0 tags\n");
  BOOST_TEST(ReportPrinter::printReport(report, R"({"rule":"r","status":"succeeded","tags":[]})",
                                        "storage (blobs, manifests and tags into /r)")
                 .isOk());
  BOOST_TEST(report.str() ==
             "rule r: succeeded\n0 tags\npublish: storage (blobs, manifests and tags into /r)\n");
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
