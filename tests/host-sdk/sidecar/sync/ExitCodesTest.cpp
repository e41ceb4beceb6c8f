#include "tributary/sync/ExitCodes.h"

#include <boost/test/unit_test.hpp>

using namespace tributary::sync;

BOOST_AUTO_TEST_SUITE(ExitCodesTest)

BOOST_AUTO_TEST_CASE(report_succeeds_only_when_every_tag_did) {
  BOOST_TEST(exitCodeForReport(R"({"status":"succeeded","tags":[{"action":"synced"},)"
                               R"({"action":"unchanged"},{"action":"kept"},)"
                               R"({"action":"deferred"},{"action":"beyond_latest_n"}]})") == 0);
  BOOST_TEST(exitCodeForReport(R"({"status":"partial","tags":[]})") == 1);
  BOOST_TEST(exitCodeForReport(R"({"status":"failed"})") == 1);
  // A report that says succeeded but lists a failed tag is not trusted.
  BOOST_TEST(exitCodeForReport(R"({"status":"succeeded","tags":[{"action":"failed"}]})") == 1);
  // Without "status" (a plan of the earlier shape), the tags decide.
  BOOST_TEST(exitCodeForReport(R"({"tags":[{"action":"sync"}]})") == 0);
  BOOST_TEST(exitCodeForReport(R"({"tags":[{"action":"failed"}]})") == 1);
  // Schema 1: partial because something was deferred is success; counts.failed decides.
  BOOST_TEST(exitCodeForReport(R"({"status":"partial","counts":{"failed":0,"deferred":2}})") == 0);
  BOOST_TEST(exitCodeForReport(R"({"status":"partial","counts":{"failed":1,"deferred":2}})") == 1);
  BOOST_TEST(exitCodeForReport("not json") == 1);
  BOOST_TEST(exitCodeForReport("[]") == 1);
}

BOOST_AUTO_TEST_CASE(a_report_error_exits_with_the_code_of_its_status) {
  BOOST_TEST(exitCodeForReport(
                 R"({"status":"failed","error":{"code":"RP_ERR_UNAVAILABLE","message":"x"}})") == 1);
  BOOST_TEST(exitCodeForReport(
                 R"({"status":"failed","error":{"code":"RP_ERR_INVALID_ARGUMENT","message":""}})") == 2);
  BOOST_TEST(exitCodeForReport(R"({"status":"failed","error":{"code":"RP_ERR_IO"}})") == 3);
  BOOST_TEST(exitCodeForReport(R"({"status":"failed","error":{"code":"RP_OK"}})") == 1);
  BOOST_TEST(exitCodeForReport(R"({"status":"failed","error":{"code":"bogus"}})") == 1);
}

BOOST_AUTO_TEST_CASE(a_run_that_could_not_happen_has_one_code_per_cause) {
  // The source could not be read: 1.
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_UNAVAILABLE, "connection refused") == 1);
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_UNAUTHENTICATED, "401") == 1);
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_NOT_FOUND, "repository not found") == 1);
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_PERMISSION_DENIED, "HTTP 403") == 1);
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_RATE_LIMITED, "") == 1);
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_CANCELLED, "") == 1);
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_INTERNAL, "") == 1);
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_FAILED_PRECONDITION, "TLS certificate not trusted") == 1);
  // The configuration refuses the source, or the input is wrong: 2.
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_PERMISSION_DENIED,
                                   "refusing to connect to source 127.0.0.1: loopback address") == 2);
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_UNIMPLEMENTED, "source type quay is not available") == 2);
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_INVALID_ARGUMENT, "") == 2);
  // Local storage: 3.
  BOOST_TEST(exitCodeForRunFailure(RP_ERR_IO, "EACCES") == 3);
}

BOOST_AUTO_TEST_CASE(validation_errors_are_bad_input) {
  BOOST_TEST(exitCodeForValidation(RP_OK) == 0);
  BOOST_TEST(exitCodeForValidation(RP_ERR_INVALID_ARGUMENT) == 2);
  BOOST_TEST(exitCodeForValidation(RP_ERR_NOT_FOUND) == 2);
  BOOST_TEST(exitCodeForValidation(RP_ERR_UNIMPLEMENTED) == 2);
  BOOST_TEST(exitCodeForValidation(RP_ERR_INTERNAL) == 1);
  BOOST_TEST(exitCodeForValidation(12345) == 1);  // unknown = generic error
}

BOOST_AUTO_TEST_CASE(status_names_round_trip) {
  BOOST_TEST(statusFromName("RP_ERR_NOT_FOUND") == RP_ERR_NOT_FOUND);
  BOOST_TEST(statusFromName("RP_OK") == RP_OK);
  BOOST_TEST(statusFromName("RP_ERR_UNKNOWN") == RP_ERR_INTERNAL);
  BOOST_TEST(statusFromName("nonsense") == RP_ERR_INTERNAL);
}

BOOST_AUTO_TEST_SUITE_END()
