#include "tributary/storage/BlobWriter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "tributary/DigestHasher.h"
#include "DurableFileOps.h"
#include "tributary/storage/DistributionStorage.h"
#include "tributary/storage/IoError.h"

namespace tributary::storage {

BlobWriter::BlobWriter(DistributionStorage& storage, Digest digest, uint64_t expectedSize,
                       std::string blobDirectory, int directoryFd, int parentFd,
                       std::string tempName, int fd, std::unique_ptr<DigestHasher> hasher)
    : storage_(storage),
      digest_(std::move(digest)),
      expectedSize_(expectedSize),
      blobDirectory_(std::move(blobDirectory)),
      directoryFd_(directoryFd),
      parentFd_(parentFd),
      tempName_(std::move(tempName)),
      tempPath_(blobDirectory_ + "/" + tempName_),
      fd_(fd),
      hasher_(std::move(hasher)) {}

BlobWriter::~BlobWriter() {
  abort();
  ::close(directoryFd_);
  ::close(parentFd_);
}

Status BlobWriter::write(const char* data, size_t len) {
  if (state_ == State::kFinished)
    return failedPreconditionError("blob writer for " + digest_.toString() + " is finished");
  if (state_ == State::kBroken) return brokenStatus_;
  if (len == 0) return Status();
  if (len > expectedSize_ - offset_)
    return dataLossError("writing " + std::to_string(len) +
                         " bytes at offset " + std::to_string(offset_) +
                         " passes the expected size of " + std::to_string(expectedSize_));
  Status status = durable::writeFully(fd_, data, len, tempPath_);
  if (!status.isOk()) {
    // Part of the chunk may be on disk: the offset is unknown until reset().
    state_ = State::kBroken;
    brokenStatus_ = status;
    return status;
  }
  TRIB_RETURN_IF_ERROR(hasher_->update(data, len));
  offset_ += len;
  return Status();
}

Status BlobWriter::reset() {
  if (state_ == State::kFinished)
    return failedPreconditionError("blob writer for " + digest_.toString() + " is finished");
  if (::ftruncate(fd_, 0) != 0) return ioError("truncate " + tempPath_, errno);
  if (::lseek(fd_, 0, SEEK_SET) != 0) return ioError("seek " + tempPath_, errno);
  TRIB_RETURN_IF_ERROR(hasher_->reset());
  offset_ = 0;
  state_ = State::kOpen;
  brokenStatus_ = Status();
  return Status();
}

uint64_t BlobWriter::offset() const { return offset_; }

Status BlobWriter::commit() {
  if (state_ == State::kFinished)
    return failedPreconditionError("blob writer for " + digest_.toString() + " is finished");
  Status status = state_ == State::kBroken ? brokenStatus_ : publish();
  if (!status.isOk()) abort();
  state_ = State::kFinished;
  return status;
}

Status BlobWriter::publish() {
  if (offset_ != expectedSize_)
    return dataLossError("got " + std::to_string(offset_) +
                         " bytes, expected " + std::to_string(expectedSize_));
  TRIB_ASSIGN_OR_RETURN(std::string hex, hasher_->finishHex());
  if (hex != digest_.hex)
    return dataLossError("content has digest " +
                         digest_.algorithm + ":" + hex);
  const auto& options = storage_.options();
  if (options.fsync && ::fsync(fd_) != 0) return ioError("fsync " + tempPath_, errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ioError("close " + tempPath_, errno);
  TRIB_RETURN_IF_ERROR(storage_.runFaultHook("blob.data"));

  const std::string dataPath = blobDirectory_ + "/data";
  bool existed = false;
  TRIB_RETURN_IF_ERROR(durable::renameNoReplace(directoryFd_, tempName_, directoryFd_, "data",
                                                false, &existed, tempPath_ + " to " + dataPath));
  if (existed) {
    // Another writer published this digest first; keep its file unless it is damaged (wrong
    // size), in which case our verified bytes replace it atomically.
    Result<uint64_t> size = durable::regularFileSize(directoryFd_, blobDirectory_, "data");
    if (size.isOk() && *size == expectedSize_) {
      ::unlinkat(directoryFd_, tempName_.c_str(), 0);
    } else if (::renameat(directoryFd_, tempName_.c_str(), directoryFd_, "data") != 0) {
      return ioError("rename " + tempPath_ + " to " + dataPath, errno);
    }
  }
  tempName_.clear();
  if (options.fsync) TRIB_RETURN_IF_ERROR(durable::syncDirectory(directoryFd_, blobDirectory_));
  return Status();
}

void BlobWriter::abort() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!tempName_.empty()) {
    ::unlinkat(directoryFd_, tempName_.c_str(), 0);
    tempName_.clear();
    // Drop the blob directory if nothing else is in it (no data, no other writer's temp file);
    // rmdir refuses a non-empty directory, so this never races a concurrent publisher.
    const std::string hex = blobDirectory_.substr(blobDirectory_.rfind('/') + 1);
    ::unlinkat(parentFd_, hex.c_str(), AT_REMOVEDIR);
  }
  state_ = State::kFinished;
}

}  // namespace tributary::storage
