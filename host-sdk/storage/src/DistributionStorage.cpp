#include "tributary/storage/DistributionStorage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "BeneathRoot.h"
#include "tributary/DigestHasher.h"
#include "DurableFileOps.h"
#include "UniqueFd.h"
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

// Every path below is relative to the storage root and reached through BeneathRoot, so a
// symlink planted inside the layout cannot lead a write (or a read deciding one) out of it.
constexpr const char* kV2 = "docker/registry/v2";

DistributionStorage::DistributionStorage(std::unique_ptr<BeneathRoot> root,
                                         const std::string& rootPath, Options options)
    : root_(std::move(root)),
      rootPath_(root_ ? root_->path() : rootPath),
      v2Root_(rootPath_ + "/" + kV2),
      options_(options) {}

DistributionStorage::~DistributionStorage() = default;

Result<std::unique_ptr<DistributionStorage>> DistributionStorage::open(
    const std::string& rootDirectory, Options options) {
  TRIB_RETURN_IF_ERROR(checkRoot(rootDirectory));
  std::string root = rootDirectory;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  const std::string context = "opening storage root " + rootDirectory;
  if (options.readOnly) {
    // A dry run creates nothing: an absent root reads as empty storage.
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0) {
      return std::unique_ptr<DistributionStorage>(new DistributionStorage(nullptr, root, options));
    }
    auto beneath = BeneathRoot::open(root);
    if (!beneath.isOk()) return beneath.status().withContext(context);
    return std::unique_ptr<DistributionStorage>(
        new DistributionStorage(std::move(beneath).value(), root, options));
  }
  TRIB_RETURN_IF_ERROR(
      durable::makeDirectories(root, options.dirMode, options.fsync).withContext(context));
  // Resolved once: from here on nothing is looked up by absolute path again.
  auto beneath = BeneathRoot::open(root);
  if (!beneath.isOk()) return beneath.status().withContext(context);
  TRIB_RETURN_IF_ERROR(
      (*beneath)->directory(kV2, true, options.dirMode, options.fsync).status().withContext(context));
  return std::unique_ptr<DistributionStorage>(
      new DistributionStorage(std::move(beneath).value(), root, options));
}

Result<UniqueFd> DistributionStorage::directory(const std::string& relative, bool create) const {
  if (options_.readOnly && create)
    return failedPreconditionError("storage was opened read-only (dry run)");
  if (!root_) return notFoundError("storage root " + rootPath_ + " does not exist");
  return root_->directory(relative, create, options_.dirMode, options_.fsync);
}

std::string DistributionStorage::fullPath(const std::string& relative) const {
  return rootPath_ + "/" + relative;
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
  return std::string(kV2) + "/blobs/" + digest.algorithm + "/" + digest.hex.substr(0, 2) + "/" +
         digest.hex;
}

std::string DistributionStorage::repositoryDirectory(std::string_view repository) const {
  return std::string(kV2) + "/repositories/" + std::string(repository);
}

Result<uint64_t> DistributionStorage::statBlob(std::string_view digest) {
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  const std::string rel = blobDirectory(parsed);
  auto dir = directory(rel, false);
  if (dir.status().code() == StatusCode::kNotFound)
    return notFoundError("blob " + parsed.toString() + " is not in the blob store");
  TRIB_RETURN_IF_ERROR(dir.status());
  Result<uint64_t> size = durable::regularFileSize(dir->get(), fullPath(rel), "data");
  if (size.status().code() == StatusCode::kNotFound)
    return notFoundError("blob " + parsed.toString() + " is not in the blob store");
  // A present blob is reused and never written again, so this is the last chance to drop the
  // partial download a killed writer left beside it.
  if (size.isOk() && !options_.readOnly) durable::removeStaleTemps(dir->get());
  return size;
}

