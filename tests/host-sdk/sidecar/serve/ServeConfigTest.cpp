// ServeConfig: defaults, edition quotas, errors naming the key.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include "TempDirectory.h"
#include "tributary/serve/ServeConfig.h"

using namespace tributary;
using tributary::serve::ServeConfig;

namespace {
Result<ServeConfig> parse(const std::string& replication) {
  return ServeConfig::parse("storage: {filesystem: {rootdirectory: /r}}\nreplication:\n" +
                                replication,
                            "cfg.yml", "/etc/reg", "/var/lib/t");
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ServeConfigTests)

BOOST_AUTO_TEST_CASE(defaults) {
  auto c = parse("  state_dir: /x\n");
  BOOST_REQUIRE(c.isOk());
  BOOST_TEST(c->statePath == "/var/lib/t/state.db");
  BOOST_TEST(c->edition == "standard");
  BOOST_TEST(c->ruleQuota == 100);
  BOOST_TEST(c->workers == 2);
  BOOST_TEST(c->timezone == "UTC");
  BOOST_TEST(c->adminAddress() == "127.0.0.1:5080");
  BOOST_TEST(c->retentionDays == 30);
  BOOST_TEST(c->retentionPerRule == 1000);
}

BOOST_AUTO_TEST_CASE(editions_and_overrides) {
  BOOST_TEST(parse("  edition: basic\n")->ruleQuota == 10);
  BOOST_TEST(parse("  edition: premium\n")->ruleQuota == 500);
  BOOST_TEST(parse("  edition: basic\n  rule_quota: 3\n")->ruleQuota == 3);
  auto c = parse("  admin: {addr: '0.0.0.0:9000', token_file: tok, tls: {cert_file: c.pem, key_file: k.pem}}\n");
  BOOST_REQUIRE(c.isOk());
  BOOST_TEST(c->adminPort == 9000);
  BOOST_TEST(c->tokenFile == "/etc/reg/tok");
  BOOST_TEST(c->tlsKeyFile == "/etc/reg/k.pem");
}

BOOST_AUTO_TEST_CASE(errors_name_file_and_key) {
  auto e = parse("  edition: gold\n");
  BOOST_TEST(e.status().message() == "cfg.yml: replication.edition must be basic, standard or premium, got `gold`");
  BOOST_TEST(parse("  workers: 0\n").status().message().find("replication.workers") != std::string::npos);
  BOOST_TEST(parse("  admin: {addr: nohost}\n").status().message().find("replication.admin.addr") != std::string::npos);
  BOOST_TEST(parse("  admin: {tls: {cert_file: x}}\n").status().message().find("replication.admin.tls") != std::string::npos);
  BOOST_TEST(parse("  task_retention: {days: x}\n").status().message().find("replication.task_retention.days") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_postgresql_state_with_its_passfile_and_lease_timing) {
  TempDirectory dir;
  const std::string passfile = dir.write("pgpass", "*:*:*:trib:secret\n");
  ::chmod(passfile.c_str(), 0600);
  auto c = parse("  state: postgresql://trib@127.0.0.1:5433/fleet\n  state_passfile: " + passfile +
                 "\n  sidecar_id: node-1\n  lease: {ttl_seconds: 6, renew_seconds: 2}\n");
  BOOST_REQUIRE_MESSAGE(c.isOk(), c.status().message());
  BOOST_TEST(c->statePath == "postgresql://trib@127.0.0.1:5433/fleet");  // not a path
  BOOST_TEST(c->statePassfile == passfile);
  BOOST_TEST(c->sidecarId == "node-1");
  BOOST_TEST(c->leaseTtlSeconds == 6);
  BOOST_TEST(c->leaseRenewSeconds == 2);

  auto inUrl = parse("  state: postgresql://trib:secret@db/fleet\n");
  BOOST_TEST(inUrl.status().message().find("replication.state must not carry a password") !=
             std::string::npos);
  BOOST_TEST(inUrl.status().message().find("secret") == std::string::npos);
  ::chmod(passfile.c_str(), 0644);
  BOOST_TEST(parse("  state: postgresql://trib@db/fleet\n  state_passfile: " + passfile + "\n")
                 .status().message().find("chmod 600") != std::string::npos);
  BOOST_TEST(parse("  state_passfile: " + passfile + "\n").status().message().find(
                 "replication.state_passfile is for a PostgreSQL") != std::string::npos);
  BOOST_TEST(parse("  lease: {ttl_seconds: 10, renew_seconds: 6}\n").status().message().find(
                 "replication.lease.renew_seconds must be at most half") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_example_config_is_accepted_as_documented) {
  auto c = ServeConfig::load(EXAMPLE_CONFIG, "/var/lib/tributary");
  BOOST_REQUIRE_MESSAGE(c.isOk(), c.status().message());
  BOOST_TEST(c->statePath == "/var/lib/tributary/state.db");
  BOOST_TEST(c->edition == "standard");
  BOOST_TEST(c->timezone == "Europe/Berlin");
  BOOST_TEST(c->tokenFile == "/etc/tributary/admin.token");
  BOOST_TEST(c->retentionPerRule == 1000);
}

BOOST_AUTO_TEST_SUITE_END()
