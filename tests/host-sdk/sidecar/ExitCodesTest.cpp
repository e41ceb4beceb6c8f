#include "tributary/sidecar/ExitCodes.h"

#include <boost/test/unit_test.hpp>

using namespace tributary::sidecar;

BOOST_AUTO_TEST_SUITE(ExitCodesTest)

BOOST_AUTO_TEST_CASE(execute_succeeds_only_when_every_tag_did) {
  BOOST_TEST(exitCodeForExecute(RP_OK, R"({"status":"succeeded","tags":[{"action":"synced"},)"
                                       R"({"action":"unchanged"},{"action":"kept"}]})") == 0);
  BOOST_TEST(exitCodeForExecute(RP_OK, R"({"status":"partial","tags":[]})") == 1);
  // Deferred for the pull budget is not a failure; deferred next to a failed tag still is.
  BOOST_TEST(exitCodeForExecute(RP_OK, R"({"status":"partial","tags":[{"action":"synced"},)"
                                       R"({"action":"deferred"}]})") == 0);
  BOOST_TEST(exitCodeForExecute(RP_OK, R"({"status":"partial","tags":[{"action":"deferred"},)"
                                       R"({"action":"failed"}]})") == 1);
  BOOST_TEST(exitCodeForExecute(RP_OK, R"({"status":"failed"})") == 1);
  // A report that says succeeded but lists a failed tag is not trusted.
  BOOST_TEST(exitCodeForExecute(RP_OK, R"({"status":"succeeded","tags":[{"action":"failed"}]})") ==
             1);
  // Without "status", the tags decide.
  BOOST_TEST(exitCodeForExecute(RP_OK, R"({"tags":[{"action":"synced"}]})") == 0);
  BOOST_TEST(exitCodeForExecute(RP_OK, R"({"tags":[{"action":"failed"}]})") == 1);
}

BOOST_AUTO_TEST_CASE(execute_errors_and_garbage_fail) {
  BOOST_TEST(exitCodeForExecute(RP_ERR_UNAVAILABLE, "") == 1);
  BOOST_TEST(exitCodeForExecute(RP_ERR_CANCELLED, R"({"status":"succeeded"})") == 1);
  BOOST_TEST(exitCodeForExecute(RP_ERR_INVALID_ARGUMENT, "") == 1);
  BOOST_TEST(exitCodeForExecute(RP_OK, "not json") == 1);
  BOOST_TEST(exitCodeForExecute(RP_OK, "[]") == 1);
}

BOOST_AUTO_TEST_CASE(validation_and_plan_input_errors_are_bad_input) {
  BOOST_TEST(exitCodeForValidation(RP_OK) == 0);
  BOOST_TEST(exitCodeForValidation(RP_ERR_INVALID_ARGUMENT) == 2);
  BOOST_TEST(exitCodeForValidation(RP_ERR_NOT_FOUND) == 2);
  BOOST_TEST(exitCodeForValidation(RP_ERR_INTERNAL) == 1);
  BOOST_TEST(exitCodeForValidation(12345) == 1);  // unknown = generic error
  BOOST_TEST(exitCodeForPlan(RP_OK) == 0);
  BOOST_TEST(exitCodeForPlan(RP_ERR_UNAVAILABLE) == 1);
  BOOST_TEST(exitCodeForPlan(RP_ERR_INVALID_ARGUMENT) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
