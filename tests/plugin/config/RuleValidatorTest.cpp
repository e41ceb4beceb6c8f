// Every rule validation problem and its text; defaults and normalisation.
#define BOOST_TEST_MODULE plugin_tests
#include <boost/test/unit_test.hpp>

#include <string>

#include "tributary/plugin/config/RuleValidator.h"

using namespace tributary;
using namespace tributary::plugin;

namespace {

const std::string kMinimal =
    R"({"name":"r1","source":{"type":"custom","domain":"Registry.Example.org:5000","repository":"team/app"},"destination":{"repository":"mirror/app"}})";

// Builds a rule from pieces so each test changes one thing.
std::string rule(const std::string& source, const std::string& extra = "",
                 const std::string& destination = R"({"repository":"mirror/app"})") {
  return R"({"name":"r1","source":)" + source + R"(,"destination":)" + destination +
         (extra.empty() ? "" : "," + extra) + "}";
}
const std::string kCustom = R"({"type":"custom","domain":"reg.example.org","repository":"team/app"})";

std::string errorOf(const std::string& json) {
  auto r = RuleValidator::validate(json);
  BOOST_REQUIRE_MESSAGE(!r.isOk(), "expected rejection of " << json);
  BOOST_TEST(static_cast<int>(r.status().code()) == static_cast<int>(StatusCode::kInvalidArgument));
  return r.status().message();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(RuleValidatorTest)

BOOST_AUTO_TEST_CASE(applies_defaults_and_normalises) {
  auto r = RuleValidator::validate(kMinimal);
  BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
  BOOST_TEST(r->toJson() ==
             R"({"name":"r1","source":{"type":"custom","domain":"registry.example.org:5000","repository":"team/app"},"policy":{"tag_regex":".*","latest_n":5,"platforms":[]},"destination":{"repository":"mirror/app","overwrite":false},"acceleration":false,"update_period":"manual"})");
  // Normalised output validates to itself.
  auto again = RuleValidator::validate(r->toJson());
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST(again->toJson() == r->toJson());
}

BOOST_AUTO_TEST_CASE(full_rule_round_trips) {
  auto r = RuleValidator::validate(rule(
      R"({"type":"dockerhub","repository":"nginx","credential":"hub-ro"})",
      R"("policy":{"tag_regex":"1\\.2[0-9]","latest_n":3,"platforms":["linux/amd64","Linux/AArch64","linux/arm64/v8","linux/arm"]},"acceleration":true,"update_period":"24h")",
      R"({"repository":"mirror/nginx","overwrite":true})"));
  BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
  BOOST_TEST(r->source.repository == "library/nginx");
  BOOST_TEST(r->source.domain.empty());
  BOOST_TEST(r->source.credential == "hub-ro");
  BOOST_TEST(r->policy.latestN == 3);
  BOOST_REQUIRE(r->policy.platforms.size() == 3u);  // aarch64 == arm64/v8 == arm64
  BOOST_TEST(r->policy.platforms[1].toString() == "linux/arm64");
  BOOST_TEST(r->policy.platforms[2].toString() == "linux/arm/v7");
  BOOST_TEST(r->destination.overwrite);
  BOOST_TEST(r->acceleration);
  BOOST_TEST(r->updatePeriod == "24h");
}

BOOST_AUTO_TEST_CASE(gcr_domain_defaults_and_is_checked) {
  auto r = RuleValidator::validate(rule(R"({"type":"gcr","repository":"proj/sub/app"})"));
  BOOST_REQUIRE(r.isOk());
  BOOST_TEST(r->source.domain == "gcr.io");
  auto ar = RuleValidator::validate(
      rule(R"({"type":"gcr","domain":"europe-west1-docker.pkg.dev","repository":"proj/repo/app"})"));
  BOOST_TEST(ar.isOk());
  std::string e = errorOf(rule(R"({"type":"gcr","domain":"evil.example","repository":"p/a"})"));
  BOOST_TEST(contains(e, "source.domain `evil.example` is not a Google registry"));
}

BOOST_AUTO_TEST_CASE(gcr_host_may_lead_the_repository_as_docker_pull_names_it) {
  auto ar = RuleValidator::validate(
      rule(R"({"type":"gcr","repository":"us-docker.pkg.dev/proj/repo/img"})"));
  BOOST_REQUIRE_MESSAGE(ar.isOk(), ar.status().toString());
  BOOST_TEST(ar->source.domain == "us-docker.pkg.dev");
  BOOST_TEST(ar->source.repository == "proj/repo/img");
  auto eu = RuleValidator::validate(rule(R"({"type":"gcr","repository":"eu.gcr.io/proj/app"})"));
  BOOST_REQUIRE(eu.isOk());
  BOOST_TEST(eu->source.domain == "eu.gcr.io");
  std::string e = errorOf(
      rule(R"({"type":"gcr","domain":"gcr.io","repository":"asia.gcr.io/proj/app"})"));
  BOOST_TEST(contains(e, "give the host in one place"));
}

BOOST_AUTO_TEST_CASE(invalid_regex_reports_pcre2_message_and_offset) {
  std::string e = errorOf(rule(kCustom, R"("policy":{"tag_regex":"("})"));
  BOOST_TEST(e == "tag regex `(` is invalid: missing closing parenthesis at offset 1");
  std::string e2 = errorOf(rule(kCustom, R"("policy":{"tag_regex":"v[0-9"})"));
  BOOST_TEST(contains(e2, "tag regex `v[0-9` is invalid: missing terminating ] for character class at offset 5"));
  BOOST_TEST(contains(errorOf(rule(kCustom, R"("policy":{"tag_regex":""})")),
                      "policy.tag_regex is empty"));
}

BOOST_AUTO_TEST_CASE(latest_n_limits_name_the_source_max) {
  BOOST_TEST(errorOf(rule(R"({"type":"dockerhub","repository":"library/nginx"})",
                          R"("policy":{"latest_n":6})")) ==
             "policy.latest_n is 6; dockerhub sources allow 1..5");
  BOOST_TEST(errorOf(rule(kCustom, R"("policy":{"latest_n":31})")) ==
             "policy.latest_n is 31; custom sources allow 1..30");
  BOOST_TEST(errorOf(rule(R"({"type":"quay","repository":"coreos/etcd"})",
                          R"("policy":{"latest_n":0})")) ==
             "policy.latest_n is 0; quay sources allow 1..30");
  BOOST_TEST(contains(errorOf(rule(kCustom, R"("policy":{"latest_n":2.5})")),
                      "policy.latest_n must be a whole number"));
  BOOST_TEST(RuleValidator::validate(rule(kCustom, R"("policy":{"latest_n":30})")).isOk());
}

BOOST_AUTO_TEST_CASE(bad_source_repository) {
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","domain":"r.example","repository":"app"})")),
                      "source.repository `app` must be <namespace>/<repository>"));
  std::string upper = errorOf(rule(R"({"type":"custom","domain":"r.example","repository":"Team/app"})"));
  BOOST_TEST(contains(upper, "source.repository name `Team/app`"));
  BOOST_TEST(contains(upper, "lowercase"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","domain":"r.example","repository":"team/../x"})")),
                      "source.repository name `team/../x`"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"dockerhub","repository":"a/b/c"})")),
                      "Docker Hub repositories are <namespace>/<repository>"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","domain":"r.example"})")),
                      "source.repository is required"));
}

