#include "tributary/storage/DistributionStorage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "tributary/DigestHasher.h"
#include "DurableFileOps.h"
#include "tributary/storage/IoError.h"

namespace tributary::storage {

namespace {

// A link file is "<alg>:<hex>": 71 bytes for sha256, 135 for sha512; anything longer is damage.
constexpr size_t kMaxLinkSize = 256;

Status checkRoot(const std::string& rootDirectory) {
  if (rootDirectory.empty()) return invalidArgumentError("storage root directory is empty");
  if (rootDirectory.find('\0') != std::string::npos)
    return invalidArgumentError("storage root directory contains a NUL byte");
  return Status();
}

}  // namespace

DistributionStorage::DistributionStorage(std::string v2Root, Options options)
    : v2Root_(std::move(v2Root)), options_(options) {}

Result<std::unique_ptr<DistributionStorage>> DistributionStorage::open(
    const std::string& rootDirectory, Options options) {
  TRIB_RETURN_IF_ERROR(checkRoot(rootDirectory));
  std::string root = rootDirectory;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::string v2Root = (root == "/" ? std::string() : root) + "/docker/registry/v2";
  if (options.readOnly) {
    return std::unique_ptr<DistributionStorage>(new DistributionStorage(std::move(v2Root), options));
  }
  TRIB_RETURN_IF_ERROR(durable::makeDirectories(v2Root, options.dirMode, options.fsync)
                           .withContext("opening storage root " + rootDirectory));
  return std::unique_ptr<DistributionStorage>(new DistributionStorage(std::move(v2Root), options));
}

void DistributionStorage::setFaultHook(std::function<Status(std::string_view step)> hook) {
  std::shared_ptr<const std::function<Status(std::string_view)>> next;
  if (hook) next = std::make_shared<const std::function<Status(std::string_view)>>(std::move(hook));
  std::lock_guard<std::mutex> lock(hookMutex_);
  faultHook_ = std::move(next);
}

Status DistributionStorage::runFaultHook(std::string_view step) {
  std::shared_ptr<const std::function<Status(std::string_view)>> hook;
  {
    std::lock_guard<std::mutex> lock(hookMutex_);
    hook = faultHook_;
  }
  if (!hook) return Status();
  // A throwing hook must not skip the temp-file cleanup around it.
  try {
    return (*hook)(step);
  } catch (const std::exception& e) {
    return internalError("fault hook at " + std::string(step) + " threw: " + e.what());
  } catch (...) {
    return internalError("fault hook at " + std::string(step) + " threw");
  }
}

std::string DistributionStorage::blobDirectory(const Digest& digest) const {
  return v2Root_ + "/blobs/" + digest.algorithm + "/" + digest.hex.substr(0, 2) + "/" + digest.hex;
}

std::string DistributionStorage::repositoryDirectory(std::string_view repository) const {
  return v2Root_ + "/repositories/" + std::string(repository);
}

Result<uint64_t> DistributionStorage::statBlob(std::string_view digest) {
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  const std::string dir = blobDirectory(parsed);
  Result<uint64_t> size = durable::regularFileSize(dir + "/data");
  if (size.status().code() == StatusCode::kNotFound)
    return notFoundError("blob " + parsed.toString() + " is not in the blob store");
  // A present blob is reused and never written again, so this is the last chance to drop the
  // partial download a killed writer left beside it.
  if (size.isOk() && !options_.readOnly) durable::removeStaleTemps(dir);
  return size;
}

Result<std::unique_ptr<BlobWriter>> DistributionStorage::openBlobWriter(std::string_view digest,
                                                                        uint64_t expectedSize) {
  if (options_.readOnly) return failedPreconditionError("storage was opened read-only (dry run)");
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  TRIB_ASSIGN_OR_RETURN(auto hasher, DigestHasher::create(parsed.algorithm));
  const std::string dir = blobDirectory(parsed);
  // An aborting writer of the same digest may rmdir the directory between our mkdir and open
  // (it only succeeds while the directory is empty); then create it again.
  for (int attempt = 0;; ++attempt) {
    TRIB_RETURN_IF_ERROR(durable::makeDirectories(dir, options_.dirMode, options_.fsync));
    if (attempt == 0) durable::removeStaleTemps(dir);
    std::string tempPath = dir + "/" + durable::tempName();
    int fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, options_.fileMode);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT && attempt < 8) continue;
      return ioError("create " + tempPath, err);
    }
    if (::fchmod(fd, options_.fileMode) != 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tempPath.c_str());
      return ioError("chmod " + tempPath, err);
    }
    return std::unique_ptr<BlobWriter>(new BlobWriter(*this, std::move(parsed), expectedSize, dir,
                                                      std::move(tempPath), fd, std::move(hasher)));
  }
}

