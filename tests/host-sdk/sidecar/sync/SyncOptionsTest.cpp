#include "tributary/sync/SyncOptions.h"

#include <boost/test/unit_test.hpp>

using tributary::sync::SyncOptions;

namespace {
std::string error(const std::vector<std::string>& args) {
  auto options = SyncOptions::parse(args);
  BOOST_REQUIRE(!options.isOk());
  return options.status().message();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(SyncOptionsTest)

BOOST_AUTO_TEST_CASE(all_flags_in_both_spellings) {
  auto options = SyncOptions::parse(
      {"--config", "/etc/c.yml", "--rule=r.json", "--dry-run", "--json", "--library=/l.so", "-v"});
  BOOST_REQUIRE(options.isOk());
  BOOST_TEST(options->configPath == "/etc/c.yml");
  BOOST_TEST(options->rulePath == "r.json");
  BOOST_TEST(options->libraryPath == "/l.so");
  BOOST_TEST(options->dryRun);
  BOOST_TEST(options->json);
  BOOST_TEST(options->logLevel == RP_LOG_DEBUG);
  auto quiet = SyncOptions::parse({"--config=c", "--rule", "r", "--quiet"});
  BOOST_REQUIRE(quiet.isOk());
  BOOST_TEST(quiet->logLevel == RP_LOG_ERROR);
  BOOST_TEST(!quiet->dryRun);
  BOOST_TEST(quiet->libraryPath.empty());
  auto plain = SyncOptions::parse({"--config=c", "--rule", "r"});
  BOOST_REQUIRE(plain.isOk());
  BOOST_TEST(plain->logLevel == RP_LOG_WARN);  // INFO lines would repeat the table
}

BOOST_AUTO_TEST_CASE(bad_flags_are_precise) {
  BOOST_TEST(error({"--config", "c", "--rule", "r", "--force"}) == "unknown option `--force`");
  BOOST_TEST(error({"--config", "c", "--rule"}) == "option --rule needs a value");
  BOOST_TEST(error({"--config=", "--rule", "r"}) == "option --config has an empty value");
  BOOST_TEST(error({"--config", "c", "--rule", "r", "--json=yes"}) ==
             "option --json takes no value");
  BOOST_TEST(error({"--rule", "r"}) == "missing --config <config.yml>");
  BOOST_TEST(error({"--config", "c"}) == "missing --rule <rule.json>");
  BOOST_TEST(error({"--config", "c", "--rule", "r", "-v", "-q"}) ==
             "--verbose and --quiet exclude each other");
  BOOST_TEST(error({"--config", "c", "--rule", "a.json", "--rule", "b.json"}) ==
             "option --rule is given twice");
  BOOST_TEST(error({"--config", "c", "--config=d", "--rule", "r"}) ==
             "option --config is given twice");
}

BOOST_AUTO_TEST_SUITE_END()
