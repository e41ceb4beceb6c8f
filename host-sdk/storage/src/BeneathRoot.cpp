#include "BeneathRoot.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <vector>

#include "tributary/storage/IoError.h"

namespace tributary::storage {
namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

int openBeneath(int dirFd, const char* path) {
#ifdef SYS_openat2
  struct open_how how {};
  how.flags = kDirectoryFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirFd, path, &how, sizeof how));
#else
  (void)dirFd;
  (void)path;
  errno = ENOSYS;
  return -1;
#endif
}

Result<std::vector<std::string>> components(std::string_view relative) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) slash = relative.size();
    std::string_view c = relative.substr(start, slash - start);
    if (c.empty() || c == "." || c == ".." || c.find('\0') != std::string_view::npos)
      return invalidArgumentError("storage path `" + std::string(relative) +
                                  "` has an empty, `.` or `..` component");
    out.emplace_back(c);
    start = slash + 1;
  }
  return out;
}

}  // namespace

namespace {
std::atomic<bool> g_forceWalk{false};  // tests only
}  // namespace

void BeneathRoot::forceWalkForTesting(bool on) { g_forceWalk = on; }

bool BeneathRoot::kernelResolvesBeneath() {
  if (g_forceWalk) return false;
  // Probed once; a trivially destructible static. ENOSYS (old kernel) or EPERM (a seccomp
  // filter that does not know openat2) mean the O_NOFOLLOW walk.
  static const bool available = [] {
    int fd = openBeneath(AT_FDCWD, ".");
    if (fd < 0) return false;
    ::close(fd);
    return true;
  }();
  return available;
}

Result<std::unique_ptr<BeneathRoot>> BeneathRoot::open(const std::string& root) {
  char resolved[PATH_MAX];
  if (::realpath(root.c_str(), resolved) == nullptr) return ioError("resolve " + root, errno);
  UniqueFd fd(::open(resolved, kDirectoryFlags));
  if (!fd.valid()) return ioError("open storage root " + std::string(resolved), errno);
  return std::unique_ptr<BeneathRoot>(new BeneathRoot(std::move(fd), resolved));
}

Status BeneathRoot::symlinkError(const std::string& relativeLink, int dirFd,
                                 const std::string& name, bool leadsOut) const {
  char target[PATH_MAX];
  ssize_t n = ::readlinkat(dirFd, name.c_str(), target, sizeof target - 1);
  std::string shown = n >= 0 ? std::string(target, static_cast<size_t>(n)) : std::string("?");
  const std::string link = path_ + "/" + relativeLink;
  if (leadsOut)
    return permissionDeniedError("refusing to write through " + link + ": it is a symbolic link to `" +
                                 shown + "`, which leads out of the storage root " + path_);
  return permissionDeniedError("refusing to write through " + link + ": it is a symbolic link to `" +
                               shown + "` and this kernel has no openat2(RESOLVE_BENEATH) to prove "
                               "it stays inside the storage root " + path_);
}

Result<UniqueFd> BeneathRoot::directory(std::string_view relative, bool create, mode_t mode,
                                        bool sync) const {
  TRIB_RETURN_IF_ERROR(components(relative).status());
  if (kernelResolvesBeneath()) {
    const std::string rel(relative);
    UniqueFd fd(openBeneath(fd_.get(), rel.c_str()));
    if (fd.valid()) return Result<UniqueFd>(std::move(fd));
    const int err = errno;
    if (err == ENOENT && !create) return notFoundError(path_ + "/" + rel + " does not exist");
    if (err != ENOENT && err != EXDEV && err != ELOOP && err != ENOTDIR && err != EAGAIN)
      return ioError("open directory " + path_ + "/" + rel, err);
    // Missing parts to create, or a link to name: the walk does both precisely.
  }
  return walk(relative, create, mode, sync);
}

Result<UniqueFd> BeneathRoot::walk(std::string_view relative, bool create, mode_t mode,
                                   bool sync) const {
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string> parts, components(relative));
  UniqueFd current(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!current.valid()) return ioError("duplicate storage root descriptor", errno);
  std::string prefix;
  for (const std::string& name : parts) {
    prefix += (prefix.empty() ? "" : "/") + name;
    const std::string shown = path_ + "/" + prefix;
    bool opened = false;
    // An aborting BlobWriter may rmdir an empty blob directory at any moment, so a directory
    // seen (or just made) can vanish: retry a few times instead of failing.
    for (int attempt = 0; attempt < 16 && !opened; ++attempt) {
      UniqueFd next(::openat(current.get(), name.c_str(), kDirectoryFlags | O_NOFOLLOW));
      if (next.valid()) {
        current = std::move(next);
        opened = true;
        break;
      }
      const int err = errno;
      if (err == ENOENT) {
        if (!create) return notFoundError(shown + " does not exist");
        if (::mkdirat(current.get(), name.c_str(), mode) != 0) {
          if (errno == EEXIST) continue;  // made concurrently (or a link: the open says)
          return ioError("create directory " + shown, errno);
        }
        UniqueFd made(::openat(current.get(), name.c_str(), kDirectoryFlags | O_NOFOLLOW));
        if (!made.valid()) {
          if (errno == ENOENT) continue;
          return ioError("open directory " + shown, errno);
        }
        if (::fchmod(made.get(), mode) != 0) return ioError("chmod " + shown, errno);
        if (sync && ::fsync(current.get()) != 0)
          return ioError("fsync directory " + shown.substr(0, shown.rfind('/')), errno);
        current = std::move(made);
        opened = true;
        break;
      }
      if (err == ELOOP || err == ENOTDIR) {
        struct stat st {};
        if (::fstatat(current.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
          if (errno == ENOENT) continue;
          return ioError("stat " + shown, errno);
        }
        if (!S_ISLNK(st.st_mode)) return ioError("open directory " + shown, ENOTDIR);
        bool leadsOut = false;
        if (kernelResolvesBeneath()) {
          // A link that stays inside the root is fine (and needs nothing created past it).
          UniqueFd through(openBeneath(fd_.get(), prefix.c_str()));
          if (through.valid()) {
            current = std::move(through);
            opened = true;
            break;
          }
          if (errno == ENOENT && !create) return notFoundError(shown + " does not exist");
          leadsOut = errno == EXDEV;
        }
        return symlinkError(prefix, current.get(), name, leadsOut);
      }
      return ioError("open directory " + shown, err);
    }
    if (!opened) return abortedError("directory " + shown + " kept disappearing while being opened");
  }
  return Result<UniqueFd>(std::move(current));
}

}  // namespace tributary::storage
