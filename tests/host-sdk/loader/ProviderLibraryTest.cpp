#define BOOST_TEST_MODULE loader_tests
#include "tributary/loader/ProviderLibrary.h"

#include <boost/test/unit_test.hpp>

#include <string>

#include "FakeHost.h"

// Module paths come from CMake ($<TARGET_FILE:...>), see CMakeLists.txt.
using tributary::StatusCode;
using tributary::loader::ProviderLibrary;

namespace {

std::string lib(const char* path) { return "provider library `" + std::string(path) + "`"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(ProviderLibraryTest)

BOOST_AUTO_TEST_CASE(good_provider_loads_negotiates_and_runs) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(GOOD_PROVIDER, host.table());
  BOOST_REQUIRE_MESSAGE(loaded.isOk(), loaded.status().toString());
  const ProviderLibrary& library = **loaded;
  BOOST_TEST(library.abiVersion() == RP_ABI_VERSION_1);
  BOOST_TEST(library.path() == GOOD_PROVIDER);
  BOOST_TEST(library.table().struct_size == sizeof(rp_provider_v1));

  auto info = library.info();
  BOOST_REQUIRE(info.isOk());
  BOOST_TEST(info.value() == R"({"name":"test-good","version":"0.0.1","source_types":[]})");

  auto instance = library.createInstance("{}");
  BOOST_REQUIRE_MESSAGE(instance.isOk(), instance.status().toString());
  BOOST_TEST(static_cast<bool>(instance.value()));

  rp::ProviderReply valid = instance->validateRule(R"({"name":"x"})");
  BOOST_TEST(valid.ok());
  BOOST_TEST(valid.json == R"({"name":"x"})");

  rp::ProviderReply invalid = instance->validateRule(R"({"name":"INVALID"})");
  BOOST_TEST(invalid.status == RP_ERR_INVALID_ARGUMENT);
  BOOST_TEST(invalid.json.empty());
  BOOST_TEST(invalid.message ==
             "policy.latest_n: must be 1..5 for dockerhub (got 9)\nsource.repository: missing");
  BOOST_TEST(invalid.describe().rfind("RP_ERR_INVALID_ARGUMENT: policy.latest_n", 0) == 0);

  rp::ProviderReply plan = instance->plan("{}", nullptr);
  BOOST_TEST(plan.ok());
  BOOST_TEST(plan.json.find(R"("action":"sync")") != std::string::npos);

  rp::ProviderReply report = instance->execute("{}", nullptr);
  BOOST_TEST(report.ok());
  BOOST_TEST(report.json.find(R"("status":"succeeded")") != std::string::npos);

  rp::ProviderReply unreachable = instance->execute(R"({"x":"UNREACHABLE"})", nullptr);
  BOOST_TEST(unreachable.status == RP_ERR_UNAVAILABLE);
  BOOST_TEST(unreachable.message == "registry-1.docker.io: connection refused");

  const auto logs = host.logs();
  BOOST_TEST(logs.size() == 3u);  // created, executing, executing
  BOOST_TEST(logs.at(1) == "test-good: executing");
}

BOOST_AUTO_TEST_CASE(loading_twice_gives_the_same_table) {
  // The library stays loaded (never dlclose'd), so a second load finds the same code.
  FakeHost host;
  auto first = ProviderLibrary::load(GOOD_PROVIDER, host.table());
  auto second = ProviderLibrary::load(GOOD_PROVIDER, host.table());
  BOOST_REQUIRE(first.isOk());
  BOOST_REQUIRE(second.isOk());
  BOOST_TEST(reinterpret_cast<void*>((*first)->table().execute) ==
             reinterpret_cast<void*>((*second)->table().execute));
}

BOOST_AUTO_TEST_CASE(missing_file_is_not_found_and_names_the_path) {
  FakeHost host;
  const char* path = "/nonexistent-tributary-dir/libnothing.so";
  auto loaded = ProviderLibrary::load(path, host.table());
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(static_cast<int>(loaded.status().code()) == static_cast<int>(StatusCode::kNotFound));
  BOOST_TEST(loaded.status().message() == lib(path) + " does not exist");
}

BOOST_AUTO_TEST_CASE(directory_is_not_a_regular_file) {
  FakeHost host;
  auto loaded = ProviderLibrary::load("/tmp", host.table());
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(loaded.status().message() == lib("/tmp") + " is not a regular file");
}

BOOST_AUTO_TEST_CASE(text_file_is_not_a_shared_object_with_dlerror_text) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(TEXT_FILE_SO, host.table());
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(static_cast<int>(loaded.status().code()) ==
             static_cast<int>(StatusCode::kFailedPrecondition));
  const std::string message = loaded.status().message();
  const std::string prefix = "cannot load " + lib(TEXT_FILE_SO) + " as a shared object: ";
  BOOST_TEST_MESSAGE(message);
  BOOST_TEST(message.rfind(prefix, 0) == 0);
  // glibc's dlerror text names the file and the reason.
  BOOST_TEST(message.substr(prefix.size()).find(TEXT_FILE_SO) != std::string::npos);
  BOOST_TEST((message.find("invalid ELF header") != std::string::npos ||
              message.find("file too short") != std::string::npos));
}

