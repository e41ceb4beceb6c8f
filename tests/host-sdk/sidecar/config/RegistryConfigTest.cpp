#define BOOST_TEST_MODULE sidecar_tests
#include "tributary/config/RegistryConfig.h"

#include <boost/test/unit_test.hpp>

#include "TempDirectory.h"

using tributary::StatusCode;
using tributary::config::RegistryConfig;

namespace {

// Debian's /etc/docker/registry/config.yml as shipped by docker-registry 2.8.2.
const char kDebianStock[] = R"(version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/docker-registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: basic-realm
    path: /etc/docker/registry
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
)";

RegistryConfig parseOk(const std::string& yaml) {
  auto config = RegistryConfig::parse(yaml, "config.yml", "/etc/docker/registry");
  BOOST_REQUIRE_MESSAGE(config.isOk(), config.status().toString());
  return std::move(config).value();
}

std::string parseError(const std::string& yaml) {
  auto config = RegistryConfig::parse(yaml, "config.yml", "/etc/docker/registry");
  BOOST_REQUIRE(!config.isOk());
  BOOST_TEST(static_cast<int>(config.status().code()) ==
             static_cast<int>(StatusCode::kInvalidArgument));
  return config.status().message();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(RegistryConfigTest)

BOOST_AUTO_TEST_CASE(debian_stock_config_without_replication_section) {
  RegistryConfig config = parseOk(kDebianStock);
  BOOST_TEST(config.rootDirectory() == "/var/lib/docker-registry");
  BOOST_TEST(config.providerLibrary().empty());
  // No replication section: state under the root, and the provider still gets a cache so
  // a second one-shot run needs no manifest GETs.
  BOOST_TEST(config.stateDirectory() == "/var/lib/docker-registry/tributary");
  BOOST_TEST(config.providerConfigJson() ==
             R"({"cache_dir":"/var/lib/docker-registry/tributary/cache"})");
  BOOST_TEST(config.credentials().empty());
}

BOOST_AUTO_TEST_CASE(state_dir_and_cache_dir) {
  RegistryConfig relative = parseOk(std::string(kDebianStock) +
                                    "replication:\n  state_dir: state\n");
  BOOST_TEST(relative.stateDirectory() == "/etc/docker/registry/state");
  BOOST_TEST(relative.providerConfigJson() ==
             R"({"cache_dir":"/etc/docker/registry/state/cache"})");
  RegistryConfig own = parseOk(std::string(kDebianStock) +
                               "replication:\n  provider:\n    config:\n"
                               "      cache_dir: /var/cache/trib\n");
  BOOST_TEST(own.providerConfigJson() == R"({"cache_dir":"/var/cache/trib"})");
  BOOST_TEST(parseError(std::string(kDebianStock) + "replication:\n  provider:\n"
                        "    config: [1, 2]\n") ==
             "config.yml: replication.provider.config must be a mapping");
}

BOOST_AUTO_TEST_CASE(missing_rootdirectory) {
  BOOST_TEST(parseError("storage:\n  filesystem: {}\n") ==
             "config.yml: storage.filesystem.rootdirectory is missing");
  BOOST_TEST(parseError("storage:\n  cache:\n    blobdescriptor: inmemory\n") ==
             "config.yml: storage.filesystem.rootdirectory is missing");
  BOOST_TEST(parseError("version: 0.1\n") ==
             "config.yml: storage is missing (need storage.filesystem.rootdirectory or "
             "storage.s3)");
  BOOST_TEST(parseError("storage:\n  filesystem:\n    rootdirectory: ''\n") ==
             "config.yml: storage.filesystem.rootdirectory is empty");
}

BOOST_AUTO_TEST_CASE(drivers_other_than_filesystem_and_s3_are_refused) {
  BOOST_TEST(parseError("storage:\n  inmemory: {}\n") ==
             "config.yml: storage driver `inmemory` is not supported: Tributary writes the "
             "filesystem and s3 drivers' layouts only");
  BOOST_TEST(parseError("storage:\n  filesystem: {rootdirectory: /r}\n  s3: {bucket: b}\n")
                 .find("more than one driver (filesystem, s3)") != std::string::npos);
}

namespace {
const char kS3[] = R"(storage:
  cache:
    blobdescriptor: inmemory
  s3:
    region: us-east-1
    regionendpoint: http://127.0.0.1:8080
    bucket: registry
    accesskey: "test:tester"
    secretkey: testing
    rootdirectory: /prefix/
    secure: "false"
    skipverify: True
    v4auth: true
    chunksize: 5242880
    encrypt: false
    multipartcopychunksize: 33554432
    storageclass: standard
replication:
  state_dir: /var/lib/tributary
)";
}  // namespace

