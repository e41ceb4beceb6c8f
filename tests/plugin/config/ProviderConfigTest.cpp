// Provider config parsing (create's JSON) and the static info() document.
#include <boost/test/unit_test.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "StatusPrinting.h"
#include "tributary/plugin/engine/Provider.h"
#include "tributary/plugin/config/ProviderConfig.h"
#include "tributary/plugin/config/RuleValidator.h"
#include "tributary/plugin/source/SourceFactory.h"

using namespace tributary;
using namespace tributary::plugin;

BOOST_AUTO_TEST_SUITE(ProviderConfigTest)

BOOST_AUTO_TEST_CASE(empty_means_defaults) {
  for (const char* text : {"", "  ", "{}"}) {
    auto c = ProviderConfig::parse(text);
    BOOST_REQUIRE(c.isOk());
    BOOST_TEST(c->concurrency == 4);
    BOOST_TEST(!c->allowPrivateNetworks);
    BOOST_TEST(c->cacheDir.empty());
  }
}

BOOST_AUTO_TEST_CASE(full_config) {
  auto c = ProviderConfig::parse(
      R"({"concurrency":8,"insecure_registries":["127.0.0.1:5001"],"allow_private_networks":true,"ca_files":{"Reg.Example:443":"/etc/hostname"},"cache_dir":"/tmp"})");
  BOOST_REQUIRE_MESSAGE(c.isOk(), c.status().toString());
  BOOST_TEST(c->concurrency == 8);
  BOOST_TEST(c->insecureRegistries.count("127.0.0.1:5001") == 1u);
  BOOST_TEST(c->allowPrivateNetworks);
  BOOST_TEST(c->caFiles.at("reg.example:443") == "/etc/hostname");
  BOOST_TEST(c->cacheDir == "/tmp");
}

