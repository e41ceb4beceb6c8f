#include "tributary/storage/s3/DistributionS3Storage.h"

#include <algorithm>
#include <ctime>

#include "S3PartUploader.h"
#include "tributary/DigestHasher.h"
#include "tributary/storage/s3/S3BlobWriter.h"

namespace tributary::storage::s3 {

namespace {

// A link object is "<alg>:<hex>": 71 bytes for sha256, 135 for sha512; more is damage.
constexpr size_t kMaxLinkSize = 256;
constexpr const char* kV2 = "/docker/registry/v2";

}  // namespace

std::string DistributionS3Storage::keyFor(std::string_view rootDirectory,
                                          std::string_view driverPath) {
  // s3-aws/s3.go: strings.TrimLeft(strings.TrimRight(d.RootDirectory, "/")+path, "/")
  std::string root(rootDirectory);
  while (!root.empty() && root.back() == '/') root.pop_back();
  std::string key = root + std::string(driverPath);
  const size_t start = key.find_first_not_of('/');
  return start == std::string::npos ? std::string() : key.substr(start);
}

DistributionS3Storage::DistributionS3Storage(Options options, std::unique_ptr<S3Client> client)
    : options_(std::move(options)),
      prefix_(keyFor(options_.rootDirectory, kV2) + "/"),
      client_(std::move(client)),
      uploader_(std::make_unique<S3PartUploader>(options_.concurrency)) {}

DistributionS3Storage::~DistributionS3Storage() = default;

Result<std::unique_ptr<DistributionS3Storage>> DistributionS3Storage::open(Options options) {
  if (options.chunkSize < kMinChunkSize || options.chunkSize > kMaxChunkSize)
    return invalidArgumentError("chunksize " + std::to_string(options.chunkSize) +
                                " is outside " + std::to_string(kMinChunkSize) + ".." +
                                std::to_string(kMaxChunkSize) + " (S3's part size limits)");
  if (options.concurrency < 1 || options.concurrency > 64)
    return invalidArgumentError("part concurrency " + std::to_string(options.concurrency) +
                                " is outside 1..64");
  TRIB_ASSIGN_OR_RETURN(auto client, S3Client::create(options.client));
  std::unique_ptr<DistributionS3Storage> storage(
      new DistributionS3Storage(std::move(options), std::move(client)));
  // One cheap signed request now: a wrong key, secret, bucket or endpoint fails here, before
  // any source is contacted, with S3's own words.
  auto probe = storage->client_->listObjectsV2(storage->prefix_, "", 1);
  if (!probe.isOk())
    return probe.status().withContext("reading bucket " + storage->client_->describe());
  if (!storage->options_.readOnly && storage->options_.abortUploadsOlderThan) {
    auto aborted = storage->abortStaleUploads(*storage->options_.abortUploadsOlderThan);
    if (!aborted.isOk()) {
      storage->housekeepingNote_ =
          "could not abort stale multipart uploads: " + aborted.status().message();
    } else if (*aborted > 0) {
      storage->housekeepingNote_ = "aborted " + std::to_string(*aborted) +
                                   " incomplete multipart upload(s) under " + storage->prefix_;
    }
  }
  return storage;
}

std::string DistributionS3Storage::describe() const {
  return "s3://" + client_->bucket() + "/" + prefix_.substr(0, prefix_.size() - 1) + " at " +
         client_->describe();
}

Result<size_t> DistributionS3Storage::abortStaleUploads(std::chrono::seconds olderThan) {
  const long long cutoff = static_cast<long long>(std::time(nullptr)) - olderThan.count();
  size_t aborted = 0;
  std::string keyMarker, uploadIdMarker;
  for (;;) {
    TRIB_ASSIGN_OR_RETURN(S3UploadPage page,
                          client_->listMultipartUploads(prefix_, keyMarker, uploadIdMarker));
    for (const S3Upload& upload : page.uploads) {
      // Only keys under our prefix. An age of 0 takes every upload whatever its time: S3
      // stores (and Swift's s3api rounds up) Initiated to the second, so a just-started upload
      // may read as initiated a moment in the future.
      if (upload.key.compare(0, prefix_.size(), prefix_) != 0) continue;
      if (olderThan.count() > 0 && upload.initiatedUnixSeconds > cutoff) continue;
      TRIB_RETURN_IF_ERROR(client_->abortMultipartUpload(upload.key, upload.uploadId));
      ++aborted;
    }
    if (!page.truncated) break;
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker;
  }
  return aborted;
}

Status DistributionS3Storage::checkWritable() const {
  if (options_.readOnly) return failedPreconditionError("storage was opened read-only (dry run)");
  return Status();
}

std::string DistributionS3Storage::blobKey(const Digest& digest) const {
  return prefix_ + "blobs/" + digest.algorithm + "/" + digest.hex.substr(0, 2) + "/" +
         digest.hex + "/data";
}

std::string DistributionS3Storage::repositoryKey(std::string_view repository) const {
  return prefix_ + "repositories/" + std::string(repository);
}

Status DistributionS3Storage::writeLink(const std::string& key, const Digest& digest) {
  // A PUT replaces the object atomically: a reader sees the previous link or this one.
  return client_->putObject(key, digest.toString());
}

Result<std::string> DistributionS3Storage::readLink(const std::string& key) {
  return client_->getObject(key, kMaxLinkSize);
}

Result<uint64_t> DistributionS3Storage::statBlob(std::string_view digest) {
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  Result<uint64_t> size = client_->headObject(blobKey(parsed));
  if (size.status().code() == StatusCode::kNotFound)
    return notFoundError("blob " + parsed.toString() + " is not in the blob store");
  if (!size.isOk()) return size.status().withContext("looking up blob " + parsed.toString());
  return size;
}

Result<std::unique_ptr<StoredBlobWriter>> DistributionS3Storage::openWriter(
    std::string_view digest, uint64_t expectedSize) {
  TRIB_RETURN_IF_ERROR(checkWritable());
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  TRIB_ASSIGN_OR_RETURN(auto hasher, DigestHasher::create(parsed.algorithm));
  std::string key = blobKey(parsed);
  // Straight to blobs/…/data, no _uploads/ staging: the object does not exist until the
  // verified PutObject or CompleteMultipartUpload (see S3BlobWriter).
  return std::unique_ptr<StoredBlobWriter>(
      new S3BlobWriter(*this, std::move(parsed), expectedSize, std::move(key), std::move(hasher)));
}

Status DistributionS3Storage::linkBlob(std::string_view repository, std::string_view digest) {
  TRIB_RETURN_IF_ERROR(checkWritable());
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  // The blob first: a link to a missing blob would be served as a broken layer.
  Result<uint64_t> size = statBlob(parsed.toString());
  if (!size.isOk())
    return size.status().withContext("linking " + parsed.toString() + " into " +
                                     std::string(repository));
  // _layers link after its blob: safe because the blob object is complete (HEAD found it).
  // It also creates the repository's `_layers/` prefix, which the catalog and GC look for.
  return writeLink(repositoryKey(repository) + "/_layers/" + parsed.algorithm + "/" +
                       parsed.hex + "/link",
                   parsed)
      .withContext("linking " + parsed.toString() + " into " + std::string(repository));
}

Status DistributionS3Storage::putManifest(std::string_view repository, std::string_view digest,
                                          std::string_view bytes) {
  TRIB_RETURN_IF_ERROR(checkWritable());
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  TRIB_ASSIGN_OR_RETURN(std::string actual, DigestHasher::hexDigestOf(parsed.algorithm, bytes));
  if (actual != parsed.hex)
    return dataLossError("manifest " + parsed.toString() + " for " + std::string(repository) +
                         ": content has digest " + parsed.algorithm + ":" + actual);
  const std::string context =
      "storing manifest " + parsed.toString() + " of " + std::string(repository);
  // Manifest data: verified bytes, one atomic PUT (rewriting an identical object changes
  // nothing a reader sees). Nothing links to it yet unless an earlier run did, with the same
  // bytes (same digest).
  TRIB_RETURN_IF_ERROR(client_->putObject(blobKey(parsed), bytes).withContext(context));
  // Revision link after the data: once the link exists the manifest is whole. The caller has
  // linked every blob (and stored every child) it references first.
  return writeLink(repositoryKey(repository) + "/_manifests/revisions/" + parsed.algorithm +
                       "/" + parsed.hex + "/link",
                   parsed)
      .withContext(context);
}

Status DistributionS3Storage::manifestExists(std::string_view repository,
                                             std::string_view digest) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  const std::string notRevision =
      "manifest " + parsed.toString() + " is not a revision of " + std::string(repository);
  const std::string linkKey = repositoryKey(repository) + "/_manifests/revisions/" +
                              parsed.algorithm + "/" + parsed.hex + "/link";
  Result<std::string> link = readLink(linkKey);
  if (link.status().code() == StatusCode::kNotFound) return notFoundError(notRevision);
  if (!link.isOk()) return link.status().withContext("reading " + linkKey);
  if (*link != parsed.toString())
    return dataLossError(linkKey + " holds `" + *link + "`, expected " + parsed.toString());
  // Like Distribution's statter: a revision whose blob data is gone does not exist.
  Result<uint64_t> size = client_->headObject(blobKey(parsed));
  if (size.status().code() == StatusCode::kNotFound)
    return notFoundError("manifest " + parsed.toString() + " of " + std::string(repository) +
                         " is linked but its blob data is missing");
  return size.status();
}

