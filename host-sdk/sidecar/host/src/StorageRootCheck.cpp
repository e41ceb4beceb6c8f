#include "tributary/host/StorageRootCheck.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace tributary::host {
namespace {

// The login name of `uid`, or "".
std::string loginName(uid_t uid) {
  struct passwd entry;
  struct passwd* found = nullptr;
  char buffer[4096];
  if (::getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return "";
}

// "nobody (uid 65534)", or "uid 1234" without a passwd entry.
std::string userName(uid_t uid) {
  const std::string name = loginName(uid);
  return name.empty() ? "uid " + std::to_string(uid)
                      : name + " (uid " + std::to_string(uid) + ")";
}

}  // namespace

Status checkStorageWritable(const std::string& v2Root, const std::string& destinationRepository) {
  std::vector<std::string> directories = {v2Root, v2Root + "/blobs", v2Root + "/repositories"};
  if (!destinationRepository.empty()) {
    // Every level of a nested name ("mirror/team/app") is a directory the sync may create in.
    std::string path = v2Root + "/repositories";
    size_t start = 0;
    while (start <= destinationRepository.size()) {
      const size_t slash = destinationRepository.find('/', start);
      const size_t end = slash == std::string::npos ? destinationRepository.size() : slash;
      path += "/" + destinationRepository.substr(start, end - start);
      directories.push_back(path);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    directories.push_back(path + "/_manifests");
    directories.push_back(path + "/_layers");
  }
  for (const std::string& directory : directories) {
    struct stat st {};
    if (::stat(directory.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // created by the sync, under a parent checked above
      return failedPreconditionError("cannot inspect `" + directory + "` as " +
                                     userName(::geteuid()) + ": " + std::strerror(errno) +
                                     "; run tributary as the registry's user");
    }
    if (!S_ISDIR(st.st_mode)) {
      return failedPreconditionError("`" + directory + "` is not a directory");
    }
    if (::access(directory.c_str(), W_OK | X_OK) != 0) {
      const int error = errno;
      // The directory's owner is most likely the registry's user (Debian: docker-registry).
      std::string owner = loginName(st.st_uid);
      if (owner.empty() || owner == "root") owner = "docker-registry";
      return failedPreconditionError("`" + directory + "` is not writable by " +
                                     userName(::geteuid()) + ": " + std::strerror(error) +
                                     " (it belongs to " + userName(st.st_uid) +
                                     "); run tributary as the registry's user, e.g. `runuser -u " +
                                     owner + " -- tributary sync …`");
    }
  }
  return Status();
}

}  // namespace tributary::host
