// SyncCommand in-process against the loader tests' good provider (GOOD_PROVIDER, from CMake).
#include "tributary/sync/SyncCommand.h"

#include <signal.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <thread>

#include "TempDirectory.h"

using tributary::sync::SyncCommand;
using tributary::sync::SyncOptions;

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
  // INFO lines would repeat the table: only with --verbose.
  BOOST_TEST(r.err.empty());
  Run verbose = run(R"({"name":"ok"})", {"--verbose"});
  BOOST_TEST(verbose.err.find("tributary: INFO: test-good: executing\n") != std::string::npos);
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
  BOOST_TEST(r.out.find("1.24  failed  sha256:bbbbbbbbbbbb  -                     blob sha256:cc: "
                        "digest mismatch") != std::string::npos);
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
                               "/absent.yml`: No such file or directory\n");
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

BOOST_AUTO_TEST_CASE(json_prints_a_failure_report_when_the_run_cannot_happen) {
  Run r = run(R"({"name":"UNREACHABLE","source":{"type":"custom","domain":"h:1","repository":"a/b"},)"
              R"("destination":{"repository":"m/b"}})",
              {"--json"});
  BOOST_TEST(r.exitCode == 1);
  BOOST_TEST(r.out ==
             R"({"schema_version":1,"rule":"UNREACHABLE","source":{"type":"custom","registry":"h:1",)"
             R"("repository":"a/b"},"destination":{"repository":"m/b"},"dry_run":false,"status":"failed",)"
             R"("error":{"code":"RP_ERR_UNAVAILABLE","message":"sync failed: RP_ERR_UNAVAILABLE: )"
             R"(registry-1.docker.io: connection refused"},"counts":{"synced":0,"unchanged":0,"kept":0,)"
             R"("skipped":0,"deferred":0,"failed":0,"beyond_latest_n":0,"excluded_by_regex":0},)"
             R"("totals":{"bytes":0,"blobs":0,"blobs_reused":0,"duration_ms":0,"ranged_blobs":0,)"
             R"("ranged_bytes":0,"mirror_blobs":0,"mirror_bytes":0},"notes":[],"tags":[]})"
             "\n");
  BOOST_TEST(r.err.find("tributary: error: sync failed") == 0);

  // Before the rule is even read: a bad config still gives a report (empty rule fields).
  dir.write("config.yml", "storage:\n  filesystem:\n    rootdirectory: /x\nreplication:\n  providr: {}\n");
  Run bad = run(R"({"name":"ok"})", {"--json", "--dry-run"});
  BOOST_TEST(bad.exitCode == 2);
  BOOST_TEST(bad.out.rfind(R"({"schema_version":1,"rule":"","source":{"type":"",)", 0) == 0);
  BOOST_TEST(bad.out.find(R"("dry_run":true,"status":"failed","error":{"code":"RP_ERR_INVALID_ARGUMENT","message":")" +
                          config + ": replication.providr is not a known key") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_report_with_an_error_is_explained_on_stderr_and_sets_the_exit_code) {
  Run human = run(R"({"name":"REFUSED"})");
  BOOST_TEST(human.exitCode == 2);  // the configuration refuses the source
  BOOST_TEST(human.out.rfind("rule test: failed\nerror: RP_ERR_PERMISSION_DENIED: refusing", 0) == 0);
  BOOST_TEST(human.err.find("tributary: error: sync failed: RP_ERR_PERMISSION_DENIED: refusing to "
                            "connect") == 0);
  BOOST_TEST(human.err.find("(set replication.provider.config.allow_private_networks: true in " +
                            config + ")") != std::string::npos);
  Run json = run(R"({"name":"REFUSED"})", {"--json"});
  BOOST_TEST(json.exitCode == 2);
  BOOST_TEST(json.out.rfind(R"({"schema_version":1,"rule":"test",)", 0) == 0);  // the provider's
}

BOOST_AUTO_TEST_CASE(an_undefined_credential_is_bad_input_listing_the_defined_ones) {
  Run r = run(R"({"name":"ok","source":{"credential":"hbu"}})");
  BOOST_TEST(r.exitCode == 2);
  BOOST_TEST(r.err.find("source.credential `hbu` is not defined in replication.credentials of " +
                        config + " (defined: `hub`)") != std::string::npos);
  BOOST_TEST(r.out.empty());
}

