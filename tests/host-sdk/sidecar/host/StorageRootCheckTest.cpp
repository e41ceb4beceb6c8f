#include "tributary/host/StorageRootCheck.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "TempDirectory.h"

using tributary::StatusCode;
using tributary::host::checkStorageWritable;

BOOST_AUTO_TEST_SUITE(StorageRootCheckTest)

BOOST_AUTO_TEST_CASE(absent_directories_are_fine_and_nothing_is_created) {
  TempDirectory dir;
  BOOST_TEST(checkStorageWritable(dir.path() + "/v2", "mirror/team/app").isOk());
  BOOST_TEST(!std::filesystem::exists(dir.path() + "/v2"));
}

BOOST_AUTO_TEST_CASE(a_file_where_a_directory_belongs_is_named) {
  TempDirectory dir;
  std::filesystem::create_directories(dir.path() + "/v2/repositories/mirror");
  dir.write("v2/repositories/mirror/app", "a file");
  auto status = checkStorageWritable(dir.path() + "/v2", "mirror/app");
  BOOST_TEST((status.code() == StatusCode::kFailedPrecondition));
  BOOST_TEST(status.message() == "`" + dir.path() + "/v2/repositories/mirror/app` is not a directory");
}

// The check as another user: root passes every access(2) check, so as root the check runs in
// a child that drops to nobody (65534); as anyone else the directory is made read-only.
BOOST_AUTO_TEST_CASE(an_unwritable_directory_names_the_users_and_the_fix) {
  TempDirectory dir;
  std::filesystem::create_directories(dir.path() + "/v2/blobs");
  const bool root = ::geteuid() == 0;
  ::chmod(dir.path().c_str(), 0755);
  ::chmod((dir.path() + "/v2/blobs").c_str(), root ? 0755 : 0555);
  int pipeFds[2];
  BOOST_REQUIRE(::pipe(pipeFds) == 0);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipeFds[0]);
    if (root && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
    const std::string message = checkStorageWritable(dir.path() + "/v2", "").message();
    const ssize_t written = ::write(pipeFds[1], message.data(), message.size());
    ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 3);
  }
  ::close(pipeFds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipeFds[0], buffer, sizeof(buffer))) > 0;) message.append(buffer, n);
  ::close(pipeFds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::chmod((dir.path() + "/v2/blobs").c_str(), 0755);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  // As nobody, v2 itself (root's, 0755) is the first directory that fails.
  const std::string first = dir.path() + (root ? "/v2" : "/v2/blobs");
  BOOST_TEST(message.find("`" + first + "` is not writable by ") == 0u, message);
  BOOST_TEST(message.find("run tributary as the registry's user") != std::string::npos, message);
}

BOOST_AUTO_TEST_SUITE_END()