Status DistributionStorage::writeLink(const std::string& directory, const Digest& digest,
                                      std::string_view step) {
  const std::string content = digest.toString();
  // Idempotent and cheap on re-sync: a correct link is left alone (no rewrite, no fsync).
  Result<std::string> existing = durable::readFile(directory + "/link", kMaxLinkSize);
  if (existing.isOk() && *existing == content) {
    durable::removeStaleTemps(directory);  // a killed re-linker's temp file, if any
    return Status();
  }
  TRIB_RETURN_IF_ERROR(durable::makeDirectories(directory, options_.dirMode, options_.fsync));
  durable::removeStaleTemps(directory);  // a crash before the rename left one behind
  return durable::replaceFile(directory, "link", content, options_.fileMode, options_.fsync,
                              [this, step] { return runFaultHook(step); });
}

Status DistributionStorage::ensureLayersDirectory(std::string_view repository) {
  return durable::makeDirectories(repositoryDirectory(repository) + "/_layers", options_.dirMode,
                                  options_.fsync);
}

Status DistributionStorage::linkBlob(std::string_view repository, std::string_view digest) {
  if (options_.readOnly) return failedPreconditionError("storage was opened read-only (dry run)");
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  Result<uint64_t> size = statBlob(parsed.toString());
  if (!size.isOk()) {
    return size.status().withContext("linking " + parsed.toString() + " into " +
                                     std::string(repository));
  }
  TRIB_RETURN_IF_ERROR(ensureLayersDirectory(repository));
  return writeLink(repositoryDirectory(repository) + "/_layers/" + parsed.algorithm + "/" +
                       parsed.hex,
                   parsed, "layers.link");
}

Status DistributionStorage::putManifest(std::string_view repository, std::string_view digest,
                                        std::string_view bytes) {
  if (options_.readOnly) return failedPreconditionError("storage was opened read-only (dry run)");
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  TRIB_ASSIGN_OR_RETURN(std::string actual, DigestHasher::hexDigestOf(parsed.algorithm, bytes));
  if (actual != parsed.hex)
    return dataLossError("manifest " + parsed.toString() + " for " + std::string(repository) +
                         ": content has digest " + parsed.algorithm + ":" + actual);

  // Blob data: keep an identical existing file, replace a damaged one (manifests are small,
  // so comparing is cheap, and a registry serves manifest bytes without re-verifying them).
  const std::string dir = blobDirectory(parsed);
  Result<std::string> existing = durable::readFile(dir + "/data", bytes.size());
  if (!existing.isOk() || *existing != bytes) {
    TRIB_RETURN_IF_ERROR(durable::makeDirectories(dir, options_.dirMode, options_.fsync));
    durable::removeStaleTemps(dir);
    TRIB_RETURN_IF_ERROR(durable::replaceFile(dir, "data", bytes, options_.fileMode,
                                              options_.fsync,
                                              [this] { return runFaultHook("manifest.data"); }));
  }
  TRIB_RETURN_IF_ERROR(ensureLayersDirectory(repository));
  return writeLink(repositoryDirectory(repository) + "/_manifests/revisions/" + parsed.algorithm +
                       "/" + parsed.hex,
                   parsed, "revision.link");
}

Status DistributionStorage::manifestExists(std::string_view repository, std::string_view digest) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  const std::string linkPath = repositoryDirectory(repository) + "/_manifests/revisions/" +
                               parsed.algorithm + "/" + parsed.hex + "/link";
  Result<std::string> link = durable::readFile(linkPath, kMaxLinkSize);
  if (link.status().code() == StatusCode::kNotFound)
    return notFoundError("manifest " + parsed.toString() + " is not a revision of " +
                         std::string(repository));
  TRIB_RETURN_IF_ERROR(link.status());
  if (*link != parsed.toString())
    return dataLossError(linkPath + " holds `" + *link + "`, expected " + parsed.toString());
  // Like Distribution's statter: a revision whose blob data is gone does not exist.
  Result<uint64_t> size = durable::regularFileSize(blobDirectory(parsed) + "/data");
  if (size.status().code() == StatusCode::kNotFound)
    return notFoundError("manifest " + parsed.toString() + " of " + std::string(repository) +
                         " is linked but its blob data is missing");
  return size.status();
}

Result<std::string> DistributionStorage::readManifest(std::string_view repository,
                                                      std::string_view digest) {
  TRIB_RETURN_IF_ERROR(manifestExists(repository, digest));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  // Manifests are at most a few MiB (Distribution refuses pushes over 4 MiB).
  constexpr size_t kMaxManifestSize = 64u << 20;
  TRIB_ASSIGN_OR_RETURN(std::string bytes,
                        durable::readFile(blobDirectory(parsed) + "/data", kMaxManifestSize));
  TRIB_ASSIGN_OR_RETURN(std::string actual, DigestHasher::hexDigestOf(parsed.algorithm, bytes));
  if (actual != parsed.hex)
    return dataLossError("stored manifest " + parsed.toString() + " has digest " +
                         parsed.algorithm + ":" + actual);
  return bytes;
}