BOOST_AUTO_TEST_CASE(a_401_names_the_credential_used) {
  // The test provider always asks for `hub` and answers 401 when it cannot be read (no hubpw
  // file); the rule names `ci`, which the host checks and finds readable.
  dir.write("cipw", "s3cret\n");
  dir.write("config.yml", "storage:\n  filesystem:\n    rootdirectory: " + dir.path() +
                              "/root\nreplication:\n  credentials:\n"
                              "    hub: { username: bot, password_file: hubpw }\n"
                              "    ci: { username: robot, password_file: cipw }\n");
  Run failed = run(R"({"name":"NEEDS_SECRET","source":{"credential":"ci"}})");
  BOOST_TEST(failed.exitCode == 1);
  BOOST_TEST(failed.err.find("RP_ERR_UNAUTHENTICATED") != std::string::npos);
  BOOST_TEST(failed.err.find("(credential `ci` from replication.credentials, username `robot`)") !=
             std::string::npos);
  BOOST_TEST(failed.err.find("s3cret") == std::string::npos);
  Run anonymous = run(R"({"name":"NEEDS_SECRET"})");
  BOOST_TEST(anonymous.exitCode == 1);
  BOOST_TEST(anonymous.err.find("the rule names no source.credential, so the source was read "
                                "anonymously; defined in replication.credentials: `ci`, `hub`") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unreadable_password_file_is_bad_input_before_any_request) {
  Run r = run(R"({"name":"UNREACHABLE","source":{"credential":"hub"}})");
  BOOST_TEST(r.exitCode == 2);
  BOOST_TEST(r.err.find(config + ": replication.credentials.hub: credential `hub`: cannot read "
                        "password_file `" + dir.path() + "/hubpw`") != std::string::npos);
  BOOST_TEST(r.err.find("connection refused") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_provider_config_refusal_names_the_yaml_path) {
  dir.write("config.yml", "storage:\n  filesystem:\n    rootdirectory: " + dir.path() +
                              "/root\nreplication:\n  provider:\n    config:\n      reject: 1\n");
  Run r = run(R"({"name":"ok"})");
  BOOST_TEST(r.exitCode == 2);
  BOOST_TEST(r.err.find("refused replication.provider.config:\n" + config +
                        ": replication.provider.config.reject: provider config: `reject` is set") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unusable_storage_root_exits_3_before_any_network_work) {
  // Running as root, access(2) grants everything: a root whose v2 path is a file stands in for
  // one this user cannot write (the CLI integration test covers a real other user).
  dir.write("config.yml", "storage:\n  filesystem:\n    rootdirectory: " + dir.path() + "/file-root\n");
  dir.write("file-root", "not a directory");
  Run r = run(R"({"name":"UNREACHABLE"})");
  BOOST_TEST(r.exitCode == 3);
  BOOST_TEST(r.err.find("storage.filesystem.rootdirectory `" + dir.path() +
                        "/file-root` cannot be used") != std::string::npos);
  BOOST_TEST(r.err.find("connection refused") == std::string::npos);  // never got that far
}

BOOST_AUTO_TEST_CASE(a_bad_library_in_the_config_names_its_yaml_path) {
  dir.write("config.yml", "storage:\n  filesystem:\n    rootdirectory: " + dir.path() +
                              "/root\nreplication:\n  provider:\n    library: /nope.so\n");
  auto options = SyncOptions::parse({"--config", config, "--rule", dir.write("r.json", "{}")});
  BOOST_REQUIRE(options.isOk());
  std::ostringstream out, err;
  BOOST_TEST(SyncCommand(std::move(options).value(), out, err).run() == 2);
  BOOST_TEST(err.str() == "tributary: error: " + config +
                              ": replication.provider.library: provider library `/nope.so` does "
                              "not exist\n");
}

BOOST_AUTO_TEST_CASE(a_dry_run_creates_nothing) {
  dir.write("config.yml", "storage:\n  filesystem:\n    rootdirectory: " + dir.path() +
                              "/absent-root\n");
  Run r = run(R"({"name":"ok"})", {"--dry-run"});
  BOOST_TEST(r.exitCode == 0);
  BOOST_TEST(::access((dir.path() + "/absent-root").c_str(), F_OK) != 0);
  Run json = run(R"({"name":"ok"})", {"--dry-run", "--json"});
  BOOST_TEST(json.exitCode == 0);
  BOOST_TEST(::access((dir.path() + "/absent-root").c_str(), F_OK) != 0);
}

BOOST_AUTO_TEST_CASE(a_rule_that_is_not_json_says_where) {
  Run r = run("{\n  \"name\": \"ok\",\n  \"policy\": {\"latest_n\": tru}\n}\n");
  BOOST_TEST(r.exitCode == 2);
  BOOST_TEST(r.err.find("is not valid JSON: line 3, column 26: expected `true`") !=
             std::string::npos);
  Run trailing = run("{\"name\": \"ok\"}}");
  BOOST_TEST(trailing.err.find("line 1, column 15: unexpected text after the JSON value") !=
             std::string::npos);
  Run cut = run("{\"name\": \"ok\", ");
  BOOST_TEST(cut.err.find("line 1, column 16: expected a \"key\" in quotes, found the end of "
                          "the text") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