BOOST_AUTO_TEST_CASE(s3_driver_keys_are_read_as_distribution_reads_them) {
  RegistryConfig config = parseOk(kS3);
  BOOST_TEST(config.storageDriver() == "s3");
  BOOST_TEST(config.rootDirectory().empty());
  BOOST_REQUIRE(config.s3Storage().has_value());
  const auto& s3 = *config.s3Storage();
  BOOST_TEST(s3.region == "us-east-1");
  BOOST_TEST(s3.regionEndpoint == "http://127.0.0.1:8080");
  BOOST_TEST(s3.bucket == "registry");
  BOOST_TEST(s3.accessKey == "test:tester");
  BOOST_TEST(s3.secretKey == "testing");
  BOOST_TEST(s3.rootDirectory == "/prefix/");
  BOOST_TEST(!s3.secure);
  BOOST_TEST(s3.skipVerify);
  BOOST_TEST(s3.chunkSize == 5242880u);
  BOOST_TEST(s3.storageClass == "STANDARD");
  BOOST_TEST(config.stateDirectory() == "/var/lib/tributary");
  BOOST_TEST(config.s3Concurrency() == 8);
  BOOST_TEST(parseOk(std::string(kS3) + "  s3_concurrency: 3\n").s3Concurrency() == 3);
}