Result<std::unique_ptr<BlobWriter>> DistributionStorage::openBlobWriter(std::string_view digest,
                                                                        uint64_t expectedSize) {
  if (options_.readOnly) return failedPreconditionError("storage was opened read-only (dry run)");
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  TRIB_ASSIGN_OR_RETURN(auto hasher, DigestHasher::create(parsed.algorithm));
  const std::string rel = blobDirectory(parsed);
  const std::string parentRel = rel.substr(0, rel.rfind('/'));
  // An aborting writer of the same digest may rmdir the directory between our mkdir and open
  // (it only succeeds while the directory is empty); then create it again.
  for (int attempt = 0;; ++attempt) {
    TRIB_ASSIGN_OR_RETURN(UniqueFd dir, directory(rel, true));
    TRIB_ASSIGN_OR_RETURN(UniqueFd parent, directory(parentRel, false));
    if (attempt == 0) durable::removeStaleTemps(dir.get());
    std::string tempName = durable::tempName();
    int fd = ::openat(dir.get(), tempName.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, options_.fileMode);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT && attempt < 8) continue;
      return ioError("create " + fullPath(rel) + "/" + tempName, err);
    }
    if (::fchmod(fd, options_.fileMode) != 0) {
      int err = errno;
      ::close(fd);
      ::unlinkat(dir.get(), tempName.c_str(), 0);
      return ioError("chmod " + fullPath(rel) + "/" + tempName, err);
    }
    return std::unique_ptr<BlobWriter>(new BlobWriter(
        *this, std::move(parsed), expectedSize, fullPath(rel), dir.release(), parent.release(),
        std::move(tempName), fd, std::move(hasher)));
  }
}

Result<std::unique_ptr<StoredBlobWriter>> DistributionStorage::openWriter(std::string_view digest,
                                                                         uint64_t expectedSize) {
  TRIB_ASSIGN_OR_RETURN(auto writer, openBlobWriter(digest, expectedSize));
  return std::unique_ptr<StoredBlobWriter>(std::move(writer));
}

Status DistributionStorage::writeLink(const std::string& directoryRel, const Digest& digest,
                                      std::string_view step) {
  const std::string content = digest.toString();
  const std::string shown = fullPath(directoryRel);
  // Idempotent and cheap on re-sync: a correct link is left alone (no rewrite, no fsync).
  auto existingDir = directory(directoryRel, false);
  if (existingDir.isOk()) {
    Result<std::string> existing = durable::readFile(existingDir->get(), shown, "link", kMaxLinkSize);
    if (existing.isOk() && *existing == content) {
      durable::removeStaleTemps(existingDir->get());  // a killed re-linker's temp file, if any
      return Status();
    }
  } else if (existingDir.status().code() != StatusCode::kNotFound) {
    return existingDir.status();
  }
  TRIB_ASSIGN_OR_RETURN(UniqueFd dir, directory(directoryRel, true));
  durable::removeStaleTemps(dir.get());  // a crash before the rename left one behind
  return durable::replaceFile(dir.get(), shown, "link", content, options_.fileMode, options_.fsync,
                              [this, step] { return runFaultHook(step); });
}