BOOST_AUTO_TEST_CASE(bad_destination_repository) {
  BOOST_TEST(contains(errorOf(rule(kCustom, "", R"({"repository":"/abs"})")),
                      "destination.repository name `/abs` is an absolute path"));
  BOOST_TEST(contains(errorOf(rule(kCustom, "", R"({"repository":"mirror//x"})")),
                      "destination.repository name `mirror//x`: component `` is empty"));
  BOOST_TEST(contains(errorOf(rule(kCustom, "", R"({"overwrite":true})")),
                      "destination.repository is required"));
  BOOST_TEST(contains(errorOf(rule(kCustom, "", R"({"repository":"m/x","overwrite":"yes"})")),
                      "destination.overwrite must be true or false, got a string"));
}

BOOST_AUTO_TEST_CASE(bad_platform_strings) {
  std::string e = errorOf(rule(kCustom, R"("policy":{"platforms":["linux","linux/amd64/v2/x","linux//v7","linux/am d64",5]})"));
  BOOST_TEST(contains(e, "policy.platforms[0]: platform `linux` is invalid: expected os/arch[/variant]"));
  BOOST_TEST(contains(e, "policy.platforms[1]: platform `linux/amd64/v2/x` is invalid"));
  BOOST_TEST(contains(e, "policy.platforms[2]: platform `linux//v7` is invalid: architecture is empty"));
  BOOST_TEST(contains(e, "policy.platforms[3]: platform `linux/am d64` is invalid: architecture may only contain"));
  BOOST_TEST(contains(e, "policy.platforms[4] must be a string"));
  BOOST_TEST(contains(errorOf(rule(kCustom, R"("policy":{"platforms":"linux/amd64"})")),
                      "policy.platforms must be an array"));
}

BOOST_AUTO_TEST_CASE(update_period_grammar) {
  auto ok = [](const std::string& p) {
    return RuleValidator::validate(rule(kCustom, "\"update_period\":\"" + p + "\"")).isOk();
  };
  BOOST_TEST(ok("manual"));
  BOOST_TEST(ok("15m"));
  BOOST_TEST(ok("6h"));
  BOOST_TEST(ok("7d"));
  BOOST_TEST(ok("0 3 * * *"));
  BOOST_TEST(ok("*/15 1-5,22 1 jan-jun MON-fri"));
  BOOST_TEST(errorOf(rule(kCustom, R"("update_period":"0h")")) ==
             "update_period `0h` is invalid: the interval must be at least 1");
  BOOST_TEST(contains(errorOf(rule(kCustom, R"("update_period":"daily")")),
                      "update_period `daily` is invalid: expected manual, <N>m, <N>h, <N>d or a 5-field cron expression"));
  BOOST_TEST(contains(errorOf(rule(kCustom, R"("update_period":"61 * * * *")")),
                      "minute field `61`: `61` is out of range 0-59"));
  BOOST_TEST(contains(errorOf(rule(kCustom, R"("update_period":"* * * *")")),
                      "a cron expression has 5 fields"));
  BOOST_TEST(contains(errorOf(rule(kCustom, R"("update_period":"* * * foo *")")),
                      "month field `foo`: `foo` is not a number or a month name"));
  BOOST_TEST(contains(errorOf(rule(kCustom, R"("update_period":"*/0 * * * *")")),
                      "step `0` must be a positive number"));
  BOOST_TEST(contains(errorOf(rule(kCustom, R"("update_period":"366d")")),
                      "longer than a year"));
}

BOOST_AUTO_TEST_CASE(unknown_source_type_and_domain_rules) {
  BOOST_TEST(errorOf(rule(R"({"type":"ecr","repository":"a/b"})")) ==
             "source.type `ecr` is unknown; expected one of dockerhub, gcr, quay, custom");
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","repository":"a/b"})")),
                      "source.domain is required for custom sources"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"quay","domain":"quay.io","repository":"a/b"})")),
                      "source.domain is not used by quay sources"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","domain":"https://r.example","repository":"a/b"})")),
                      "source.domain `https://r.example` must not include a scheme"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","domain":"r.example:99999","repository":"a/b"})")),
                      "has port `99999`; expected a number 1..65535"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","domain":"r.example/v2","repository":"a/b"})")),
                      "may not contain a path"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","domain":"-bad.example","repository":"a/b"})")),
                      "DNS label starting or ending with `-`"));
  BOOST_TEST(RuleValidator::validate(rule(R"({"type":"custom","domain":"127.0.0.1:5001","repository":"a/b"})")).isOk());
  BOOST_TEST(RuleValidator::validate(rule(R"({"type":"custom","domain":"[::1]:5001","repository":"a/b"})")).isOk());
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_reported) {
  std::string e = errorOf(rule(kCustom, R"("polcy":{},"policy":{"latestN":3})"));
  BOOST_TEST(contains(e, "unknown field `polcy`"));
  BOOST_TEST(contains(e, "unknown field `policy.latestN` (known: latest_n, platforms, tag_regex)"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","domain":"r.x","repository":"a/b","tag":"x"})")),
                      "unknown field `source.tag`"));
}

