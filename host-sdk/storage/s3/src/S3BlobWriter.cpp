#include "tributary/storage/s3/S3BlobWriter.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <vector>

#include "S3PartUploader.h"
#include "tributary/DigestHasher.h"
#include "tributary/Mutex.h"
#include "tributary/storage/s3/DistributionS3Storage.h"

namespace tributary::storage::s3 {

namespace {
constexpr uint64_t kMaxParts = 10000;  // S3's limit per multipart upload
constexpr uint64_t kMiB = 1u << 20;
}  // namespace

// The parts of one upload: written by the uploader's threads, read by the writer's.
struct S3BlobWriter::Parts {
  Mutex mutex;
  std::condition_variable_any finished;
  int inFlight GUARDED_BY(mutex) = 0;
  std::vector<S3CompletedPart> done GUARDED_BY(mutex);
  Status firstError GUARDED_BY(mutex);
};

uint64_t S3BlobWriter::partSizeFor(uint64_t expectedSize, uint64_t chunkSize) {
  if (expectedSize <= chunkSize * kMaxParts) return chunkSize;
  const uint64_t needed = (expectedSize + kMaxParts - 1) / kMaxParts;
  return (needed + kMiB - 1) / kMiB * kMiB;
}

uint64_t S3BlobWriter::partCountFor(uint64_t expectedSize, uint64_t partSize) {
  if (expectedSize == 0) return 1;
  return (expectedSize + partSize - 1) / partSize;
}

S3BlobWriter::S3BlobWriter(DistributionS3Storage& storage, Digest digest, uint64_t expectedSize,
                           std::string key, std::unique_ptr<DigestHasher> hasher)
    : storage_(storage),
      digest_(std::move(digest)),
      expectedSize_(expectedSize),
      key_(std::move(key)),
      hasher_(std::move(hasher)),
      partSize_(partSizeFor(expectedSize, storage.chunkSize())),
      parts_(std::make_shared<Parts>()) {}

S3BlobWriter::~S3BlobWriter() { abort(); }

Status S3BlobWriter::write(const char* data, size_t len) {
  if (state_ == State::kFinished)
    return failedPreconditionError("blob writer for " + digest_.toString() + " is finished");
  if (state_ == State::kBroken) return brokenStatus_;
  if (len == 0) return Status();
  if (len > expectedSize_ - offset_)
    return dataLossError("writing " + std::to_string(len) + " bytes at offset " +
                         std::to_string(offset_) + " passes the expected size of " +
                         std::to_string(expectedSize_));
  TRIB_RETURN_IF_ERROR(hasher_->update(data, len));
  while (len > 0) {
    if (!buffer_) {
      // Never more than the blob: a small blob costs its own size, not a whole part.
      const uint64_t capacity =
          std::min<uint64_t>(partSize_, std::max<uint64_t>(expectedSize_, 1));
      buffer_.reset(new char[capacity]);
    }
    const size_t room = static_cast<size_t>(partSize_) - buffered_;
    const size_t take = std::min(room, len);
    std::memcpy(buffer_.get() + buffered_, data, take);
    buffered_ += take;
    offset_ += take;
    data += take;
    len -= take;
    // A full buffer goes up now only if more bytes follow: the last part waits for commit's
    // verification, so a blob of exactly one part is still a single PutObject.
    if (buffered_ == partSize_ && offset_ < expectedSize_) {
      Status status = uploadBuffer();
      if (!status.isOk()) {
        state_ = State::kBroken;
        brokenStatus_ = status;
        return status;
      }
    }
  }
  return Status();
}

Status S3BlobWriter::uploadBuffer() {
  {
    // A part that failed already dooms the blob: say so at the next write, not at commit.
    MutexLock lock(parts_->mutex);
    if (!parts_->firstError.isOk()) return parts_->firstError;
  }
  if (uploadId_.empty()) {
    auto created = storage_.client().createMultipartUpload(key_);
    if (!created.isOk())
      return created.status().withContext("starting the upload of blob " + digest_.toString());
    uploadId_ = std::move(created).value();
  }
  const int number = nextPart_++;
  {
    MutexLock lock(parts_->mutex);
    ++parts_->inFlight;
  }
  // The buffer moves into the job (no copy); the next write allocates a fresh one.
  std::shared_ptr<char[]> bytes(buffer_.release(), std::default_delete<char[]>());
  const size_t size = buffered_;
  buffered_ = 0;
  std::shared_ptr<Parts> parts = parts_;
  S3Client& client = storage_.client();
  const std::string key = key_;
  const std::string uploadId = uploadId_;
  const std::string digest = digest_.toString();
  storage_.uploader_->submit([=, &client]() {
    Result<std::string> etag = unavailableError("part upload did not run");
    try {
      etag = client.uploadPart(key, uploadId, number, std::string_view(bytes.get(), size));
    } catch (const std::exception& e) {
      etag = internalError(std::string("uploading a part: ") + e.what());
    }
    MutexLock lock(parts->mutex);
    if (etag.isOk()) {
      parts->done.push_back(S3CompletedPart{number, std::move(etag).value()});
    } else if (parts->firstError.isOk()) {
      parts->firstError = etag.status().withContext("uploading part " + std::to_string(number) +
                                                    " of blob " + digest);
    }
    --parts->inFlight;
    parts->finished.notify_all();
  });
  return Status();
}

Status S3BlobWriter::waitForParts() {
  MutexLock lock(parts_->mutex);
  parts_->finished.wait(lock, [this]() NO_THREAD_SAFETY_ANALYSIS {
    return parts_->inFlight == 0;
  });
  return parts_->firstError;
}

void S3BlobWriter::abortUpload() {
  (void)waitForParts();  // S3 may keep a part that finishes after the abort: wait first
  if (!uploadId_.empty()) {
    (void)storage_.client().abortMultipartUpload(key_, uploadId_);  // else housekeeping will
    uploadId_.clear();
  }
  MutexLock lock(parts_->mutex);
  parts_->done.clear();
  parts_->firstError = Status();
}

Status S3BlobWriter::reset() {
  if (state_ == State::kFinished)
    return failedPreconditionError("blob writer for " + digest_.toString() + " is finished");
  abortUpload();
  TRIB_RETURN_IF_ERROR(hasher_->reset());
  buffered_ = 0;
  offset_ = 0;
  nextPart_ = 1;
  state_ = State::kOpen;
  brokenStatus_ = Status();
  return Status();
}

Status S3BlobWriter::commit() {
  if (state_ == State::kFinished)
    return failedPreconditionError("blob writer for " + digest_.toString() + " is finished");
  Status status = state_ == State::kBroken ? brokenStatus_ : publish();
  if (!status.isOk()) abortUpload();
  state_ = State::kFinished;
  buffer_.reset();
  return status;
}

Status S3BlobWriter::publish() {
  // Verify before anything can become visible.
  if (offset_ != expectedSize_)
    return dataLossError("got " + std::to_string(offset_) + " bytes, expected " +
                         std::to_string(expectedSize_));
  TRIB_ASSIGN_OR_RETURN(std::string hex, hasher_->finishHex());
  if (hex != digest_.hex) return dataLossError("content has digest " + digest_.algorithm + ":" + hex);

  if (uploadId_.empty()) {
    // One buffer: a single PutObject, atomic, of verified bytes.
    return storage_.client()
        .putObject(key_, std::string_view(buffer_ ? buffer_.get() : "", buffered_))
        .withContext("writing blob " + digest_.toString());
  }
  if (buffered_ > 0) TRIB_RETURN_IF_ERROR(uploadBuffer());
  TRIB_RETURN_IF_ERROR(waitForParts());
  std::vector<S3CompletedPart> parts;
  {
    MutexLock lock(parts_->mutex);
    parts = parts_->done;
  }
  std::sort(parts.begin(), parts.end(),
            [](const S3CompletedPart& a, const S3CompletedPart& b) { return a.number < b.number; });
  if (parts.size() != static_cast<size_t>(nextPart_ - 1))
    return internalError("blob " + digest_.toString() + ": " + std::to_string(parts.size()) +
                         " parts uploaded of " + std::to_string(nextPart_ - 1));
  // The commit point: the object appears now, whole (S3 builds it from the parts atomically).
  TRIB_RETURN_IF_ERROR(storage_.client()
                           .completeMultipartUpload(key_, uploadId_, parts)
                           .withContext("completing blob " + digest_.toString()));
  uploadId_.clear();
  return Status();
}

void S3BlobWriter::abort() {
  if (state_ == State::kFinished) return;
  try {
    abortUpload();
  } catch (...) {
    // Never throws: an upload left behind is aborted by the next run's housekeeping.
  }
  buffer_.reset();
  state_ = State::kFinished;
}

}  // namespace tributary::storage::s3
