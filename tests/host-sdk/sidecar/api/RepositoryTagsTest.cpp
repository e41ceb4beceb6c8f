// RepositoryTags over a real filesystem layout (DistributionStorage): what each tag points at,
// its media type and platforms, and what is skipped or listed with what is known.
#include <boost/test/unit_test.hpp>

#include <ostream>

#include <fstream>

#include "TempDirectory.h"
#include "tributary/DigestHasher.h"
#include "tributary/api/RepositoryTags.h"
#include "tributary/storage/DistributionStorage.h"

using namespace tributary;

namespace tributary {
inline std::ostream& operator<<(std::ostream& os, StatusCode code) {
  return os << statusCodeName(code);
}
}  // namespace tributary
using namespace tributary::api;

namespace {

std::string digestOf(const std::string& bytes) {
  return DigestHasher::digestOf("sha256", bytes).value();
}

struct LayoutFixture {
  TempDirectory dir;
  std::unique_ptr<storage::DistributionStorage> storage =
      std::move(storage::DistributionStorage::open(dir.path() + "/root")).value();

  std::string blob(const std::string& bytes) {
    const std::string digest = digestOf(bytes);
    auto writer = storage->openBlobWriter(digest, bytes.size());
    BOOST_REQUIRE(writer.isOk());
    BOOST_REQUIRE((*writer)->write(bytes.data(), bytes.size()).isOk());
    BOOST_REQUIRE((*writer)->commit().isOk());
    return digest;
  }
  std::string tag(const std::string& repo, const std::string& name, const std::string& manifest) {
    const std::string digest = digestOf(manifest);
    BOOST_REQUIRE(storage->putManifest(repo, digest, manifest).isOk());
    BOOST_REQUIRE(storage->setTag(repo, name, digest).isOk());
    return digest;
  }
  std::string tagsDir(const std::string& repo) const {
    return storage->v2Root() + "/repositories/" + repo + "/_manifests/tags";
  }
};

std::string imageManifest(const std::string& configDigest) {
  return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
         "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
         "\"digest\":\"" + configDigest + "\",\"size\":1},\"layers\":[]}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(RepositoryTagsTests)

BOOST_FIXTURE_TEST_CASE(each_tag_gives_digest_media_type_and_platforms, LayoutFixture) {
  const std::string config = blob("{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}");
  const std::string single = tag("mirror/app", "single", imageManifest(config));
  // An OCI index without mediaType (allowed), with an attestation child (unknown/unknown).
  const std::string index = tag(
      "mirror/app", "multi",
      "{\"schemaVersion\":2,\"manifests\":["
      "{\"digest\":\"" + single + "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
      "{\"digest\":\"" + single + "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\","
      "\"variant\":\"v8\"}},"
      "{\"digest\":\"" + single + "\",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}}]}");

  auto tags = RepositoryTags::list(*storage, "mirror/app");
  BOOST_REQUIRE_MESSAGE(tags.isOk(), tags.status().toString());
  BOOST_REQUIRE(tags->size() == 2u);
  const StoredTag& multi = (*tags)[0];
  BOOST_TEST(multi.tag == "multi");
  BOOST_TEST(multi.digest == index);
  BOOST_TEST(multi.mediaType == "application/vnd.oci.image.index.v1+json");
  const std::vector<std::string> platforms = {"linux/amd64", "linux/arm64/v8"};
  BOOST_TEST(multi.platforms == platforms, boost::test_tools::per_element());
  const StoredTag& one = (*tags)[1];
  BOOST_TEST(one.tag == "single");
  BOOST_TEST(one.digest == single);
  BOOST_TEST(one.mediaType == "application/vnd.docker.distribution.manifest.v2+json");
  BOOST_TEST(one.platforms == std::vector<std::string>{"linux/arm/v7"},
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(what_cannot_be_described_is_listed_with_what_is_known, LayoutFixture) {
  // Config blob absent; manifest not JSON; config not JSON.
  const std::string noConfig = tag("mirror/app", "a", imageManifest(digestOf("never stored")));
  const std::string notJson = tag("mirror/app", "b", "not json at all");
  const std::string badConfig = tag("mirror/app", "c", imageManifest(blob("{broken")));
  auto tags = RepositoryTags::list(*storage, "mirror/app");
  BOOST_REQUIRE_MESSAGE(tags.isOk(), tags.status().toString());
  BOOST_REQUIRE(tags->size() == 3u);
  BOOST_TEST((*tags)[0].digest == noConfig);
  BOOST_TEST((*tags)[0].mediaType == "application/vnd.docker.distribution.manifest.v2+json");
  BOOST_TEST((*tags)[0].platforms.empty());
  BOOST_TEST((*tags)[1].digest == notJson);
  BOOST_TEST((*tags)[1].mediaType.empty());
  BOOST_TEST((*tags)[2].digest == badConfig);
  BOOST_TEST((*tags)[2].platforms.empty());
}

BOOST_FIXTURE_TEST_CASE(entries_the_registry_cannot_serve_are_skipped, LayoutFixture) {
  const std::string good = tag("mirror/app", "good", "{\"schemaVersion\":2}");
  tag("mirror/app", "damaged", "{\"schemaVersion\":2,\"n\":1}");
  { std::ofstream(tagsDir("mirror/app") + "/damaged/current/link") << good << "\n"; }
  { std::ofstream(tagsDir("mirror/app") + "/.tmp-stray") << "x"; }
  std::filesystem::create_directories(tagsDir("mirror/app") + "/no-link/index");
  auto tags = RepositoryTags::list(*storage, "mirror/app");
  BOOST_REQUIRE_MESSAGE(tags.isOk(), tags.status().toString());
  BOOST_REQUIRE(tags->size() == 1u);
  BOOST_TEST((*tags)[0].tag == "good");
}

BOOST_FIXTURE_TEST_CASE(tags_read_in_parallel_come_out_as_one_by_one, LayoutFixture) {
  const std::string config = blob("{\"os\":\"linux\",\"architecture\":\"amd64\"}");
  for (int i = 0; i < 60; ++i) {
    const std::string name = "t" + std::to_string(100 + i);
    if (i % 7 == 3) {
      tag("mirror/many", name, "not json " + name);
    } else {
      tag("mirror/many", name,
          imageManifest(config).insert(1, "\"n\":\"" + name + "\","));  // a digest each
    }
  }
  { std::ofstream(tagsDir("mirror/many") + "/t130/current/link") << "damaged"; }
  auto serial = RepositoryTags::list(*storage, "mirror/many", 1);
  auto parallel = RepositoryTags::list(*storage, "mirror/many", 8);
  BOOST_REQUIRE(serial.isOk());
  BOOST_REQUIRE(parallel.isOk());
  BOOST_REQUIRE(serial->size() == 59u);  // t130 skipped
  BOOST_REQUIRE(parallel->size() == serial->size());
  for (size_t i = 0; i < serial->size(); ++i) {
    BOOST_TEST((*parallel)[i].tag == (*serial)[i].tag);
    BOOST_TEST((*parallel)[i].digest == (*serial)[i].digest);
    BOOST_TEST((*parallel)[i].mediaType == (*serial)[i].mediaType);
    BOOST_TEST((*parallel)[i].platforms == (*serial)[i].platforms,
               boost::test_tools::per_element());
  }
  BOOST_TEST((*parallel)[0].tag == "t100");
  BOOST_TEST((*parallel)[0].platforms == std::vector<std::string>{"linux/amd64"},
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(bad_names_and_absent_repositories, LayoutFixture) {
  BOOST_TEST(RepositoryTags::list(*storage, "../etc").status().code() ==
             StatusCode::kInvalidArgument);
  BOOST_TEST(RepositoryTags::list(*storage, "Mirror/App").status().code() ==
             StatusCode::kInvalidArgument);
  auto absent = RepositoryTags::list(*storage, "no/such");
  BOOST_TEST(absent.status().code() == StatusCode::kNotFound);
  BOOST_TEST(absent.status().message().find("no/such") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
