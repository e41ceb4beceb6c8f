// POSIX file operations with the durability and atomicity Distribution's readers need
// (registry-facts.md §A.5): temp file in the same directory, explicit modes (umask may be 077),
// fsync, rename(2), fsync of the directory.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary::storage::durable {

/// ".tmp-<host>-<pid>-<16 random hex>" (<host>: 8 hex of a hash of the host name): matches
/// Distribution's [A-Za-z0-9._-]+ path grammar and can never be a valid tag or repository
/// component (those cannot start with `.`). Host and PID say whose work in progress it is, so a
/// leftover of a killed writer on this host can be removed at once rather than after an hour.
std::string tempName();

/// True when `name` is a temp entry made by a process of this host that no longer runs.
bool isOrphanedTemp(std::string_view name);

/// mkdir -p: creates each missing directory with `mode` (chmod'ed explicitly, so umask does not
/// matter) and, when `sync`, fsyncs the parent of every directory it created.
Status makeDirectories(const std::string& path, mode_t mode, bool sync);

/// fsync a directory so renames and creations inside it survive a crash.
Status syncDirectory(const std::string& dir);

/// write(2) all of `data`, retrying short writes and EINTR.
Status writeFully(int fd, const char* data, size_t len, const std::string& pathForErrors);

/// Creates `path` (must not exist) with exactly `mode`, writes `bytes`, fsyncs when `sync`.
Status writeNewFile(const std::string& path, std::string_view bytes, mode_t mode, bool sync);

/// Replaces `dir/name` atomically: writes a temp file in `dir`, runs `beforeRename` (a non-OK
/// result aborts and removes the temp file), renames it over `dir/name`, fsyncs `dir`.
Status replaceFile(const std::string& dir, const std::string& name, std::string_view bytes,
                   mode_t mode, bool sync, const std::function<Status()>& beforeRename);

/// Renames `from` to `to` unless `to` exists (RENAME_NOREPLACE, with a link(2) fallback for
/// files on filesystems without it). Sets *targetExisted and leaves `from` alone when `to` was
/// already there.
Status renameNoReplace(const std::string& from, const std::string& to, bool isDirectory,
                       bool* targetExisted);

/// Whole content of a file of at most `maxSize` bytes. kNotFound when absent.
Result<std::string> readFile(const std::string& path, size_t maxSize);

/// Size of a regular file. kNotFound when absent; kDataLoss when it is not a regular file.
Result<uint64_t> regularFileSize(const std::string& path);

/// True when `path` is an existing directory; false when absent.
Result<bool> isDirectory(const std::string& path);

/// Age after which a `.tmp-*` entry is a crash leftover, not another writer's work in progress
/// (writers touch their temp files continuously; tag staging lasts milliseconds).
inline constexpr int kStaleTempSeconds = 3600;

/// Best-effort removal of `.tmp-*` files and directories directly inside `dir` that a killed
/// writer left behind: made by a dead process of this host, or older than `maxAgeSeconds`
/// (writers on other hosts sharing the storage, and names from older versions).
void removeStaleTemps(const std::string& dir, int maxAgeSeconds = kStaleTempSeconds);

/// Best-effort recursive removal (cleanup of our own temp files and staging directories).
void removeTree(const std::string& path);

}  // namespace tributary::storage::durable
