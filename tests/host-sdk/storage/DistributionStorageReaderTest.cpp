// DistributionStorage as a StorageReader: tags listed as Distribution's tags/list sees them,
// current links, blob bytes within a limit, names checked before any path, reads kept beneath
// the root.
#include <boost/test/unit_test.hpp>

#include <ostream>

#include <unistd.h>

#include "OpenedStorage.h"
#include "tributary/storage/DistributionStorage.h"

using namespace tributary;

namespace tributary {
inline std::ostream& operator<<(std::ostream& os, StatusCode code) {
  return os << statusCodeName(code);
}
}  // namespace tributary
using namespace tributary::storage;
using namespace storage_test;

namespace {

struct ReaderFixture : OpenedStorage {
  // A manifest stored as a revision of `repo` and tagged `tag`: its digest.
  std::string tagManifest(const std::string& repo, const std::string& tag,
                          const std::string& manifest) {
    const std::string digest = sha256Of(manifest);
    Status put = storage->putManifest(repo, digest, manifest);
    BOOST_REQUIRE_MESSAGE(put.isOk(), put.toString());
    Status tagged = storage->setTag(repo, tag, digest);
    BOOST_REQUIRE_MESSAGE(tagged.isOk(), tagged.toString());
    return digest;
  }

  std::string tagsDir(const std::string& repo) const {
    return v2 + "/repositories/" + repo + "/_manifests/tags";
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(DistributionStorageReaderTests)

BOOST_FIXTURE_TEST_CASE(lists_every_entry_of_the_tags_directory_sorted, ReaderFixture) {
  StorageReader& reader = *storage;
  tagManifest("mirror/app", "v2", "{\"schemaVersion\":2,\"n\":2}");
  tagManifest("mirror/app", "latest", "{\"schemaVersion\":2,\"n\":1}");
  tagManifest("mirror/app", "V1.0", "{\"schemaVersion\":2,\"n\":3}");
  // A stray file is an entry too: Distribution's tags/list would list it.
  writeAll(tagsDir("mirror/app") + "/stray.txt", "x");

  auto tags = reader.listTags("mirror/app");
  BOOST_REQUIRE_MESSAGE(tags.isOk(), tags.status().toString());
  const std::vector<std::string> expected = {"V1.0", "latest", "stray.txt", "v2"};
  BOOST_TEST(*tags == expected, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_repository_without_tags_is_not_found, ReaderFixture) {
  StorageReader& reader = *storage;
  // Never written.
  auto absent = reader.listTags("no/such");
  BOOST_TEST(absent.status().code() == StatusCode::kNotFound);
  BOOST_TEST(absent.status().message().find("no/such") != std::string::npos);
  // Only blobs linked (no _manifests), and a namespace that is no repository itself.
  const std::string blob = putBlob("layer");
  BOOST_REQUIRE(storage->linkBlob("mirror/layers-only", blob).isOk());
  BOOST_TEST(reader.listTags("mirror/layers-only").status().code() == StatusCode::kNotFound);
  tagManifest("ns/app", "v1", "{\"schemaVersion\":2}");
  BOOST_TEST(reader.listTags("ns").status().code() == StatusCode::kNotFound);
  // Every tag deleted leaves an empty tags/ behind: the same answer as a bucket gives.
  std::filesystem::remove_all(tagsDir("ns/app") + "/v1");
  BOOST_REQUIRE(exists(tagsDir("ns/app")));
  BOOST_TEST(reader.listTags("ns/app").status().code() == StatusCode::kNotFound);
}

BOOST_FIXTURE_TEST_CASE(reads_a_tags_current_link, ReaderFixture) {
  StorageReader& reader = *storage;
  const std::string first = tagManifest("mirror/app", "v1", "{\"schemaVersion\":2,\"n\":1}");
  auto link = reader.readTagLink("mirror/app", "v1");
  BOOST_REQUIRE_MESSAGE(link.isOk(), link.status().toString());
  BOOST_TEST(*link == first);
  // Re-pointed: the current link, not the first index entry.
  const std::string second = tagManifest("mirror/app", "v1", "{\"schemaVersion\":2,\"n\":2}");
  BOOST_TEST(*reader.readTagLink("mirror/app", "v1") == second);

  BOOST_TEST(reader.readTagLink("mirror/app", "v9").status().code() == StatusCode::kNotFound);
  // A half-written link (Distribution answers 500 for it) is damage, not a digest.
  writeAll(tagsDir("mirror/app") + "/v1/current/link", second + "\n");
  BOOST_TEST(reader.readTagLink("mirror/app", "v1").status().code() == StatusCode::kDataLoss);
  writeAll(tagsDir("mirror/app") + "/v1/current/link", "");
  BOOST_TEST(reader.readTagLink("mirror/app", "v1").status().code() == StatusCode::kDataLoss);
}

BOOST_FIXTURE_TEST_CASE(reads_blob_bytes_up_to_a_limit, ReaderFixture) {
  StorageReader& reader = *storage;
  const std::string bytes(5000, 'b');
  const std::string digest = putBlob(bytes);
  auto whole = reader.readBlob(digest, 5000);
  BOOST_REQUIRE_MESSAGE(whole.isOk(), whole.status().toString());
  BOOST_TEST(*whole == bytes);

  auto over = reader.readBlob(digest, 4999);
  BOOST_TEST(over.status().code() == StatusCode::kOutOfRange);
  BOOST_TEST(over.status().message().find("5000") != std::string::npos);

  auto absent = reader.readBlob(sha256Of("never stored"), 1 << 20);
  BOOST_TEST(absent.status().code() == StatusCode::kNotFound);
  // A manifest is a blob too (its data lives in the blob store).
  const std::string manifest = "{\"schemaVersion\":2}";
  const std::string manifestDigest = tagManifest("mirror/app", "v1", manifest);
  BOOST_TEST(*reader.readBlob(manifestDigest, 1 << 20) == manifest);
}

BOOST_FIXTURE_TEST_CASE(names_and_digests_are_checked_before_any_path_is_built, ReaderFixture) {
  StorageReader& reader = *storage;
  // A tags directory where a traversal would land, were the name used as a path.
  tagManifest("victim", "v1", "{\"schemaVersion\":2}");
  for (const char* bad : {"../victim", "mirror/../victim", "Mirror/app", "/victim", "victim/",
                          "a//b", "", "_hidden/app"}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(reader.listTags(bad).status().code() == StatusCode::kInvalidArgument);
      BOOST_TEST(reader.readTagLink(bad, "v1").status().code() == StatusCode::kInvalidArgument);
    }
  }
  for (const char* bad : {"../v1", "v1/../v1", ".v1", "", "v1/current"}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(reader.readTagLink("victim", bad).status().code() ==
                 StatusCode::kInvalidArgument);
    }
  }
  const std::string hex(64, 'a');
  for (const std::string& bad : {std::string("sha256:../../x"), "sha256:" + hex.substr(1),
                                 "SHA256:" + hex, "sha256:" + std::string(64, 'A'), hex}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(reader.readBlob(bad, 100).status().code() == StatusCode::kInvalidArgument);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_symlink_out_of_the_root_is_not_read_through, ReaderFixture) {
  StorageReader& reader = *storage;
  // Outside the root: a tags directory of its own.
  TempDir outside;
  std::filesystem::create_directories(outside.path() + "/_manifests/tags/leaked/current");
  writeAll(outside.path() + "/_manifests/tags/leaked/current/link", sha256Of("x"));
  std::filesystem::create_directories(v2 + "/repositories/mirror");
  BOOST_REQUIRE(::symlink(outside.path().c_str(), (v2 + "/repositories/mirror/evil").c_str()) == 0);

  auto listed = reader.listTags("mirror/evil");
  BOOST_TEST(!listed.isOk());
  BOOST_TEST(listed.status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(reader.readTagLink("mirror/evil", "leaked").status().code() ==
             StatusCode::kPermissionDenied);
}

BOOST_AUTO_TEST_CASE(an_absent_root_opened_read_only_reads_as_no_tags) {
  TempDir dir;
  DistributionStorage::Options options;
  options.readOnly = true;
  auto opened = DistributionStorage::open(dir.path() + "/not-yet", options);
  BOOST_REQUIRE_MESSAGE(opened.isOk(), opened.status().toString());
  BOOST_TEST((*opened)->listTags("mirror/app").status().code() == StatusCode::kNotFound);
  BOOST_TEST((*opened)->readBlob(sha256Of("x"), 10).status().code() == StatusCode::kNotFound);
  BOOST_TEST(!exists(dir.path() + "/not-yet"));
}

BOOST_AUTO_TEST_SUITE_END()
