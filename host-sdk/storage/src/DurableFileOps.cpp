#include "DurableFileOps.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <ctime>
#include <vector>

#include "UniqueFd.h"
#include "tributary/Hex.h"
#include "tributary/storage/IoError.h"

namespace tributary::storage::durable {

namespace {

std::string parentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// 8 hex chars identifying this host, so PIDs are only compared with PIDs of the same kernel.
const std::string& hostTag() {
  static const std::string* tag = [] {  // leaked on purpose: no static destructor in a .so
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    uint32_t h = 2166136261u;  // FNV-1a
    for (const char* p = host; *p != '\0'; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;
    char buffer[9];
    std::snprintf(buffer, sizeof buffer, "%08x", h);
    return new std::string(buffer);
  }();
  return *tag;
}

}  // namespace

bool isOrphanedTemp(std::string_view name) {
  // .tmp-<host 8 hex>-<pid>-<random>
  constexpr std::string_view kPrefix = ".tmp-";
  if (name.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view rest = name.substr(kPrefix.size());
  const size_t dash1 = rest.find('-');
  if (dash1 == std::string_view::npos || rest.substr(0, dash1) != hostTag()) return false;
  rest = rest.substr(dash1 + 1);
  const size_t dash2 = rest.find('-');
  if (dash2 == std::string_view::npos || dash2 == 0 || dash2 > 10) return false;
  long pid = 0;
  for (char c : rest.substr(0, dash2)) {
    if (c < '0' || c > '9') return false;
    pid = pid * 10 + (c - '0');
  }
  if (pid <= 0 || pid == ::getpid()) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::string tempName() {
  unsigned char raw[8];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = ::getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    got += static_cast<size_t>(n);
  }
  if (got < sizeof raw) {
    // getrandom cannot fail on Linux >= 3.17 with these flags; keep names unique regardless.
    static std::atomic<uint64_t> counter{0};
    uint64_t v = (static_cast<uint64_t>(::getpid()) << 32) ^ counter.fetch_add(1) ^
                 reinterpret_cast<uintptr_t>(&got);
    for (size_t i = 0; i < sizeof raw; ++i) raw[i] = static_cast<unsigned char>(v >> (8 * i));
  }
  return ".tmp-" + hostTag() + "-" + std::to_string(::getpid()) + "-" + hexEncode(raw, sizeof raw);
}

Status syncDirectory(int dir, const std::string& dirPath) {
  if (::fsync(dir) != 0) return ioError("fsync directory " + dirPath, errno);
  return Status();
}

Status makeDirectories(const std::string& path, mode_t mode, bool sync) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    if (path.empty() || path == "/" || path == ".") return Status();
    if (::mkdir(path.c_str(), mode) == 0) {
      if (::chmod(path.c_str(), mode) != 0) {
        if (errno == ENOENT) continue;
        return ioError("chmod " + path, errno);
      }
      if (sync) {
        UniqueFd parent(::open(parentOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!parent.valid()) return ioError("open directory " + parentOf(path), errno);
        return syncDirectory(parent.get(), parentOf(path));
      }
      return Status();
    }
    int err = errno;
    if (err == EEXIST) {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return Status();
        return ioError("create directory " + path, ENOTDIR);
      }
      if (errno == ENOENT) continue;
      return ioError("stat " + path, errno);
    }
    if (err != ENOENT) return ioError("create directory " + path, err);
    TRIB_RETURN_IF_ERROR(makeDirectories(parentOf(path), mode, sync));
  }
  return abortedError("directory " + path + " kept disappearing while being created");
}

Status writeFully(int fd, const char* data, size_t len, const std::string& pathForErrors) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("write " + pathForErrors, errno);
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return Status();
}

Status writeNewFile(int dir, const std::string& dirPath, const std::string& name,
                    std::string_view bytes, mode_t mode, bool sync) {
  const std::string path = dirPath + "/" + name;
  UniqueFd fd(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       mode));
  if (!fd.valid()) return ioError("create " + path, errno);
  Status status;
  if (::fchmod(fd.get(), mode) != 0) status = ioError("chmod " + path, errno);
  if (status.isOk()) status = writeFully(fd.get(), bytes.data(), bytes.size(), path);
  if (status.isOk() && sync && ::fsync(fd.get()) != 0) status = ioError("fsync " + path, errno);
  if (status.isOk() && fd.reset() != 0) status = ioError("close " + path, errno);
  if (!status.isOk()) ::unlinkat(dir, name.c_str(), 0);
  return status;
}

Status replaceFile(int dir, const std::string& dirPath, const std::string& name,
                   std::string_view bytes, mode_t mode, bool sync,
                   const std::function<Status()>& beforeRename) {
  const std::string temp = tempName();
  TRIB_RETURN_IF_ERROR(writeNewFile(dir, dirPath, temp, bytes, mode, sync));
  Status status = beforeRename ? beforeRename() : Status();
  if (status.isOk() && ::renameat(dir, temp.c_str(), dir, name.c_str()) != 0)
    status = ioError("rename " + dirPath + "/" + temp + " to " + dirPath + "/" + name, errno);
  if (!status.isOk()) {
    ::unlinkat(dir, temp.c_str(), 0);
    return status;
  }
  if (sync) return syncDirectory(dir, dirPath);
  return Status();
}