BOOST_AUTO_TEST_CASE(every_problem_reported) {
  auto c = ProviderConfig::parse(
      R"({"concurency":2,"concurrency":0,"insecure_registries":["http://x"],"ca_files":{"h:1":"/nonexistent/ca.crt"},"cache_dir":"/nonexistent-dir"})");
  BOOST_REQUIRE(!c.isOk());
  const std::string m = c.status().message();
  BOOST_TEST(m.find("unknown provider config key `concurency`") != std::string::npos, m);
  BOOST_TEST(m.find("concurrency must be a whole number 1..64, got 0") != std::string::npos, m);
  BOOST_TEST(m.find("insecure_registries[0] `http://x` must not include a scheme") != std::string::npos, m);
  BOOST_TEST(m.find("`/nonexistent/ca.crt` is not a readable file") != std::string::npos, m);
  BOOST_TEST(m.find("cache_dir `/nonexistent-dir` is not an existing directory") != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(acceleration_defaults) {
  auto c = ProviderConfig::parse("{}");
  BOOST_REQUIRE(c.isOk());
  BOOST_TEST(c->mirrors.empty());
  BOOST_TEST(c->rangeThresholdBytes == 32u * 1024 * 1024);
  BOOST_TEST(c->rangePartBytes == 8u * 1024 * 1024);
  BOOST_TEST(c->rangeParallelism == 4);
}

BOOST_AUTO_TEST_CASE(mirrors_and_range_keys) {
  auto c = ProviderConfig::parse(
      R"({"mirrors":{"Registry-1.Docker.IO":["mirror.local:5000","127.0.0.1:5002"],"unknown.example":["m.example"]},)"
      R"("range_threshold_bytes":1048576,"range_part_bytes":262144,"range_parallelism":8})");
  BOOST_REQUIRE_MESSAGE(c.isOk(), c.status().toString());
  BOOST_TEST(c->mirrors.size() == 2u);
  BOOST_TEST((c->mirrors.at("registry-1.docker.io") ==
              std::vector<std::string>{"mirror.local:5000", "127.0.0.1:5002"}));  // order kept
  BOOST_TEST(c->mirrors.at("unknown.example").size() == 1u);
  BOOST_TEST(c->rangeThresholdBytes == 1048576u);
  BOOST_TEST(c->rangePartBytes == 262144u);
  BOOST_TEST(c->rangeParallelism == 8);
}

BOOST_AUTO_TEST_CASE(mirror_and_range_problems_reported) {
  auto c = ProviderConfig::parse(
      R"({"mirrors":{"a.example":[],"b.example":"m.example","c.example":["http://m",7,"c.example","m.example","M.example"],"bad host":["m.example"]},)"
      R"("range_threshold_bytes":0,"range_part_bytes":1000,"range_parallelism":17})");
  BOOST_REQUIRE(!c.isOk());
  const std::string m = c.status().message();
  BOOST_TEST(m.find("mirrors[`a.example`] must be a non-empty array of host[:port] strings") != std::string::npos, m);
  BOOST_TEST(m.find("mirrors[`b.example`] must be a non-empty array") != std::string::npos, m);
  BOOST_TEST(m.find("mirrors[`c.example`][0] `http://m` must not include a scheme") != std::string::npos, m);
  BOOST_TEST(m.find("mirrors[`c.example`][1] must be a host[:port] string") != std::string::npos, m);
  BOOST_TEST(m.find("mirrors[`c.example`][2] `c.example` is the origin itself") != std::string::npos, m);
  BOOST_TEST(m.find("mirrors[`c.example`] lists `m.example` twice") != std::string::npos, m);
  BOOST_TEST(m.find("mirrors key `bad host`") != std::string::npos, m);
  BOOST_TEST(m.find("range_threshold_bytes must be a whole number 1..") != std::string::npos, m);
  BOOST_TEST(m.find("range_part_bytes must be a whole number 65536..268435456, got 1000") != std::string::npos, m);
  BOOST_TEST(m.find("range_parallelism must be a whole number 1..16, got 17") != std::string::npos, m);

  auto notObject = ProviderConfig::parse(R"({"mirrors":["m.example"],"range_parallelism":"4"})");
  BOOST_REQUIRE(!notObject.isOk());
  BOOST_TEST(notObject.status().message().find("mirrors must be an object") != std::string::npos);
  BOOST_TEST(notObject.status().message().find("range_parallelism must be a whole number 1..16, got 4") != std::string::npos,
             notObject.status().message());
}

BOOST_AUTO_TEST_CASE(timeout_seconds_default_and_bounds) {
  auto defaults = ProviderConfig::parse("{}");
  BOOST_REQUIRE(defaults.isOk());
  BOOST_TEST(defaults->timeoutSeconds == 30);
  for (int seconds : {1, 90, 3600}) {
    auto c = ProviderConfig::parse("{\"timeout_seconds\":" + std::to_string(seconds) + "}");
    BOOST_REQUIRE_MESSAGE(c.isOk(), c.status().toString());
    BOOST_TEST(c->timeoutSeconds == seconds);
  }
}

BOOST_AUTO_TEST_CASE(timeout_seconds_problems_reported) {
  for (const auto& [value, shown] : std::vector<std::pair<std::string, std::string>>{
           {"0", "0"}, {"3601", "3601"}, {"-5", "-5"}, {"\"30\"", "30"}, {"2.5", "2.5"},
           {"null", "null"}, {"true", "true"}}) {
    auto c = ProviderConfig::parse("{\"timeout_seconds\":" + value + "}");
    BOOST_REQUIRE_MESSAGE(!c.isOk(), value);
    BOOST_TEST(c.status().code() == StatusCode::kInvalidArgument);
    BOOST_TEST(c.status().message() == "timeout_seconds must be a whole number 1..3600, got " + shown,
               c.status().message());
  }
  // Reported alongside the other problems, not instead of them.
  auto c = ProviderConfig::parse(R"({"timeout_second":5,"timeout_seconds":0,"concurrency":true})");
  BOOST_REQUIRE(!c.isOk());
  const std::string m = c.status().message();
  BOOST_TEST(m.find("unknown provider config key `timeout_second`") != std::string::npos, m);
  BOOST_TEST(m.find("timeout_seconds, ") != std::string::npos, m);  // in the list of known keys
  BOOST_TEST(m.find("timeout_seconds must be a whole number 1..3600, got 0") != std::string::npos, m);
  BOOST_TEST(m.find("concurrency must be a whole number 1..64, got true") != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(timeout_seconds_reaches_the_origin_and_every_mirror_client) {
  auto rule = RuleValidator::validate(
      R"({"name":"t","source":{"type":"custom","domain":"origin.example","repository":"up/app"},)"
      R"("destination":{"repository":"mirror/app"},"acceleration":true})");
  BOOST_REQUIRE_MESSAGE(rule.isOk(), rule.status().toString());
  JsonFileCache created("");
  NullLogger logger;
  for (int seconds : {30, 7}) {
    auto config = ProviderConfig::parse(
        R"({"mirrors":{"origin.example":["m1.example","m2.example:5000"]})" +
        (seconds == 30 ? std::string() : ",\"timeout_seconds\":" + std::to_string(seconds)) + "}");
    BOOST_REQUIRE_MESSAGE(config.isOk(), config.status().toString());
    auto session = SourceFactory::open(*rule, *config, {}, {}, created, logger);
    BOOST_REQUIRE_MESSAGE(session.isOk(), session.status().toString());
    const auto want = std::chrono::milliseconds(seconds * 1000);
    BOOST_TEST(((*session)->client->options().timeout == want));
    BOOST_REQUIRE((*session)->mirrorClients.size() == 2u);
    for (const auto& mirror : (*session)->mirrorClients)
      BOOST_TEST((mirror->options().timeout == want));
  }
}

BOOST_AUTO_TEST_CASE(info_is_json_with_source_limits) {
  Poco::JSON::Parser parser;
  auto info = parser.parse(Provider::info()).extract<Poco::JSON::Object::Ptr>();
  BOOST_TEST(info->getValue<std::string>("name") == "tributary");
  auto types = info->getArray("source_types");
  BOOST_REQUIRE(types);
  BOOST_REQUIRE(types->size() == 4u);
  BOOST_TEST(types->getObject(0)->getValue<std::string>("type") == "dockerhub");
  BOOST_TEST(types->getObject(0)->getValue<int>("max_latest_n") == 5);
  BOOST_TEST(types->getObject(3)->getValue<bool>("requires_domain"));
  BOOST_TEST(info->getObject("rule_schema"));
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_errors_that_name_the_known_ones_and_the_closest) {
  auto c = ProviderConfig::parse(R"({"concurency":2,"report_excluded":true,"zzz":1})");
  BOOST_REQUIRE(!c.isOk());
  const std::string m = c.status().message();
  BOOST_TEST(m.find("unknown provider config key `concurency` (known: allow_private_networks, "
                    "ca_files, cache_dir, cache_read_only, concurrency, dockerhub_budget_reserve, endpoints, "
                    "insecure_registries, low_speed_limit_bytes, low_speed_time_seconds, "
                    "max_tag_list_bytes, max_tags, mirrors, range_parallelism, range_part_bytes, "
                    "range_threshold_bytes, report_excluded_tags, task_timeout_seconds, "
                    "timeout_seconds); did you mean `concurrency`?") !=
                 std::string::npos,
             m);
  BOOST_TEST(m.find("did you mean `report_excluded_tags`?") != std::string::npos, m);
  const size_t zzz = m.find("unknown provider config key `zzz` (known:");
  BOOST_REQUIRE(zzz != std::string::npos);
  const std::string zzzLine = m.substr(zzz, m.find('\n', zzz) - zzz);
  BOOST_TEST(zzzLine.find("did you mean") == std::string::npos, zzzLine);  // nothing resembles it
}

BOOST_AUTO_TEST_CASE(report_excluded_tags_is_a_boolean_defaulting_to_false) {
  BOOST_TEST(!ProviderConfig::parse("{}")->reportExcludedTags);
  BOOST_TEST(ProviderConfig::parse(R"({"report_excluded_tags":true})")->reportExcludedTags);
  auto bad = ProviderConfig::parse(R"({"report_excluded_tags":"yes"})");
  BOOST_REQUIRE(!bad.isOk());
  BOOST_TEST(bad.status().message() == "report_excluded_tags must be true or false, got a string");
}

BOOST_AUTO_TEST_CASE(hostile_source_bounds_default_and_parse) {
  auto d = ProviderConfig::parse("{}");
  BOOST_REQUIRE(d.isOk());
  BOOST_TEST(d->lowSpeedLimitBytes == 1024u);
  BOOST_TEST(d->lowSpeedTimeSeconds == 60);
  BOOST_TEST(d->maxTags == 100000);
  BOOST_TEST(d->maxTagListBytes == (64ull << 20));
  BOOST_TEST(d->taskTimeoutSeconds == 0);
  auto t = ProviderConfig::parse(R"({"task_timeout_seconds":5})");
  BOOST_REQUIRE(t.isOk());
  BOOST_TEST(t->taskTimeoutSeconds == 5);
  BOOST_TEST(!ProviderConfig::parse(R"({"task_timeout_seconds":-1})").isOk());
  auto c = ProviderConfig::parse(R"({"low_speed_limit_bytes":0,"low_speed_time_seconds":5,)"
                                 R"("max_tags":10,"max_tag_list_bytes":1048576})");
  BOOST_REQUIRE_MESSAGE(c.isOk(), c.status().toString());
  BOOST_TEST(c->lowSpeedLimitBytes == 0u);
  BOOST_TEST(c->lowSpeedTimeSeconds == 5);
  BOOST_TEST(c->maxTags == 10);
  BOOST_TEST(c->maxTagListBytes == 1048576u);
  auto bad = ProviderConfig::parse(R"({"low_speed_limit_bytes":-1,"low_speed_time_seconds":0,)"
                                   R"("max_tags":0,"max_tag_list_bytes":1000})");
  BOOST_REQUIRE(!bad.isOk());
  const std::string m = bad.status().message();
  for (const char* key : {"low_speed_limit_bytes must", "low_speed_time_seconds must", "max_tags must",
                          "max_tag_list_bytes must"})
    BOOST_TEST(m.find(key) != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(vendor_endpoints_default_to_the_real_hosts_and_can_be_overridden) {
  auto d = ProviderConfig::parse("{}");
  BOOST_REQUIRE(d.isOk());
  BOOST_TEST(d->endpoints.dockerhubRegistry == "https://registry-1.docker.io");
  BOOST_TEST(d->endpoints.dockerhubAuth == "https://auth.docker.io/token");
  BOOST_TEST(d->endpoints.dockerhubHubApi == "https://hub.docker.com");
  BOOST_TEST(d->endpoints.gcrRegistry == "https://gcr.io");
  BOOST_TEST(d->endpoints.quayApi == "https://quay.io");
  BOOST_TEST(d->dockerhubBudgetReserve == 0);
  auto c = ProviderConfig::parse(
      R"({"endpoints":{"dockerhub":{"registry":"https://127.0.0.1:5443","auth":"https://127.0.0.1:5444/token"},)"
      R"("quay":{"api":"https://quay.mirror.internal"}},"dockerhub_budget_reserve":10})");
  BOOST_REQUIRE_MESSAGE(c.isOk(), c.status().toString());
  BOOST_TEST(c->endpoints.dockerhubRegistry == "https://127.0.0.1:5443");
  BOOST_TEST(c->endpoints.dockerhubAuth == "https://127.0.0.1:5444/token");
  BOOST_TEST(c->endpoints.dockerhubHubApi == "https://hub.docker.com");
  BOOST_TEST(c->endpoints.quayApi == "https://quay.mirror.internal");
  BOOST_TEST(c->dockerhubBudgetReserve == 10);
}

BOOST_AUTO_TEST_CASE(bad_vendor_endpoints_are_named) {
  auto c = ProviderConfig::parse(
      R"({"endpoints":{"dockerhub":{"registry":"ftp://x","hub":"https://h"},"ecr":{},)"
      R"("gcr":{"registry":"https://gcr.io/v2/path"}},"dockerhub_budget_reserve":-1})");
  BOOST_REQUIRE(!c.isOk());
  const std::string m = c.status().message();
  BOOST_TEST(m.find("endpoints.dockerhub.registry `ftp://x` must start with https://") != std::string::npos, m);
  BOOST_TEST(m.find("`endpoints.dockerhub.hub`") != std::string::npos, m);
  BOOST_TEST(m.find("`endpoints.ecr`") != std::string::npos, m);
  BOOST_TEST(m.find("must not carry a path") != std::string::npos, m);
  BOOST_TEST(m.find("dockerhub_budget_reserve must be a whole number 0..") != std::string::npos, m);
}

BOOST_AUTO_TEST_SUITE_END()