BOOST_AUTO_TEST_CASE(s3_config_errors_name_the_key) {
  auto with = [](const std::string& from, const std::string& to) {
    std::string yaml = kS3;
    yaml.replace(yaml.find(from), from.size(), to);
    return yaml;
  };
  const std::string typo = parseError(with("regionendpoint:", "regionendpont:"));
  BOOST_TEST(typo.find("storage.s3.regionendpont is not a known key (line 6); did you mean "
                       "`storage.s3.regionendpoint`?") != std::string::npos);
  BOOST_TEST(parseError(with("    accesskey: \"test:tester\"\n", ""))
                 .find("storage.s3.accesskey is missing; Tributary takes S3 credentials from the "
                       "config only (not from the environment or instance metadata)") !=
             std::string::npos);
  BOOST_TEST(parseError(with("v4auth: true", "v4auth: false"))
                 .find("storage.s3.v4auth is false; Tributary signs with AWS Signature Version 4 "
                       "only") != std::string::npos);
  BOOST_TEST(parseError(with("chunksize: 5242880", "chunksize: 1048576"))
                 .find("storage.s3.chunksize is 1048576; expected 5242880..5368709120") !=
             std::string::npos);
  BOOST_TEST(parseError(with("secure: \"false\"", "secure: maybe"))
                 .find("storage.s3.secure is `maybe`; expected true or false") != std::string::npos);
  BOOST_TEST(parseError(with("    bucket: registry\n", "")) == "config.yml: storage.s3.bucket is missing");
  BOOST_TEST(parseError(with("storageclass: standard", "storageclass: GLACIER"))
                 .find("storage.s3.storageclass is `GLACIER`") != std::string::npos);
  BOOST_TEST(parseError(with("replication:\n  state_dir: /var/lib/tributary\n", ""))
                 .find("replication.state_dir is missing; with storage.s3") != std::string::npos);
  // The secret never appears in an error about the block.
  BOOST_TEST(typo.find("testing") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(invalid_yaml_names_the_file) {
  const std::string message = parseError("storage: [unclosed\n");
  BOOST_TEST(message.rfind("config.yml: invalid YAML: ", 0) == 0);
  BOOST_TEST(parseError("- a\n- b\n") == "config.yml: not a YAML mapping");
}

BOOST_AUTO_TEST_CASE(replication_provider_config_becomes_json_verbatim) {
  RegistryConfig config = parseOk(std::string(kDebianStock) + R"(replication:
  provider:
    library: /usr/lib/tributary/libtributary.so
    config:
      edition: standard
      mirrors:
        - https://mirror.gcr.io
        - "http://127.0.0.1:5001"
      parallel_fetches: 4
      chunk_mb: 8.5
      verify_tls: true
      proxy: ~
      quoted_number: "42"
      octal: 0o17
      note: |
        line "one"
        line two
      nested: { a: [1, false, null] }
)");
  BOOST_TEST(config.providerLibrary() == "/usr/lib/tributary/libtributary.so");
  BOOST_TEST(config.providerConfigJson() ==
             R"({"edition":"standard","mirrors":["https://mirror.gcr.io","http://127.0.0.1:5001"],)"
             R"("parallel_fetches":4,"chunk_mb":8.5,"verify_tls":true,"proxy":null,)"
             R"("quoted_number":"42","octal":15,"note":"line \"one\"\nline two\n",)"
             R"("nested":{"a":[1,false,null]},)"
             R"("cache_dir":"/var/lib/docker-registry/tributary/cache"})");
}

BOOST_AUTO_TEST_CASE(credentials_with_password_and_password_file) {
  RegistryConfig config = parseOk(std::string(kDebianStock) + R"(replication:
  credentials:
    hub-readonly:
      username: bot
      password_file: secrets/hub
    quay:
      username: robot+ci
      password: "s3cr3t"
    absolute:
      username: u
      password_file: /run/secrets/x
)");
  const auto& credentials = config.credentials();
  BOOST_REQUIRE(credentials.size() == 3u);
  const auto& hub = credentials.at("hub-readonly");
  BOOST_TEST(hub.username == "bot");
  BOOST_TEST(!hub.password.has_value());
  BOOST_TEST(hub.passwordFile == "/etc/docker/registry/secrets/hub");  // relative to the config
  const auto& quay = credentials.at("quay");
  BOOST_TEST(quay.password.value() == "s3cr3t");
  BOOST_TEST(quay.passwordFile.empty());
  BOOST_TEST(credentials.at("absolute").passwordFile == "/run/secrets/x");
}

BOOST_AUTO_TEST_CASE(bad_credentials_are_precise) {
  const std::string base = std::string(kDebianStock) + "replication:\n  credentials:\n";
  BOOST_TEST(parseError(base + "    hub: { username: u }\n") ==
             "config.yml: replication.credentials.hub needs exactly one of password or "
             "password_file");
  BOOST_TEST(parseError(base + "    hub: { username: u, password: p, password_file: f }\n") ==
             "config.yml: replication.credentials.hub needs exactly one of password or "
             "password_file");
  BOOST_TEST(parseError(base + "    hub: { password: p }\n") ==
             "config.yml: replication.credentials.hub.username is missing");
  BOOST_TEST(parseError(base + "    hub: just-a-string\n") ==
             "config.yml: replication.credentials.hub must be a mapping");
}

BOOST_AUTO_TEST_CASE(load_reads_the_file_and_reports_unreadable_paths) {
  TempDirectory dir;
  const std::string path = dir.write("config.yml", kDebianStock + std::string(
      "replication:\n  credentials:\n    hub: { username: u, password_file: pw }\n"));
  auto config = RegistryConfig::load(path);
  BOOST_REQUIRE_MESSAGE(config.isOk(), config.status().toString());
  BOOST_TEST(config->credentials().at("hub").passwordFile == dir.path() + "/pw");

  auto missing = RegistryConfig::load(dir.path() + "/absent.yml");
  BOOST_REQUIRE(!missing.isOk());
  BOOST_TEST(missing.status().message() ==
             "cannot read registry config `" + dir.path() + "/absent.yml`: No such file or directory");
}

BOOST_AUTO_TEST_CASE(unknown_keys_under_replication_name_the_file_path_line_and_closest_key) {
  const std::string base = std::string(kDebianStock) + "replication:\n";
  // kDebianStock has 24 lines, `replication:` is line 25.
  BOOST_TEST(parseError(base + "  providr:\n    library: /x.so\n") ==
             "config.yml: replication.providr is not a known key (line 26); did you mean "
             "`replication.provider`? Known under replication: state_dir, provider, credentials, "
             "state, state_passfile, sidecar_id, lease, edition, rule_quota, workers, timezone, "
             "queue_limit, task_retention, admin, "
             "test_hooks, publish, registry_api, s3_concurrency, s3_stale_upload_seconds");
  BOOST_TEST(parseError(base + "  provider:\n    confg: {concurrency: 2}\n").find(
                 "config.yml: replication.provider.confg is not a known key (line 27); did you "
                 "mean `replication.provider.config`? Known under replication.provider: library, "
                 "config") == 0);
  BOOST_TEST(parseError(base + "  state_dri: /var/lib/t\n").find(
                 "did you mean `replication.state_dir`?") != std::string::npos);
  BOOST_TEST(parseError(base + "  credentials:\n    hub: {username: u, passwrd: p}\n").find(
                 "config.yml: replication.credentials.hub.passwrd is not a known key (line 27); "
                 "did you mean `replication.credentials.hub.password`?") == 0);
  // Far from every known key: no guess, but the list.
  const std::string far = parseError(base + "  colour: blue\n");
  BOOST_TEST(far.find("replication.colour is not a known key") != std::string::npos);
  BOOST_TEST(far.find("did you mean") == std::string::npos);
  // Every problem, one a line.
  const std::string two = parseError(base + "  providr: {}\n  state_dri: x\n");
  BOOST_TEST(two.find("replication.providr") < two.find('\n'));
  BOOST_TEST(two.find("replication.state_dri") > two.find('\n'));
}

BOOST_AUTO_TEST_CASE(a_dry_run_gets_no_cache_dir) {
  RegistryConfig config = parseOk(std::string(kDebianStock) +
                                  "replication:\n  provider:\n    config:\n"
                                  "      cache_dir: /var/cache/t\n      concurrency: 2\n");
  BOOST_TEST(config.providerConfigJson() == R"({"cache_dir":"/var/cache/t","concurrency":2})");
  BOOST_TEST(config.providerConfigJsonForDryRun() == R"({"concurrency":2})");
  BOOST_TEST(parseOk(kDebianStock).providerConfigJsonForDryRun() == "{}");
}

BOOST_AUTO_TEST_CASE(serve_and_publishing_keys_are_accepted) {
  RegistryConfig config = parseOk(std::string(kDebianStock) +
                                  "replication:\n"
                                  "  state: {driver: sqlite, path: /var/lib/t/state.db}\n"
                                  "  edition: standard\n"
                                  "  rule_quota: 50\n"
                                  "  workers: 2\n"
                                  "  timezone: UTC\n"
                                  "  queue_limit: 100\n"
                                  "  task_retention: {days: 30, per_rule: 1000}\n"
                                  "  admin: {addr: '127.0.0.1:8787', token_file: t,"
                                  " tls: {cert_file: c, key_file: k}, max_body_bytes: 1048576,"
                                  " threads: 8, request_timeout_seconds: 30}\n"
                                  "  test_hooks: {interval_divisor: 1}\n"
                                  "  credentials: {hub: {username: u, password: p}}\n"
                                  "  publish: registry_api\n"
                                  "  registry_api: {url: 'http://127.0.0.1:5000', credential: hub,"
                                  " ca_file: /ca.crt}\n");
  BOOST_TEST(config.warnings().empty());
  BOOST_TEST(parseError(std::string(kDebianStock) + "replication:\n  admin: {adr: x}\n")
                 .find("did you mean `replication.admin.addr`?") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_misspelt_replication_section_is_warned_about) {
  RegistryConfig config = parseOk(std::string(kDebianStock) + "replicaton:\n  providr: {}\n");
  BOOST_REQUIRE(config.warnings().size() == 1u);
  BOOST_TEST(config.warnings()[0] ==
             "config.yml: top-level key `replicaton` (line 25) is ignored; did you mean "
             "`replication`?");
  BOOST_TEST(parseOk(kDebianStock).warnings().empty());  // version, log, http… are far off
}

BOOST_AUTO_TEST_CASE(a_provider_refusal_names_the_yaml_path_of_each_key) {
  RegistryConfig config = parseOk(std::string(kDebianStock) +
                                  "replication:\n  provider:\n    config:\n"
                                  "      concurrency: 0\n      cache_dri: /x\n"
                                  "      insecure_registries: [1]\n");
  BOOST_TEST(config.describeProviderConfigRefusal(
                 "unknown provider config key `cache_dri` (known: concurrency, cache_dir)\n"
                 "concurrency must be a whole number 1..64, got 0\n"
                 "insecure_registries[0] must be a host[:port] string\n"
                 "something else entirely") ==
             "config.yml: replication.provider.config.cache_dri: unknown provider config key "
             "`cache_dri` (known: concurrency, cache_dir)\n"
             "config.yml: replication.provider.config.concurrency: concurrency must be a whole "
             "number 1..64, got 0\n"
             "config.yml: replication.provider.config.insecure_registries: insecure_registries[0] "
             "must be a host[:port] string\n"
             "config.yml: replication.provider.config: something else entirely");
  BOOST_TEST(config.describeProviderConfigRefusal("") ==
             "config.yml: replication.provider.config: refused by the provider (no reason given)");
}

BOOST_AUTO_TEST_SUITE_END()
