#include "tributary/sync/FailureReport.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <boost/test/unit_test.hpp>

using tributary::sync::FailureReport;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(FailureReportTest)

BOOST_AUTO_TEST_CASE(fills_what_the_rule_says_and_defaults_the_registry) {
  auto report = parse(FailureReport::build(
      R"({"name":"hub","source":{"type":"dockerhub","repository":"library/nginx"},)"
      R"("destination":{"repository":"mirror/nginx"}})",
      true, RP_ERR_UNAVAILABLE, "connection \"refused\"\n"));
  BOOST_TEST(report->getValue<int>("schema_version") == 1);
  BOOST_TEST(report->getValue<std::string>("rule") == "hub");
  BOOST_TEST(report->getObject("source")->getValue<std::string>("registry") == "registry-1.docker.io");
  BOOST_TEST(report->getObject("destination")->getValue<std::string>("repository") ==
             "mirror/nginx");
  BOOST_TEST(report->getValue<bool>("dry_run"));
  BOOST_TEST(report->getValue<std::string>("status") == "failed");
  BOOST_TEST(report->getObject("error")->getValue<std::string>("code") == "RP_ERR_UNAVAILABLE");
  BOOST_TEST(report->getObject("error")->getValue<std::string>("message") ==
             "connection \"refused\"\n");
  BOOST_TEST(report->getObject("counts")->size() == 8u);
  BOOST_TEST(report->getObject("totals")->size() == 8u);
  BOOST_TEST(report->getArray("tags")->size() == 0u);
}

BOOST_AUTO_TEST_CASE(an_unreadable_rule_leaves_the_fields_empty) {
  auto report = parse(FailureReport::build("{not json", false, RP_ERR_INVALID_ARGUMENT, "bad"));
  BOOST_TEST(report->getValue<std::string>("rule").empty());
  BOOST_TEST(report->getObject("source")->getValue<std::string>("type").empty());
  BOOST_TEST(!report->getValue<bool>("dry_run"));
  auto custom = parse(FailureReport::build(
      R"({"source":{"type":"custom","domain":"r.example:5000"}})", false, RP_ERR_IO, "x"));
  BOOST_TEST(custom->getObject("source")->getValue<std::string>("registry") == "r.example:5000");
}

BOOST_AUTO_TEST_SUITE_END()