Result<std::string> DistributionS3Storage::getTag(std::string_view repository,
                                                  std::string_view tag) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_RETURN_IF_ERROR(validateTag(tag));
  const std::string key =
      repositoryKey(repository) + "/_manifests/tags/" + std::string(tag) + "/current/link";
  Result<std::string> link = readLink(key);
  if (link.status().code() == StatusCode::kNotFound)
    return notFoundError("tag " + std::string(tag) + " does not exist in " +
                         std::string(repository));
  if (!link.isOk()) return link.status().withContext("reading tag " + std::string(tag));
  Result<Digest> parsed = parseDigest(*link);
  if (!parsed.isOk())
    return dataLossError(key + " is damaged: " + parsed.status().message());
  return std::move(link).value();
}

Status DistributionS3Storage::setTag(std::string_view repository, std::string_view tag,
                                     std::string_view digest) {
  TRIB_RETURN_IF_ERROR(checkWritable());
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  TRIB_RETURN_IF_ERROR(validateTag(tag));
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  Status exists = manifestExists(repository, parsed.toString());
  if (exists.code() == StatusCode::kNotFound)
    return failedPreconditionError("cannot tag: " + exists.message() + " (put the manifest first)");
  TRIB_RETURN_IF_ERROR(exists);
  const std::string tagKey =
      repositoryKey(repository) + "/_manifests/tags/" + std::string(tag);
  const std::string context = "tagging " + std::string(repository) + ":" + std::string(tag);
  // Index entry first (what tag deletion and GC's untagged check consult). Safe: it names a
  // complete revision, and until current/link moves the registry serves the old target. On
  // S3 a new tag is listed (tags/list = the prefixes under tags/) from this PUT on and answers
  // 404 until current/link exists a moment later: never a wrong or partial image.
  TRIB_RETURN_IF_ERROR(
      writeLink(tagKey + "/index/" + parsed.algorithm + "/" + parsed.hex + "/link", parsed)
          .withContext(context));
  // current/link last: it is what the registry serves; one atomic PUT switches the tag from
  // the old digest to the new one.
  return writeLink(tagKey + "/current/link", parsed).withContext(context);
}