BOOST_AUTO_TEST_CASE(missing_entry_symbol) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(MISSING_SYMBOL_PROVIDER, host.table());
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(loaded.status().message() ==
             lib(MISSING_SYMBOL_PROVIDER) +
                 " does not export `rp_provider_negotiate`: not an rp replication provider");
}

BOOST_AUTO_TEST_CASE(provider_newer_than_host) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(WRONG_VERSION_PROVIDER, host.table());
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(loaded.status().message() ==
             lib(WRONG_VERSION_PROVIDER) +
                 " needs a newer host: it speaks rp ABI version 2 (highest) and none of "
                 "version 1; this host speaks rp ABI version 1");
}

BOOST_AUTO_TEST_CASE(provider_older_than_host) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(WRONG_VERSION_PROVIDER, host.table(), 3, 4);
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(loaded.status().message() ==
             lib(WRONG_VERSION_PROVIDER) +
                 " is too old for this host: it speaks rp ABI versions up to 2; this host "
                 "speaks rp ABI versions 3..4");
}

BOOST_AUTO_TEST_CASE(good_provider_is_too_old_for_a_v2_only_host) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(GOOD_PROVIDER, host.table(), 2, 2);
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(loaded.status().message() ==
             lib(GOOD_PROVIDER) +
                 " is too old for this host: it speaks rp ABI versions up to 1; this host "
                 "speaks rp ABI version 2");
}

BOOST_AUTO_TEST_CASE(table_too_small) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(SMALL_TABLE_PROVIDER, host.table());
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(loaded.status().message() ==
             lib(SMALL_TABLE_PROVIDER) +
                 " filled a provider table too small for rp ABI version 1: 32 bytes, this "
                 "host needs 64 (missing: validate_rule, plan, execute, free_str)");
}

BOOST_AUTO_TEST_CASE(required_functions_null) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(NULL_FUNCTION_PROVIDER, host.table());
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(loaded.status().message() ==
             lib(NULL_FUNCTION_PROVIDER) + " left required provider functions NULL: plan, execute");
}

BOOST_AUTO_TEST_CASE(create_failure_carries_the_providers_status_and_message) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(FAILING_CREATE_PROVIDER, host.table());
  BOOST_REQUIRE_MESSAGE(loaded.isOk(), loaded.status().toString());
  auto instance = (*loaded)->createInstance("{}");
  BOOST_REQUIRE(!instance.isOk());
  BOOST_TEST(static_cast<int>(instance.status().code()) ==
             static_cast<int>(StatusCode::kInvalidArgument));
  BOOST_TEST(instance.status().message() ==
             lib(FAILING_CREATE_PROVIDER) +
                 " refused its configuration (RP_ERR_INVALID_ARGUMENT): config.mirrors[0]: not "
                 "a URL: `::`");
}

BOOST_AUTO_TEST_CASE(good_provider_rejects_config_and_a_too_small_host_table) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(GOOD_PROVIDER, host.table());
  BOOST_REQUIRE(loaded.isOk());
  auto rejected = (*loaded)->createInstance(R"({"reject":true})");
  BOOST_REQUIRE(!rejected.isOk());
  BOOST_TEST(rejected.status().message().find("provider config: `reject` is set") !=
             std::string::npos);

  // A host built against an older header whose table ends before `log`.
  host.mutableTable().struct_size = offsetof(rp_host_v1, log);
  auto old = (*loaded)->createInstance("{}");
  BOOST_REQUIRE(!old.isOk());
  BOOST_TEST(old.status().message().find("(RP_ERR_INCOMPATIBLE): host table lacks: log") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