Status renameNoReplace(int fromDir, const std::string& from, int toDir, const std::string& to,
                       bool isDirectory, bool* targetExisted, const std::string& pathsForErrors) {
  *targetExisted = false;
  if (::renameat2(fromDir, from.c_str(), toDir, to.c_str(), RENAME_NOREPLACE) == 0)
    return Status();
  int err = errno;
  if (err == EEXIST || err == ENOTEMPTY) {
    *targetExisted = true;
    return Status();
  }
  if (err != EINVAL && err != ENOSYS && err != ENOTSUP) return ioError("rename " + pathsForErrors, err);
  // The filesystem has no RENAME_NOREPLACE.
  if (!isDirectory) {
    if (::linkat(fromDir, from.c_str(), toDir, to.c_str(), 0) == 0) {
      ::unlinkat(fromDir, from.c_str(), 0);
      return Status();
    }
    if (errno == EEXIST) {
      *targetExisted = true;
      return Status();
    }
  }
  // Last resort: a plain rename refuses a non-empty directory target; for a file the bytes are
  // identical (same verified digest), so replacing is harmless.
  if (::renameat(fromDir, from.c_str(), toDir, to.c_str()) == 0) return Status();
  err = errno;
  if (err == EEXIST || err == ENOTEMPTY) {
    *targetExisted = true;
    return Status();
  }
  return ioError("rename " + pathsForErrors, err);
}

Result<std::string> readFile(int dir, const std::string& dirPath, const std::string& name,
                             size_t maxSize) {
  const std::string path = dirPath + "/" + name;
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return notFoundError(path + " does not exist");
    if (errno == ELOOP) return dataLossError(path + " is a symbolic link");
    return ioError("open " + path, errno);
  }
  std::string content;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("read " + path, errno);
    }
    if (n == 0) break;
    if (content.size() + static_cast<size_t>(n) > maxSize)
      return dataLossError(path + " is larger than the expected " + std::to_string(maxSize) +
                           " bytes");
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

Result<std::vector<std::string>> listDirectory(int dir, const std::string& dirPath,
                                               size_t maxEntries) {
  // A duplicate shares the descriptor's read position: rewind it, and read from the start.
  const int copy = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return ioError("list " + dirPath, errno);
  DIR* handle = ::fdopendir(copy);
  if (handle == nullptr) {
    const int err = errno;
    ::close(copy);
    return ioError("list " + dirPath, err);
  }
  ::rewinddir(handle);
  std::vector<std::string> names;
  Status status;
  for (;;) {
    errno = 0;
    struct dirent* entry = ::readdir(handle);
    if (entry == nullptr) {
      if (errno != 0) status = ioError("list " + dirPath, errno);
      break;
    }
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    if (names.size() == maxEntries) {
      status = resourceExhaustedError(dirPath + " holds more than " + std::to_string(maxEntries) +
                                      " entries");
      break;
    }
    names.emplace_back(entry->d_name);
  }
  ::closedir(handle);
  if (!status.isOk()) return status;
  return names;
}

Result<uint64_t> regularFileSize(int dir, const std::string& dirPath, const std::string& name) {
  const std::string path = dirPath + "/" + name;
  struct stat st;
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return notFoundError(path + " does not exist");
    return ioError("stat " + path, errno);
  }
  if (!S_ISREG(st.st_mode)) return dataLossError(path + " is not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

void removeStaleTemps(int dir, int maxAgeSeconds) {
  int copy = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return;
  DIR* handle = ::fdopendir(copy);
  if (handle == nullptr) {
    ::close(copy);
    return;
  }
  std::vector<std::string> stale;
  const time_t now = ::time(nullptr);
  while (struct dirent* entry = ::readdir(handle)) {
    if (std::strncmp(entry->d_name, ".tmp-", 5) != 0) continue;
    struct stat st;
    if (::fstatat(::dirfd(handle), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (isOrphanedTemp(entry->d_name) || now - st.st_mtime > maxAgeSeconds)
      stale.push_back(entry->d_name);
  }
  ::closedir(handle);
  for (const auto& name : stale) removeTree(dir, name);
}

void removeTree(int dir, const std::string& name) {
  struct stat st;
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    int sub = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0) {
      DIR* handle = ::fdopendir(sub);
      if (handle == nullptr) {
        ::close(sub);
      } else {
        std::vector<std::string> children;
        while (struct dirent* entry = ::readdir(handle)) {
          if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0)
            continue;
          children.push_back(entry->d_name);
        }
        for (const auto& child : children) removeTree(::dirfd(handle), child);
        ::closedir(handle);
      }
    }
    ::unlinkat(dir, name.c_str(), AT_REMOVEDIR);
    return;
  }
  ::unlinkat(dir, name.c_str(), 0);
}

}  // namespace tributary::storage::durable