Result<std::vector<std::string>> DistributionS3Storage::listTags(std::string_view repository) {
  TRIB_RETURN_IF_ERROR(validateRepositoryName(repository));
  const std::string tagsPrefix = repositoryKey(repository) + "/_manifests/tags/";
  const std::string context = "listing the tags of " + std::string(repository);
  std::vector<std::string> names;
  auto add = [&](const std::string& key) -> Status {
    // "<tagsPrefix><name>/" (a common prefix) or "<tagsPrefix><name>" (a stray object).
    if (key.size() <= tagsPrefix.size() || key.compare(0, tagsPrefix.size(), tagsPrefix) != 0)
      return Status();  // not ours: a server that ignores the prefix must not add names
    std::string name = key.substr(tagsPrefix.size());
    if (!name.empty() && name.back() == '/') name.pop_back();
    if (name.empty() || name.find('/') != std::string::npos) return Status();
    if (names.size() == kMaxListedTags)
      return resourceExhaustedError(context + ": more than " + std::to_string(kMaxListedTags) +
                                    " entries under " + tagsPrefix);
    names.push_back(std::move(name));
    return Status();
  };
  std::string token;
  for (;;) {
    Result<S3ObjectPage> page = client_->listObjectsV2(tagsPrefix, token, 1000, "/");
    if (!page.isOk()) return page.status().withContext(context);
    for (const std::string& prefix : page->commonPrefixes) TRIB_RETURN_IF_ERROR(add(prefix));
    for (const S3Object& object : page->objects) TRIB_RETURN_IF_ERROR(add(object.key));
    if (!page->truncated) break;
    token = page->nextContinuationToken;
  }
  if (names.empty())
    return notFoundError("repository " + std::string(repository) + " has no tags in the storage");
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<std::string> DistributionS3Storage::readTagLink(std::string_view repository,
                                                       std::string_view tag) {
  return getTag(repository, tag);
}

Result<std::string> DistributionS3Storage::readBlob(std::string_view digest, size_t maxBytes) {
  TRIB_ASSIGN_OR_RETURN(Digest parsed, parseDigest(digest));
  Result<std::string> bytes = client_->getObject(blobKey(parsed), maxBytes);
  if (bytes.status().code() == StatusCode::kNotFound)
    return notFoundError("blob " + parsed.toString() + " is not in the blob store");
  if (bytes.status().code() == StatusCode::kOutOfRange)
    return outOfRangeError("blob " + parsed.toString() + " is larger than " +
                           std::to_string(maxBytes) + " bytes");
  if (!bytes.isOk()) return bytes.status().withContext("reading blob " + parsed.toString());
  return bytes;
}

}  // namespace tributary::storage::s3
