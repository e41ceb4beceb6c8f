// Writes stay beneath the storage root (issue #7): a symlink planted in the layout that leads
// out of the root is refused with its name, and nothing is created through it.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <ostream>

#include "BeneathRoot.h"
#include "OpenedStorage.h"
#include "tributary/storage/DistributionStorage.h"

using namespace tributary;
using namespace tributary::storage;
using namespace storage_test;

namespace tributary {
inline std::ostream& operator<<(std::ostream& os, StatusCode code) {
  return os << statusCodeName(code);
}
}  // namespace tributary

namespace {

struct Rooted : OpenedStorage {
  TempDir outside;

  bool outsideIsEmpty() const {
    return std::filesystem::is_empty(outside.path());
  }
};

void symlinkOrFail(const std::string& target, const std::string& link) {
  std::filesystem::create_directories(std::filesystem::path(link).parent_path());
  BOOST_REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(BeneathRootTest)

BOOST_AUTO_TEST_CASE(a_repository_symlinked_out_of_the_root_is_refused_by_name) {
  Rooted r;
  symlinkOrFail(r.outside.path(), r.v2 + "/repositories/mirror");
  const std::string blob = r.putBlob("layer bytes");  // blobs/ is a real directory: fine
  Status linked = r.storage->linkBlob("mirror/app", blob);
  BOOST_TEST(linked.code() == StatusCode::kPermissionDenied);
  BOOST_TEST(linked.message().find(r.v2 + "/repositories/mirror") != std::string::npos,
             linked.message());
  BOOST_TEST(linked.message().find("symbolic link") != std::string::npos, linked.message());
  const std::string manifest = "{\"schemaVersion\":2}";
  BOOST_TEST(r.storage->putManifest("mirror/app", sha256Of(manifest), manifest).code() ==
             StatusCode::kPermissionDenied);
  BOOST_TEST(r.storage->getTag("mirror/app", "v1").status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(r.outsideIsEmpty());
}

BOOST_AUTO_TEST_CASE(a_blob_fan_out_directory_symlinked_out_is_refused) {
  Rooted r;
  const std::string bytes = "blob going nowhere";
  const std::string hex = sha256Of(bytes).substr(7);
  symlinkOrFail(r.outside.path(), r.v2 + "/blobs/sha256/" + hex.substr(0, 2));
  auto writer = r.storage->openBlobWriter(sha256Of(bytes), bytes.size());
  BOOST_TEST(writer.status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(r.storage->statBlob(sha256Of(bytes)).status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(r.outsideIsEmpty());
}

BOOST_AUTO_TEST_CASE(the_storage_root_path_itself_may_be_a_symlink) {
  // Operators point rootdirectory at a mount through a symlink: resolved once at open.
  TempDir real;
  TempDir holder;
  const std::string link = holder.path() + "/root";
  BOOST_REQUIRE(::symlink(real.path().c_str(), link.c_str()) == 0);
  auto opened = DistributionStorage::open(link, {0644, 0755, false});
  BOOST_REQUIRE_MESSAGE(opened.isOk(), opened.status().toString());
  BOOST_TEST((*opened)->v2Root().find(real.path()) == 0u, (*opened)->v2Root());
  BOOST_TEST(exists(real.path() + "/docker/registry/v2"));
}

BOOST_AUTO_TEST_CASE(a_symlinked_link_file_is_replaced_not_written_through) {
  Rooted r;
  const std::string blob = r.putBlob("config bytes");
  const std::string victim = r.outside.path() + "/victim";
  writeAll(victim, "precious");
  symlinkOrFail(victim, r.v2 + "/repositories/mirror/app/_layers/sha256/" + blob.substr(7) + "/link");
  Status linked = r.storage->linkBlob("mirror/app", blob);
  BOOST_TEST(linked.isOk(), linked.toString());
  BOOST_TEST(readAll(victim) == "precious");
  struct stat st {};
  const std::string link = r.v2 + "/repositories/mirror/app/_layers/sha256/" + blob.substr(7) + "/link";
  BOOST_REQUIRE(::lstat(link.c_str(), &st) == 0);
  BOOST_TEST(S_ISREG(st.st_mode));
  BOOST_TEST(readAll(link) == blob);
}

BOOST_AUTO_TEST_CASE(a_symlink_inside_the_root_is_followed_only_when_the_kernel_proves_it_stays) {
  Rooted r;
  std::filesystem::create_directories(r.v2 + "/repositories/real");
  symlinkOrFail("real", r.v2 + "/repositories/alias");
  const std::string blob = r.putBlob("inside");
  Status linked = r.storage->linkBlob("alias/app", blob);
  if (BeneathRoot::kernelResolvesBeneath()) {
    BOOST_TEST(linked.isOk(), linked.toString());
    BOOST_TEST(exists(r.v2 + "/repositories/real/app/_layers/sha256/" + blob.substr(7) + "/link"));
  } else {
    BOOST_TEST(linked.code() == StatusCode::kPermissionDenied);
  }
}

BOOST_AUTO_TEST_CASE(without_openat2_the_walk_refuses_every_symlink_and_names_it) {
  struct Restore {
    ~Restore() { BeneathRoot::forceWalkForTesting(false); }
  } restore;
  BeneathRoot::forceWalkForTesting(true);
  Rooted r;
  std::filesystem::create_directories(r.v2 + "/repositories/real");
  symlinkOrFail("real", r.v2 + "/repositories/alias");
  symlinkOrFail(r.outside.path(), r.v2 + "/repositories/mirror");
  const std::string blob = r.putBlob("walked");
  for (const char* repo : {"alias/app", "mirror/app"}) {
    Status linked = r.storage->linkBlob(repo, blob);
    BOOST_TEST(linked.code() == StatusCode::kPermissionDenied, repo);
    BOOST_TEST(linked.message().find("symbolic link") != std::string::npos, linked.message());
    BOOST_TEST(linked.message().find(r.v2 + "/repositories/" + std::string(repo).substr(0, std::string(repo).find('/'))) !=
                   std::string::npos, linked.message());
  }
  BOOST_TEST(r.storage->linkBlob("plain/app", blob).isOk());
  BOOST_TEST(r.outsideIsEmpty());
}

BOOST_AUTO_TEST_CASE(relative_paths_cannot_climb) {
  TempDir dir;
  auto root = BeneathRoot::open(dir.path());
  BOOST_REQUIRE(root.isOk());
  for (const char* bad : {"../x", "a/../../x", "/etc", "a//b", "a/./b", ""}) {
    BOOST_TEST_INFO(bad);
    BOOST_TEST((*root)->directory(bad, true, 0755, false).status().code() ==
               StatusCode::kInvalidArgument);
  }
  BOOST_TEST((*root)->directory("a/b", false, 0755, false).status().code() == StatusCode::kNotFound);
  BOOST_TEST((*root)->directory("a/b", true, 0755, false).isOk());
  BOOST_TEST(permissionsOf(dir.path() + "/a/b") == 0755u);
}

BOOST_AUTO_TEST_SUITE_END()
