// SyncCommand in-process against the loader tests' good provider (GOOD_PROVIDER, from CMake).
#include "tributary/sidecar/SyncCommand.h"

#include <signal.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <thread>

#include "TempDirectory.h"

using tributary::sidecar::SyncCommand;
using tributary::sidecar::SyncOptions;

namespace {

struct Fixture {
  TempDirectory dir;
  std::string config;
  Fixture() {
    config = dir.write("config.yml", "storage:\n  filesystem:\n    rootdirectory: " + dir.path() +
                                         "/root\nreplication:\n  credentials:\n"
                                         "    hub: { username: bot, password_file: hubpw }\n");
  }
  struct Run {
    int exitCode;
    std::string out;
    std::string err;
  };
  Run run(const std::string& rule, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--config", config, "--rule", dir.write("rule.json", rule),
                                     "--library", GOOD_PROVIDER};
    args.insert(args.end(), extra.begin(), extra.end());
    auto options = SyncOptions::parse(args);
    BOOST_REQUIRE(options.isOk());
    std::ostringstream out, err;
    const int code = SyncCommand(std::move(options).value(), out, err).run();
    return Run{code, out.str(), err.str()};
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(SyncCommandTest, Fixture)

BOOST_AUTO_TEST_CASE(successful_sync_prints_the_table_and_exits_0) {
  Run r = run(R"({"name":"ok"})");
  BOOST_TEST(r.exitCode == 0);
  BOOST_TEST(r.out.rfind("rule test: succeeded\nTAG   ACTION", 0) == 0);
  BOOST_TEST(r.err == "tributary: INFO: test-good: executing\n");
}

BOOST_AUTO_TEST_CASE(json_output_is_the_providers_json_verbatim) {
  Run r = run(R"({"name":"ok"})", {"--json", "--quiet"});
  BOOST_TEST(r.exitCode == 0);
  BOOST_TEST(r.out.rfind(R"({"rule":"test","status":"succeeded","tags":[{"tag":"1.25",)", 0) == 0);
  BOOST_TEST(r.out.back() == '\n');
  BOOST_TEST(r.err.empty());
}

BOOST_AUTO_TEST_CASE(dry_run_prints_the_plan) {
  Run r = run(R"({"name":"ok"})", {"--dry-run"});
  BOOST_TEST(r.exitCode == 0);
  BOOST_TEST(r.out.rfind("plan for rule test (dry run: nothing written)\n", 0) == 0);
  BOOST_TEST(r.err.find("executing") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(invalid_rule_exits_2_with_the_providers_message) {
  Run r = run(R"({"name":"INVALID"})");
  BOOST_TEST(r.exitCode == 2);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err.find("(RP_ERR_INVALID_ARGUMENT):\npolicy.latest_n: must be 1..5 for dockerhub "
                        "(got 9)\nsource.repository: missing\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(partial_report_exits_1) {
  Run r = run(R"({"name":"PARTIAL"})");
  BOOST_TEST(r.exitCode == 1);
  BOOST_TEST(r.out.find("1.24  failed  sha256:bbbbbbbbbbbb  blob sha256:cc: digest mismatch") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(execute_error_exits_1_with_status_and_message) {
  Run r = run(R"({"name":"UNREACHABLE"})");
  BOOST_TEST(r.exitCode == 1);
  BOOST_TEST(r.err.find("tributary: error: sync failed: RP_ERR_UNAVAILABLE: "
                        "registry-1.docker.io: connection refused") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_is_read_from_password_file_through_the_host) {
  Run missing = run(R"({"name":"NEEDS_SECRET"})");
  BOOST_TEST(missing.exitCode == 1);
  BOOST_TEST(missing.err.find("RP_ERR_UNAUTHENTICATED: credential `hub`: "
                              "RP_ERR_FAILED_PRECONDITION: credential `hub`: cannot read "
                              "password_file") != std::string::npos);
  dir.write("hubpw", "hunter2\n");
  Run present = run(R"({"name":"NEEDS_SECRET"})");
  BOOST_TEST(present.exitCode == 0);
  BOOST_TEST(present.err.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_library_and_config_exit_2_naming_the_path) {
  auto options = SyncOptions::parse({"--config", config, "--rule", dir.write("r.json", "{}"),
                                     "--library", dir.path() + "/nope.so"});
  BOOST_REQUIRE(options.isOk());
  std::ostringstream out, err;
  BOOST_TEST(SyncCommand(std::move(options).value(), out, err).run() == 2);
  BOOST_TEST(err.str() == "tributary: error: provider library `" + dir.path() +
                              "/nope.so` does not exist\n");

  auto noConfig = SyncOptions::parse({"--config", dir.path() + "/absent.yml", "--rule", "r"});
  BOOST_REQUIRE(noConfig.isOk());
  std::ostringstream out2, err2;
  BOOST_TEST(SyncCommand(std::move(noConfig).value(), out2, err2).run() == 2);
  BOOST_TEST(err2.str() == "tributary: error: cannot read registry config `" + dir.path() +
                               "/absent.yml`\n");
}

BOOST_AUTO_TEST_CASE(missing_rule_file_exits_2) {
  auto options = SyncOptions::parse({"--config", config, "--rule", dir.path() + "/none.json"});
  BOOST_REQUIRE(options.isOk());
  std::ostringstream out, err;
  BOOST_TEST(SyncCommand(std::move(options).value(), out, err).run() == 2);
  BOOST_TEST(err.str() == "tributary: error: cannot read rule file `" + dir.path() +
                              "/none.json`: No such file or directory\n");
}

BOOST_AUTO_TEST_CASE(sigint_cancels_the_running_sync) {
  std::thread interrupter([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    ::kill(::getpid(), SIGINT);
  });
  Run r = run(R"({"name":"WAIT_CANCEL"})");
  interrupter.join();
  BOOST_TEST(r.exitCode == 1);
  BOOST_TEST(r.err.find("sync failed (cancelled by signal): RP_ERR_CANCELLED: cancelled by the "
                        "host") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