Status DistributionStorage::ensureLayersDirectory(std::string_view repository) {
  return directory(repositoryDirectory(repository) + "/_layers", true).status();
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
  const std::string rel = blobDirectory(parsed);
  bool same = false;
  auto existingDir = directory(rel, false);
  if (existingDir.isOk()) {
    Result<std::string> existing =
        durable::readFile(existingDir->get(), fullPath(rel), "data", bytes.size());
    same = existing.isOk() && *existing == bytes;
  } else if (existingDir.status().code() != StatusCode::kNotFound) {
    return existingDir.status();
  }
  if (!same) {
    TRIB_ASSIGN_OR_RETURN(UniqueFd dir, directory(rel, true));
    durable::removeStaleTemps(dir.get());
    TRIB_RETURN_IF_ERROR(durable::replaceFile(dir.get(), fullPath(rel), "data", bytes,
                                              options_.fileMode, options_.fsync,
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
  const std::string linkRel = repositoryDirectory(repository) + "/_manifests/revisions/" +
                              parsed.algorithm + "/" + parsed.hex;
  const std::string notRevision =
      "manifest " + parsed.toString() + " is not a revision of " + std::string(repository);
  auto linkDir = directory(linkRel, false);
  if (linkDir.status().code() == StatusCode::kNotFound) return notFoundError(notRevision);
  TRIB_RETURN_IF_ERROR(linkDir.status());
  Result<std::string> link = durable::readFile(linkDir->get(), fullPath(linkRel), "link", kMaxLinkSize);
  if (link.status().code() == StatusCode::kNotFound) return notFoundError(notRevision);
  TRIB_RETURN_IF_ERROR(link.status());
  if (*link != parsed.toString())
    return dataLossError(fullPath(linkRel) + "/link holds `" + *link + "`, expected " +
                         parsed.toString());
  // Like Distribution's statter: a revision whose blob data is gone does not exist.
  const std::string missing = "manifest " + parsed.toString() + " of " + std::string(repository) +
                              " is linked but its blob data is missing";
  const std::string rel = blobDirectory(parsed);
  auto blobDir = directory(rel, false);
  if (blobDir.status().code() == StatusCode::kNotFound) return notFoundError(missing);
  TRIB_RETURN_IF_ERROR(blobDir.status());
  Result<uint64_t> size = durable::regularFileSize(blobDir->get(), fullPath(rel), "data");
  if (size.status().code() == StatusCode::kNotFound) return notFoundError(missing);
  return size.status();
}

Result<std::string> DistributionStorage::readManifest(std::string_view repository,
                                                      std::string_view digest) {
  TRIB_RETURN_IF_ERROR(manifestExists(repository, digest));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  // Manifests are at most a few MiB (Distribution refuses pushes over 4 MiB).
  constexpr size_t kMaxManifestSize = 64u << 20;
  const std::string rel = blobDirectory(parsed);
  TRIB_ASSIGN_OR_RETURN(UniqueFd dir, directory(rel, false));
  TRIB_ASSIGN_OR_RETURN(std::string bytes,
                        durable::readFile(dir.get(), fullPath(rel), "data", kMaxManifestSize));
  TRIB_ASSIGN_OR_RETURN(std::string actual, DigestHasher::hexDigestOf(parsed.algorithm, bytes));
  if (actual != parsed.hex)
    return dataLossError("stored manifest " + parsed.toString() + " has digest " +
                         parsed.algorithm + ":" + actual);
  return bytes;
}

Result<std::string> DistributionStorage::getTag(std::string_view repository, std::string_view tag) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_RETURN_IF_ERROR(validateTag(tag));
  const std::string rel = repositoryDirectory(repository) + "/_manifests/tags/" +
                          std::string(tag) + "/current";
  const std::string absent =
      "tag " + std::string(tag) + " does not exist in " + std::string(repository);
  auto dir = directory(rel, false);
  if (dir.status().code() == StatusCode::kNotFound) return notFoundError(absent);
  TRIB_RETURN_IF_ERROR(dir.status());
  Result<std::string> link = durable::readFile(dir->get(), fullPath(rel), "link", kMaxLinkSize);
  if (link.status().code() == StatusCode::kNotFound) return notFoundError(absent);
  TRIB_RETURN_IF_ERROR(link.status());
  Result<Digest> parsed = parseDigest(*link);
  if (!parsed.isOk())
    return dataLossError(fullPath(rel) + "/link is damaged: " + parsed.status().message());
  return std::move(link).value();
}

Result<std::vector<std::string>> DistributionStorage::listTags(std::string_view repository) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  const std::string rel = repositoryDirectory(repository) + "/_manifests/tags";
  const std::string none = "repository " + std::string(repository) + " has no tags in the storage";
  auto dir = directory(rel, false);
  if (dir.status().code() == StatusCode::kNotFound) return notFoundError(none);
  TRIB_RETURN_IF_ERROR(dir.status());
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string> names,
                        durable::listDirectory(dir->get(), fullPath(rel), kMaxListedTags));
  // An empty tags/ (every tag deleted) reads as none, as a bucket, which has no empty
  // directories, can only say it.
  if (names.empty()) return notFoundError(none);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> DistributionStorage::readTagLink(std::string_view repository,
                                                     std::string_view tag) {
  return getTag(repository, tag);
}

Result<std::string> DistributionStorage::readBlob(std::string_view digest, size_t maxBytes) {
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  const std::string rel = blobDirectory(parsed);
  const std::string absent = "blob " + parsed.toString() + " is not in the blob store";
  auto dir = directory(rel, false);
  if (dir.status().code() == StatusCode::kNotFound) return notFoundError(absent);
  TRIB_RETURN_IF_ERROR(dir.status());
  Result<uint64_t> size = durable::regularFileSize(dir->get(), fullPath(rel), "data");
  if (size.status().code() == StatusCode::kNotFound) return notFoundError(absent);
  TRIB_RETURN_IF_ERROR(size.status());
  if (*size > maxBytes)
    return outOfRangeError("blob " + parsed.toString() + " has " + std::to_string(*size) +
                           " bytes, more than " + std::to_string(maxBytes));
  return durable::readFile(dir->get(), fullPath(rel), "data", maxBytes);
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

  const std::string manifestsRel = repositoryDirectory(repository) + "/_manifests";
  const std::string tagRel = manifestsRel + "/tags/" + std::string(tag);
  auto tagDir = directory(tagRel, false);
  if (tagDir.status().code() == StatusCode::kNotFound) {
    bool lostRace = false;
    TRIB_RETURN_IF_ERROR(createTag(manifestsRel, std::string(tag), parsed, &lostRace));
    if (!lostRace) return Status();
    // A concurrent creator made the tag first: re-point it like any existing tag.
  } else {
    TRIB_RETURN_IF_ERROR(tagDir.status());
  }
  return updateTag(tagRel, parsed);
}

Status DistributionStorage::createTag(const std::string& manifestsRel, const std::string& tag,
                                      const Digest& digest, bool* lostRace) {
  // tags/ lists every directory entry as a tag, so the new tag is assembled in a staging
  // directory beside tags/ and appears there complete, in one rename.
  TRIB_ASSIGN_OR_RETURN(UniqueFd manifests, directory(manifestsRel, true));
  durable::removeStaleTemps(manifests.get());  // staging directories of a killed writer
  const std::string staging = durable::tempName();
  const std::string stagingRel = manifestsRel + "/" + staging;
  const std::string indexRel = stagingRel + "/index/" + digest.algorithm + "/" + digest.hex;
  const std::string currentRel = stagingRel + "/current";
  const std::string tagsRel = manifestsRel + "/tags";
  const std::string link = digest.toString();
  UniqueFd tags;
  auto build = [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(UniqueFd index, directory(indexRel, true));
    TRIB_ASSIGN_OR_RETURN(UniqueFd current, directory(currentRel, true));
    TRIB_RETURN_IF_ERROR(durable::writeNewFile(index.get(), fullPath(indexRel), "link", link,
                                               options_.fileMode, options_.fsync));
    TRIB_RETURN_IF_ERROR(durable::writeNewFile(current.get(), fullPath(currentRel), "link", link,
                                               options_.fileMode, options_.fsync));
    if (options_.fsync) {
      TRIB_RETURN_IF_ERROR(durable::syncDirectory(index.get(), fullPath(indexRel)));
      TRIB_RETURN_IF_ERROR(durable::syncDirectory(current.get(), fullPath(currentRel)));
    }
    TRIB_RETURN_IF_ERROR(runFaultHook("tag.create"));
    TRIB_ASSIGN_OR_RETURN(tags, directory(tagsRel, true));
    return durable::renameNoReplace(manifests.get(), staging, tags.get(), tag, true, lostRace,
                                    fullPath(stagingRel) + " to " + fullPath(tagsRel) + "/" + tag);
  };
  Status status = build();
  if (!status.isOk() || *lostRace) {
    durable::removeTree(manifests.get(), staging);
    return status;
  }
  if (options_.fsync) return durable::syncDirectory(tags.get(), fullPath(tagsRel));
  return Status();
}

Status DistributionStorage::updateTag(const std::string& tagRel, const Digest& digest) {
  TRIB_RETURN_IF_ERROR(
      writeLink(tagRel + "/index/" + digest.algorithm + "/" + digest.hex, digest, "tag.index"));
  // current/link last: it is what the registry serves, so it moves only once the index entry
  // (what GC's untagged check and tag deletion consult) is durable.
  return writeLink(tagRel + "/current", digest, "tag.current");
}

}  // namespace tributary::storage