BOOST_AUTO_TEST_CASE(reports_every_problem_one_per_line) {
  std::string e = errorOf(
      R"({"name":"bad name","source":{"type":"custom","repository":"A"},"policy":{"tag_regex":"(","latest_n":99},"destination":{"repository":""},"update_period":"1x"})");
  size_t lines = 1;
  for (char c : e) lines += c == '\n';
  BOOST_TEST(lines == 7u, e);
  BOOST_TEST(contains(e, "name `bad name` is invalid"));
  BOOST_TEST(contains(e, "source.domain is required"));
  BOOST_TEST(contains(e, "tag regex `(` is invalid"));
  BOOST_TEST(contains(e, "policy.latest_n is 99; custom sources allow 1..30"));
  BOOST_TEST(contains(e, "destination.repository name is empty"));
  BOOST_TEST(contains(e, "update_period `1x` is invalid"));
  BOOST_TEST(e.back() != '\n');
}

BOOST_AUTO_TEST_CASE(malformed_json_and_wrong_types) {
  BOOST_TEST(contains(errorOf("{"), "rule is not valid JSON"));
  BOOST_TEST(errorOf("[1]") == "rule must be a JSON object, got an array");
  BOOST_TEST(contains(errorOf(R"({"name":"r","source":"custom","destination":{"repository":"a"}})"),
                      "source must be an object, got a string"));
  BOOST_TEST(contains(errorOf(rule(R"({"type":"custom","domain":"r.x","repository":"a/b","credential":"bad name!"})")),
                      "source.credential `bad name!` is not a valid secret name"));
}

BOOST_AUTO_TEST_CASE(an_unknown_field_close_to_a_known_one_gets_a_guess) {
  auto r = RuleValidator::validate(
      R"({"name":"n","source":{"type":"custom","domain":"r.example","repository":"a/b"},)"
      R"("policy":{"latestN":3},"destination":{"repository":"m/b","overwrit":true}})");
  BOOST_REQUIRE(!r.isOk());
  const std::string m = r.status().message();
  BOOST_TEST(m.find("unknown field `policy.latestN` (known: latest_n, platforms, tag_regex); "
                    "did you mean `policy.latest_n`?") != std::string::npos,
             m);
  BOOST_TEST(m.find("did you mean `destination.overwrite`?") != std::string::npos, m);
}

BOOST_AUTO_TEST_SUITE_END()
