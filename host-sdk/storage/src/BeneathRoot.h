// The storage root, resolved and opened once, and directories beneath it reached without
// following a symlink out of it (issue #7): a symlinked `repositories/mirror` pointing at
// /etc must not turn a sync into writes under /etc.
//
// With openat2(2) (Linux >= 5.6) a path is resolved with RESOLVE_BENEATH, so symlinks that
// stay inside the root keep working and one that leads out is refused by the kernel (EXDEV).
// Without it, every component is opened with O_NOFOLLOW and any symlink is refused (nothing
// cheaper can prove where it leads without a race). Either way the refusal names the link
// and nothing is created past it. Files are then created, renamed and read relative to the
// returned directory descriptor (DurableFileOps' *At functions), never by path again.
//
// Threads: immutable after open; directory() may be called from any thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "UniqueFd.h"
#include "tributary/Status.h"

namespace tributary::storage {

class BeneathRoot {
 public:
  /// `root` must be an existing directory; it is resolved (realpath) once.
  static Result<std::unique_ptr<BeneathRoot>> open(const std::string& root);

  /// The resolved root path (for messages and tests).
  const std::string& path() const { return path_; }

  /// The directory at `relative` ("a/b/c": no leading `/`, no empty, `.` or `..` component),
  /// opened O_RDONLY|O_DIRECTORY. With `create`, missing directories are made with exactly
  /// `mode` (fchmod, whatever the umask) and, when `sync`, their parents fsynced. kNotFound
  /// when absent and not `create`; kPermissionDenied naming the link when a symlink on the
  /// way leads out of the root.
  Result<UniqueFd> directory(std::string_view relative, bool create, mode_t mode,
                             bool sync) const;

  /// Whether the kernel resolves with RESOLVE_BENEATH (else symlinks are refused outright).
  static bool kernelResolvesBeneath();
  /// Tests: behave as on a kernel without openat2 (the O_NOFOLLOW walk) while `on`.
  static void forceWalkForTesting(bool on);

 private:
  BeneathRoot(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Result<UniqueFd> walk(std::string_view relative, bool create, mode_t mode, bool sync) const;
  Status symlinkError(const std::string& relativeLink, int dirFd, const std::string& name,
                      bool leadsOut) const;

  UniqueFd fd_;
  std::string path_;
};

}  // namespace tributary::storage