Result<std::string> DistributionStorage::getTag(std::string_view repository, std::string_view tag) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_RETURN_IF_ERROR(validateTag(tag));
  const std::string linkPath = repositoryDirectory(repository) + "/_manifests/tags/" +
                               std::string(tag) + "/current/link";
  Result<std::string> link = durable::readFile(linkPath, kMaxLinkSize);
  if (link.status().code() == StatusCode::kNotFound)
    return notFoundError("tag " + std::string(tag) + " does not exist in " +
                         std::string(repository));
  TRIB_RETURN_IF_ERROR(link.status());
  Result<Digest> parsed = parseDigest(*link);
  if (!parsed.isOk())
    return dataLossError(linkPath + " is damaged: " + parsed.status().message());
  return std::move(link).value();
}

Status DistributionStorage::requireRevision(std::string_view repository, const Digest& digest) {
  Status exists = manifestExists(repository, digest.toString());
  if (exists.code() == StatusCode::kNotFound)
    return failedPreconditionError("cannot tag: " + exists.message() + " (put the manifest first)");
  return exists;
}

Status DistributionStorage::setTag(std::string_view repository, std::string_view tag,
                                   std::string_view digest) {
  if (options_.readOnly) return failedPreconditionError("storage was opened read-only (dry run)");
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_RETURN_IF_ERROR(validateTag(tag));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  TRIB_RETURN_IF_ERROR(requireRevision(repository, parsed));

  const std::string manifestsDir = repositoryDirectory(repository) + "/_manifests";
  const std::string tagDir = manifestsDir + "/tags/" + std::string(tag);
  TRIB_ASSIGN_OR_RETURN(bool tagExists, durable::isDirectory(tagDir));
  if (!tagExists) {
    bool lostRace = false;
    TRIB_RETURN_IF_ERROR(createTag(manifestsDir, tagDir, parsed, &lostRace));
    if (!lostRace) return Status();
    // A concurrent creator made the tag first: re-point it like any existing tag.
  }
  return updateTag(tagDir, parsed);
}

Status DistributionStorage::createTag(const std::string& manifestsDir, const std::string& tagDir,
                                      const Digest& digest, bool* lostRace) {
  // tags/ lists every directory entry as a tag, so the new tag is assembled in a staging
  // directory beside tags/ and appears there complete, in one rename.
  const std::string tagsDir = manifestsDir + "/tags";
  durable::removeStaleTemps(manifestsDir);  // staging directories of a killed writer
  const std::string staging = manifestsDir + "/" + durable::tempName();
  const std::string indexDir = staging + "/index/" + digest.algorithm + "/" + digest.hex;
  const std::string currentDir = staging + "/current";
  const std::string link = digest.toString();
  auto build = [&]() -> Status {
    TRIB_RETURN_IF_ERROR(durable::makeDirectories(indexDir, options_.dirMode, options_.fsync));
    TRIB_RETURN_IF_ERROR(durable::makeDirectories(currentDir, options_.dirMode, options_.fsync));
    TRIB_RETURN_IF_ERROR(
        durable::writeNewFile(indexDir + "/link", link, options_.fileMode, options_.fsync));
    TRIB_RETURN_IF_ERROR(
        durable::writeNewFile(currentDir + "/link", link, options_.fileMode, options_.fsync));
    if (options_.fsync) {
      TRIB_RETURN_IF_ERROR(durable::syncDirectory(indexDir));
      TRIB_RETURN_IF_ERROR(durable::syncDirectory(currentDir));
    }
    TRIB_RETURN_IF_ERROR(runFaultHook("tag.create"));
    TRIB_RETURN_IF_ERROR(durable::makeDirectories(tagsDir, options_.dirMode, options_.fsync));
    return durable::renameNoReplace(staging, tagDir, true, lostRace);
  };
  Status status = build();
  if (!status.isOk() || *lostRace) {
    durable::removeTree(staging);
    return status;
  }
  if (options_.fsync) return durable::syncDirectory(tagsDir);
  return Status();
}

Status DistributionStorage::updateTag(const std::string& tagDir, const Digest& digest) {
  TRIB_RETURN_IF_ERROR(
      writeLink(tagDir + "/index/" + digest.algorithm + "/" + digest.hex, digest, "tag.index"));
  // current/link last: it is what the registry serves, so it moves only once the index entry
  // (what GC's untagged check and tag deletion consult) is durable.
  return writeLink(tagDir + "/current", digest, "tag.current");
}

}  // namespace tributary::storage
