// The real libtributary.so through the host SDK's loader: what a host sees at the boundary.
#define BOOST_TEST_MODULE plugin_abi_tests
#include <boost/test/unit_test.hpp>

#include <dlfcn.h>

#include <cstring>
#include <string>

#include "FakeHost.h"
#include "StorageTestSupport.h"
#include "rp/host.hpp"
#include "rp/replication_provider.h"
#include "tributary/loader/ProviderLibrary.h"
#include "tributary/storage/StorageTable.h"

using tributary::loader::ProviderLibrary;

namespace {

std::string lib() { return "provider library `" + std::string(TRIBUTARY_PLUGIN) + "`"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(ProviderAbiTest)

// RP_ERR_INCOMPATIBLE carries the highest version the provider speaks (the header's promise),
// so the loader can say which side is behind, in both directions.
BOOST_AUTO_TEST_CASE(a_host_offering_only_newer_versions_hears_the_provider_is_too_old) {
  FakeHost host;
  auto loaded = ProviderLibrary::load(TRIBUTARY_PLUGIN, host.table(), 2, 3);
  BOOST_REQUIRE(!loaded.isOk());
  BOOST_TEST(loaded.status().message() ==
             lib() + " is too old for this host: it speaks rp ABI versions up to 1; this host "
                     "speaks rp ABI versions 2..3");
}

namespace {

// rp_provider_negotiate straight from the library, for ranges the loader itself refuses.
rp_provider_negotiate_fn negotiateFn() {
  void* handle = ::dlopen(TRIBUTARY_PLUGIN, RTLD_NOW | RTLD_LOCAL);  // never dlclose()d
  BOOST_REQUIRE(handle != nullptr);
  auto fn = reinterpret_cast<rp_provider_negotiate_fn>(::dlsym(handle, RP_PROVIDER_ENTRY_SYMBOL));
  BOOST_REQUIRE(fn != nullptr);
  return fn;
}

}  // namespace

// Version 1 is the lowest there is, so a host older than the provider offers [0, 0]; the
// loader refuses such a range, but the provider's answer must still say it speaks 1.
BOOST_AUTO_TEST_CASE(a_host_below_version_1_hears_the_provider_speaks_1) {
  rp_provider_v1 table;
  std::memset(&table, 0, sizeof table);
  table.struct_size = sizeof table;
  BOOST_TEST(negotiateFn()(0, 0, nullptr, &table) == RP_ERR_INCOMPATIBLE);
  BOOST_TEST(table.abi_version == RP_ABI_VERSION_1);
  BOOST_TEST(table.info == nullptr);
}

BOOST_AUTO_TEST_CASE(incompatible_answer_sets_abi_version_and_leaves_functions_null) {
  rp_provider_v1 table;
  std::memset(&table, 0, sizeof table);
  table.struct_size = sizeof table;
  BOOST_TEST(negotiateFn()(7, 9, nullptr, &table) == RP_ERR_INCOMPATIBLE);
  BOOST_TEST(table.abi_version == RP_ABI_VERSION_1);
  BOOST_TEST(table.info == nullptr);
  BOOST_TEST(table.execute == nullptr);
}

// A run that cannot happen still reports, across the ABI: the error status, and the report
// with status failed, the error's ABI name and the reason text exactly as a host shows it.
BOOST_AUTO_TEST_CASE(an_unreachable_source_is_reported_as_a_failed_run_with_the_error) {
  storage_test::TempDir dir;
  auto storage = tributary::storage::DistributionStorage::open(dir.path());
  BOOST_REQUIRE(storage.isOk());
  rp_storage_v1 table = tributary::storage::makeStorageTable(**storage);
  FakeHost host;
  host.mutableTable().storage = &table;
  host.mutableTable().free_str = tributary::storage::freeHostString;
  auto loaded = ProviderLibrary::load(TRIBUTARY_PLUGIN, host.table());
  BOOST_REQUIRE_MESSAGE(loaded.isOk(), loaded.status().toString());
  auto instance = (*loaded)->createInstance(
      R"({"insecure_registries":["127.0.0.1:1"],"allow_private_networks":true,"timeout_seconds":5})");
  BOOST_REQUIRE_MESSAGE(instance.isOk(), instance.status().toString());
  const std::string rule =
      R"({"name":"gone","source":{"type":"custom","domain":"127.0.0.1:1","repository":"up/app"},)"
      R"("destination":{"repository":"mirror/app"}})";
  for (bool dryRun : {true, false}) {
    rp::ProviderReply reply = dryRun ? instance->plan(rule, nullptr) : instance->execute(rule, nullptr);
    BOOST_TEST(reply.status == RP_ERR_UNAVAILABLE, rp_status_str(reply.status));
    BOOST_TEST(reply.message.find("UNAVAILABLE") == std::string::npos, reply.message);
    BOOST_REQUIRE_MESSAGE(!reply.json.empty(), reply.message);
    BOOST_TEST(reply.json.find(std::string("\"dry_run\":") + (dryRun ? "true" : "false") +
                               ",\"status\":\"failed\",\"error\":{\"code\":\"RP_ERR_UNAVAILABLE\","
                               "\"message\":" ) != std::string::npos,
               reply.json);
    BOOST_TEST(reply.json.find("\"source\":{\"type\":\"custom\",\"registry\":\"127.0.0.1:1\","
                               "\"repository\":\"up/app\"}") != std::string::npos,
               reply.json);
    BOOST_TEST(reply.json.find("\"tags\":[]}") != std::string::npos, reply.json);
  }
}

BOOST_AUTO_TEST_SUITE_END()
