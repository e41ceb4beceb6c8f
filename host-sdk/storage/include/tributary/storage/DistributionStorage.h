// Writer for CNCF Distribution 2.8's filesystem storage layout (registry-facts.md §A).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/Names.h"
#include "tributary/Status.h"
#include "tributary/storage/BlobWriter.h"
#include "tributary/storage/StorageBackend.h"
#include "tributary/storage/StorageReader.h"

namespace tributary::storage {

class BeneathRoot;
class UniqueFd;

/// How DistributionStorage writes files (DistributionStorage::Options). Declared outside the
/// class so that `Options options = {}` works as a default argument (GCC cannot use a nested
/// struct's default member initializers there).
struct DistributionStorageOptions {
  mode_t fileMode = 0644;  // applied with fchmod, whatever the umask
  mode_t dirMode = 0755;   // applied with chmod, whatever the umask
  bool fsync = true;       // off only for tests and benchmarks that accept no durability
  // A dry run: open() creates nothing, statBlob() removes no stale temp files, and every
  // write is kFailedPrecondition — the root may be absent or belong to another user.
  bool readOnly = false;
};

/// Writes blobs, `_layers` links, manifest revisions and tags under
/// <rootdirectory>/docker/registry/v2 so that a stock registry serving the same root never sees
/// a half-written file: every file is written to a `.tmp-<random>` file in its own directory,
/// chmod'ed, fsynced, renamed into place, and the directory fsynced. A new tag appears
/// atomically (built in a staging directory under `_manifests/` and renamed into `tags/`); an
/// existing tag gets its index link, then its current link last.
///
/// Every name and digest is validated (tributary/Names.h) before any path is built; a bad one
/// is kInvalidArgument and nothing is written. Local I/O failures are ioError() statuses.
///
/// Writes stay beneath the root (issue #7): the root is resolved once at open, and every
/// directory is reached relative to it without following a symlink that leads out
/// (openat2 RESOLVE_BENEATH, else an O_NOFOLLOW walk that refuses any symlink); files are
/// created, renamed and read relative to that directory, never following a final symlink. A
/// symlink that leads out is kPermissionDenied naming it, and nothing is written through it.
///
/// Reads (StorageReader, readManifest, getTag) go through the same resolved root, so a symlink
/// planted in the layout cannot make the admin API read a file outside it either.
///
/// Threads: every method may be called from any thread concurrently (state on disk only; the
/// fault hook is guarded by a mutex).
class DistributionStorage final : public StorageBackend, public StorageReader {
 public:
  using Options = DistributionStorageOptions;

  /// `rootDirectory` is the registry's storage.filesystem.rootdirectory (created if missing,
  /// then resolved once: v2Root() is beneath the resolved path); <root>/docker/registry/v2 is
  /// created if missing.
  static Result<std::unique_ptr<DistributionStorage>> open(const std::string& rootDirectory,
                                                           Options options = {});
  ~DistributionStorage() override;

  const std::string& v2Root() const { return v2Root_; }
  const Options& options() const { return options_; }

  /// Size of blobs/<alg>/<xx>/<hex>/data, or kNotFound.
  Result<uint64_t> statBlob(std::string_view digest) override;
  /// A writer for a blob of known digest and size (see BlobWriter).
  Result<std::unique_ptr<BlobWriter>> openBlobWriter(std::string_view digest,
                                                     uint64_t expectedSize);
  /// openBlobWriter, as the BlobStore interface names it.
  Result<std::unique_ptr<StoredBlobWriter>> openWriter(std::string_view digest,
                                                       uint64_t expectedSize) override;
  /// repositories/<repo>/_layers/<alg>/<hex>/link. kNotFound if the blob is absent. Idempotent.
  Status linkBlob(std::string_view repository, std::string_view digest) override;
  /// Verifies `bytes` against `digest` (kDataLoss, nothing written, on mismatch), then stores
  /// blob data and the _manifests/revisions link, and makes sure `_layers/` exists (without it
  /// Distribution's catalog and GC ignore the repository). Idempotent.
  Status putManifest(std::string_view repository, std::string_view digest,
                     std::string_view bytes) override;
  /// OK when `digest` is a revision of `repository` (link present and its blob data present),
  /// else kNotFound.
  Status manifestExists(std::string_view repository, std::string_view digest) override;
  /// The bytes of a revision (verified against the digest: kDataLoss if the stored bytes differ).
  Result<std::string> readManifest(std::string_view repository, std::string_view digest);
  /// The digest a tag's current/link holds, or kNotFound.
  Result<std::string> getTag(std::string_view repository, std::string_view tag) override;
  /// Points `tag` at revision `digest` (kFailedPrecondition if it is not a revision). Old index
  /// entries stay, as with Distribution's own re-tag.
  Status setTag(std::string_view repository, std::string_view tag,
                std::string_view digest) override;

  // StorageReader (see tributary/storage/StorageReader.h).
  /// The entries of repositories/<repo>/_manifests/tags/ (directories and stray files alike).
  Result<std::vector<std::string>> listTags(std::string_view repository) override;
  /// getTag().
  Result<std::string> readTagLink(std::string_view repository, std::string_view tag) override;
  Result<std::string> readBlob(std::string_view digest, size_t maxBytes) override;

  /// Test hook, called with a step name just before each durable publish step: "blob.data",
  /// "layers.link", "manifest.data", "revision.link", "tag.create" (rename of a new tag's staging
  /// directory into tags/), "tag.index", "tag.current". A non-OK result aborts the operation with
  /// that status (temp files removed). Pass an empty function to remove it.
  void setFaultHook(std::function<Status(std::string_view step)> hook);

 private:
  friend class BlobWriter;

  // `root` is null only for a read-only storage whose root does not exist yet.
  DistributionStorage(std::unique_ptr<BeneathRoot> root, const std::string& rootPath,
                      Options options);
  Status runFaultHook(std::string_view step);

  // Paths relative to the storage root ("docker/registry/v2/...").
  std::string blobDirectory(const Digest& digest) const;
  std::string repositoryDirectory(std::string_view repository) const;
  Result<UniqueFd> directory(const std::string& relative, bool create) const;
  std::string fullPath(const std::string& relative) const;  // for messages
  Status writeLink(const std::string& directoryRel, const Digest& digest, std::string_view step);
  Status ensureLayersDirectory(std::string_view repository);
  Status requireRevision(std::string_view repository, const Digest& digest);
  Status createTag(const std::string& manifestsRel, const std::string& tag, const Digest& digest,
                   bool* lostRace);
  Status updateTag(const std::string& tagRel, const Digest& digest);

  const std::unique_ptr<BeneathRoot> root_;  // null: read-only and the root is absent
  const std::string rootPath_;
  const std::string v2Root_;
  const Options options_;
  std::mutex hookMutex_;
  std::shared_ptr<const std::function<Status(std::string_view)>> faultHook_;
};

}  // namespace tributary::storage
