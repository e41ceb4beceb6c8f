// replication.publish / replication.registry_api: parsed by RegistryConfig, turned into the
// storage table by openHostStorage.
#include "tributary/host/StorageFactory.h"

#include <boost/test/unit_test.hpp>

#include "FakeS3.h"
#include "TempDirectory.h"

using tributary::StatusCode;
using tributary::config::RegistryConfig;
using tributary::host::openHostStorage;
using tributary::storage::PublishMode;

namespace {

std::string config(const std::string& root, const std::string& replication) {
  return "storage:\n  filesystem:\n    rootdirectory: " + root + "\nreplication:\n" + replication;
}

tributary::Result<RegistryConfig> parse(const std::string& yaml) {
  return RegistryConfig::parse(yaml, "config.yml", "/etc/docker/registry");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(StorageFactoryTest)

BOOST_AUTO_TEST_CASE(storage_is_the_default_mode) {
  TempDirectory dir;
  auto parsed = parse(config(dir.path(), "  state_dir: /tmp/x\n"));
  BOOST_REQUIRE(parsed.isOk());
  BOOST_TEST(parsed->publishMode() == "storage");
  auto storage = openHostStorage(*parsed);
  BOOST_REQUIRE(storage.isOk());
  BOOST_TEST(((*storage)->mode() == PublishMode::kStorage));
}

BOOST_AUTO_TEST_CASE(registry_api_reads_url_credential_and_ca_file) {
  TempDirectory dir;
  const std::string password = dir.write("robot.secret", "s3cret\n");
  auto parsed = parse(config(dir.path(),
                             "  publish: registry_api\n"
                             "  registry_api:\n"
                             "    url: https://harbor.example.org\n"
                             "    credential: robot\n"
                             "    ca_file: certs/ca.crt\n"
                             "  credentials:\n"
                             "    robot: {username: \"robot$mirror+sync\", password_file: " +
                                 password + "}\n"));
  BOOST_REQUIRE_MESSAGE(parsed.isOk(), parsed.status().toString());
  BOOST_TEST(parsed->publishMode() == "registry_api");
  BOOST_TEST(parsed->registryApiUrl() == "https://harbor.example.org");
  BOOST_TEST(parsed->registryApiCredential() == "robot");
  BOOST_TEST(parsed->registryApiCaFile() == "/etc/docker/registry/certs/ca.crt");
  auto storage = openHostStorage(*parsed);
  BOOST_REQUIRE_MESSAGE(storage.isOk(), storage.status().toString());
  BOOST_TEST(((*storage)->mode() == PublishMode::kRegistryApi));
  BOOST_TEST((*storage)->describe() ==
             "registry_api (blobs into storage, manifests and tags through "
             "https://harbor.example.org)");
}

BOOST_AUTO_TEST_CASE(bad_publishing_blocks_name_the_key) {
  TempDirectory dir;
  auto unknownMode = parse(config(dir.path(), "  publish: http\n"));
  BOOST_REQUIRE(!unknownMode.isOk());
  BOOST_TEST(unknownMode.status().message() ==
             "config.yml: replication.publish is `http`; expected storage or registry_api");

  auto noUrl = parse(config(dir.path(), "  publish: registry_api\n"));
  BOOST_REQUIRE(!noUrl.isOk());
  BOOST_TEST(noUrl.status().message().find("replication.registry_api.url is missing") !=
             std::string::npos);

  auto unknownCredential = parse(config(dir.path(),
                                        "  publish: registry_api\n"
                                        "  registry_api: {url: 'http://127.0.0.1:5000', "
                                        "credential: nobody}\n"));
  BOOST_REQUIRE(!unknownCredential.isOk());
  BOOST_TEST(unknownCredential.status().message() ==
             "config.yml: replication.registry_api.credential names `nobody`, which is not in "
             "replication.credentials");

  auto notAMapping = parse(config(dir.path(), "  registry_api: http://x\n"));
  BOOST_REQUIRE(!notAMapping.isOk());
  BOOST_TEST(notAMapping.status().message().find("replication.registry_api must be a mapping") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_url_with_a_path_or_an_unreadable_password_fails_at_open) {
  TempDirectory dir;
  auto withPath = parse(config(dir.path(), "  publish: registry_api\n"
                                           "  registry_api: {url: 'https://harbor/v2'}\n"));
  BOOST_REQUIRE(withPath.isOk());
  auto opened = openHostStorage(*withPath);
  BOOST_REQUIRE(!opened.isOk());
  BOOST_TEST(opened.status().message().find("must be scheme://host[:port] only") !=
             std::string::npos);

  auto missingFile = parse(config(dir.path(),
                                  "  publish: registry_api\n"
                                  "  registry_api: {url: 'http://127.0.0.1:5000', credential: r}\n"
                                  "  credentials:\n"
                                  "    r: {username: u, password_file: " +
                                      dir.path() + "/absent}\n"));
  BOOST_REQUIRE(missingFile.isOk());
  opened = openHostStorage(*missingFile);
  BOOST_REQUIRE(!opened.isOk());
  BOOST_TEST(static_cast<int>(opened.status().code()) ==
             static_cast<int>(StatusCode::kFailedPrecondition));
  BOOST_TEST(opened.status().message().find("cannot read password_file") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// storage.s3: the same factory opens the bucket (FakeS3 on 127.0.0.1), in both modes.
BOOST_AUTO_TEST_SUITE(StorageFactoryS3Test)

namespace {
std::string s3Config(const std::string& endpoint, const std::string& replication) {
  return "storage:\n  s3:\n    region: us-east-1\n    regionendpoint: " + endpoint +
         "\n    bucket: registry\n    accesskey: \"test:tester\"\n    secretkey: sekrit-value\n"
         "    rootdirectory: /reg\nreplication:\n  state_dir: /tmp/x\n" + replication;
}
}  // namespace

BOOST_AUTO_TEST_CASE(storage_s3_opens_the_bucket_in_both_publishing_modes) {
  tributary::storage::s3::testing::FakeS3 s3;
  auto parsed = parse(s3Config(s3.endpoint(), ""));
  BOOST_REQUIRE_MESSAGE(parsed.isOk(), parsed.status().message());
  auto storage = openHostStorage(*parsed);
  BOOST_REQUIRE_MESSAGE(storage.isOk(), storage.status().message());
  BOOST_TEST(!(*storage)->isFilesystem());
  BOOST_TEST((*storage)->describe() ==
             "storage (blobs, manifests and tags into s3://registry/reg/docker/registry/v2 at " +
                 s3.endpoint() + "/registry)");
  // The table reaches the bucket: a tag lookup is a GET of its current/link.
  const rp_storage_v1& t = *(*storage)->table();
  char digest[RP_DIGEST_BUF_SIZE];
  const std::string repo = "mirror/app", tag = "v1";
  BOOST_TEST(t.tag_get(t.user_data, rp_str{repo.data(), repo.size()},
                       rp_str{tag.data(), tag.size()}, digest, nullptr) == RP_ERR_NOT_FOUND);
  BOOST_TEST(s3.count("GET /registry/reg/docker/registry/v2/repositories/mirror/app/"
                      "_manifests/tags/v1/current/link") == 1u);

  auto api = parse(s3Config(s3.endpoint(),
                            "  publish: registry_api\n  registry_api:\n    url: http://127.0.0.1:5999\n"));
  BOOST_REQUIRE(api.isOk());
  auto apiStorage = openHostStorage(*api);
  BOOST_REQUIRE(apiStorage.isOk());
  BOOST_TEST((*apiStorage)->describe().find("registry_api (blobs into s3://registry/reg/") == 0u);
}

BOOST_AUTO_TEST_CASE(an_unusable_bucket_names_storage_s3_and_not_the_secret) {
  tributary::storage::s3::testing::FakeS3 s3("registry", "other:user");
  auto parsed = parse(s3Config(s3.endpoint(), ""));
  BOOST_REQUIRE(parsed.isOk());
  auto storage = openHostStorage(*parsed);
  BOOST_REQUIRE(!storage.isOk());
  const std::string message = storage.status().message();
  BOOST_TEST(message.find("storage.s3 (bucket `registry`) cannot be used:") == 0u);
  BOOST_TEST(message.find("InvalidAccessKeyId") != std::string::npos);
  BOOST_TEST(message.find("sekrit-value") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
