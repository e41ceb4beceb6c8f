// POSIX file operations with the durability and atomicity Distribution's readers need
// (registry-facts.md §A.5): temp file in the same directory, explicit modes (umask may be 077),
// fsync, rename(2), fsync of the directory.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/Status.h"

namespace tributary::storage::durable {

/// ".tmp-<host>-<pid>-<16 random hex>" (<host>: 8 hex of a hash of the host name): matches
/// Distribution's [A-Za-z0-9._-]+ path grammar and can never be a valid tag or repository
/// component (those cannot start with `.`). Host and PID say whose work in progress it is, so a
/// leftover of a killed writer on this host can be removed at once rather than after an hour.
std::string tempName();

/// True when `name` is a temp entry made by a process of this host that no longer runs.
bool isOrphanedTemp(std::string_view name);

/// mkdir -p of an absolute path outside the storage layout (the storage root itself): creates
/// each missing directory with `mode` (chmod'ed explicitly, so umask does not matter) and, when
/// `sync`, fsyncs the parent of every directory it created. Inside the root, directories are
/// made by BeneathRoot::directory(), which never follows a link out of it.
Status makeDirectories(const std::string& path, mode_t mode, bool sync);

// Everything below works relative to an open directory `dir` (from BeneathRoot), never by
// re-walking a path, and never follows a symlink in the final component: what was checked to
// be beneath the root is what is written. `dirPath` only names the directory in messages.

/// fsync a directory so renames and creations inside it survive a crash.
Status syncDirectory(int dir, const std::string& dirPath);

/// write(2) all of `data`, retrying short writes and EINTR.
Status writeFully(int fd, const char* data, size_t len, const std::string& pathForErrors);

/// Creates `name` in `dir` (must not exist) with exactly `mode`, writes `bytes`, fsyncs when
/// `sync`.
Status writeNewFile(int dir, const std::string& dirPath, const std::string& name,
                    std::string_view bytes, mode_t mode, bool sync);

/// Replaces `name` in `dir` atomically: writes a temp file in `dir`, runs `beforeRename` (a
/// non-OK result aborts and removes the temp file), renames it over `name` (a symlink there is
/// replaced, not followed), fsyncs `dir`.
Status replaceFile(int dir, const std::string& dirPath, const std::string& name,
                   std::string_view bytes, mode_t mode, bool sync,
                   const std::function<Status()>& beforeRename);

/// Renames `fromDir/from` to `toDir/to` unless `to` exists (RENAME_NOREPLACE, with a link(2)
/// fallback for files on filesystems without it). Sets *targetExisted and leaves `from` alone
/// when `to` was already there.
Status renameNoReplace(int fromDir, const std::string& from, int toDir, const std::string& to,
                       bool isDirectory, bool* targetExisted, const std::string& pathsForErrors);

/// Whole content of regular file `name` in `dir`, at most `maxSize` bytes. kNotFound when
/// absent; a symlink is kDataLoss (nothing in the layout is one).
Result<std::string> readFile(int dir, const std::string& dirPath, const std::string& name,
                             size_t maxSize);

/// The names in `dir` (without `.` and `..`), in readdir order; more than `maxEntries` is
/// kResourceExhausted.
Result<std::vector<std::string>> listDirectory(int dir, const std::string& dirPath,
                                               size_t maxEntries);

/// Size of regular file `name` in `dir`. kNotFound when absent; kDataLoss when it is not a
/// regular file (a symlink included).
Result<uint64_t> regularFileSize(int dir, const std::string& dirPath, const std::string& name);

/// Age after which a `.tmp-*` entry is a crash leftover, not another writer's work in progress
/// (writers touch their temp files continuously; tag staging lasts milliseconds).
inline constexpr int kStaleTempSeconds = 3600;

/// Best-effort removal of `.tmp-*` files and directories directly inside `dir` that a killed
/// writer left behind: made by a dead process of this host, or older than `maxAgeSeconds`
/// (writers on other hosts sharing the storage, and names from older versions).
void removeStaleTemps(int dir, int maxAgeSeconds = kStaleTempSeconds);

/// Best-effort recursive removal of `name` in `dir` without following symlinks (cleanup of our
/// own temp files and staging directories).
void removeTree(int dir, const std::string& name);

}  // namespace tributary::storage::durable
