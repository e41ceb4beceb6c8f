#include "tributary/host/HostServices.h"

#include <boost/test/unit_test.hpp>

#include <sstream>

#include "TempDirectory.h"
#include "rp/provider.hpp"

using tributary::config::Credential;
using tributary::host::HostServices;

namespace {

std::map<std::string, Credential, std::less<>> credentials(const std::string& passwordFile) {
  std::map<std::string, Credential, std::less<>> map;
  map["inline"] = Credential{"alice", std::string("pa\"ss"), ""};
  map["file"] = Credential{"bot", std::nullopt, passwordFile};
  return map;
}

struct SecretCall {
  rp_status status;
  std::string value;
  std::string error;
};

SecretCall secretGet(const HostServices& host, const std::string& name) {
  const rp_host_v1* table = host.table();
  rp::HostOwnedString value(table);
  rp::HostOwnedString error(table);
  const rp_status status =
      table->secret_get(table->user_data, rp_str{name.data(), name.size()}, value.out(),
                        error.out());
  return SecretCall{status, value.str(), error.str()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(HostServicesTest)

BOOST_AUTO_TEST_CASE(table_is_complete_and_names_the_host) {
  std::ostringstream log;
  HostServices host({}, nullptr, RP_LOG_INFO, log);
  rp::ReceivedTable<rp_host_v1> table(host.table());
  RP_REQUIRE_MEMBER(table, rp_host_v1, log);
  RP_REQUIRE_MEMBER(table, rp_host_v1, log_enabled);
  RP_REQUIRE_MEMBER(table, rp_host_v1, secret_get);
  RP_REQUIRE_MEMBER(table, rp_host_v1, free_str);
  BOOST_TEST(table.missing().empty());
  BOOST_TEST(std::string(table->host_name.ptr, table->host_name.len) ==
             "tributary-sidecar/" TRIBUTARY_VERSION);
}

BOOST_AUTO_TEST_CASE(secret_from_inline_password_is_escaped_json) {
  std::ostringstream log;
  HostServices host(credentials("/nonexistent"), nullptr, RP_LOG_DEBUG, log);
  SecretCall call = secretGet(host, "inline");
  BOOST_TEST(call.status == RP_OK);
  BOOST_TEST(call.value == R"({"username":"alice","password":"pa\"ss"})");
  BOOST_TEST(call.error.empty());
  BOOST_TEST(log.str().empty());  // secrets are never logged
}

BOOST_AUTO_TEST_CASE(secret_from_password_file_is_read_at_call_time) {
  TempDirectory dir;
  const std::string file = dir.write("hub", "first\n");
  std::ostringstream log;
  HostServices host(credentials(file), nullptr, RP_LOG_DEBUG, log);
  BOOST_TEST(secretGet(host, "file").value == R"({"username":"bot","password":"first"})");
  dir.write("hub", "rotated\r\n");
  BOOST_TEST(secretGet(host, "file").value == R"({"username":"bot","password":"rotated"})");
  BOOST_TEST(log.str().find("rotated") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_secret_is_not_found_with_a_message) {
  std::ostringstream log;
  HostServices host(credentials("/nonexistent"), nullptr, RP_LOG_INFO, log);
  SecretCall call = secretGet(host, "nope");
  BOOST_TEST(call.status == RP_ERR_NOT_FOUND);
  BOOST_TEST(call.value.empty());
  BOOST_TEST(call.error ==
             "no credential named `nope` in replication.credentials (defined: `file`, `inline`)");
}

BOOST_AUTO_TEST_CASE(unreadable_password_file_is_a_failed_precondition) {
  std::ostringstream log;
  HostServices host(credentials("/nonexistent-dir/pw"), nullptr, RP_LOG_INFO, log);
  SecretCall call = secretGet(host, "file");
  BOOST_TEST(call.status == RP_ERR_FAILED_PRECONDITION);
  BOOST_TEST(call.error ==
             "credential `file`: cannot read password_file `/nonexistent-dir/pw`: No such file "
             "or directory");
}

BOOST_AUTO_TEST_CASE(log_honours_the_threshold_and_prefixes_the_level) {
  std::ostringstream log;
  HostServices host({}, nullptr, RP_LOG_WARN, log);
  const rp_host_v1* table = host.table();
  BOOST_TEST(table->log_enabled(table->user_data, RP_LOG_INFO) == 0);
  BOOST_TEST(table->log_enabled(table->user_data, RP_LOG_ERROR) == 1);
  table->log(table->user_data, RP_LOG_INFO, rp_str{"hidden", 6});
  table->log(table->user_data, RP_LOG_WARN, rp_str{"slow source", 11});
  table->log(table->user_data, RP_LOG_ERROR, rp_str{"disk full", 9});
  BOOST_TEST(log.str() == "tributary: WARN: slow source\ntributary: ERROR: disk full\n");
}

BOOST_AUTO_TEST_CASE(storage_table_is_passed_through) {
  std::ostringstream log;
  rp_storage_v1 storage{};
  storage.struct_size = sizeof(storage);
  HostServices host({}, &storage, RP_LOG_INFO, log);
  BOOST_TEST(host.table()->storage == &storage);
}

BOOST_AUTO_TEST_SUITE_END()
