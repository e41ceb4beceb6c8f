// The bounded pool that uploads multipart parts for every S3 blob writer of one storage.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "tributary/Mutex.h"

namespace tributary::storage::s3 {

/// `concurrency` threads. submit() blocks while `concurrency` jobs are queued or running, so
/// at most `concurrency` part buffers are in flight across all writers: memory stays at
/// (open writers + concurrency) * part size whatever the blob sizes.
///
/// Threads: submit() from any thread; jobs run on the pool's threads and must not submit.
/// The destructor runs what is queued, then joins.
class S3PartUploader {
 public:
  explicit S3PartUploader(int concurrency);
  ~S3PartUploader();
  S3PartUploader(const S3PartUploader&) = delete;
  S3PartUploader& operator=(const S3PartUploader&) = delete;

  void submit(std::function<void()> job);
  int concurrency() const { return concurrency_; }

 private:
  void loop();

  const int concurrency_;
  Mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<std::function<void()>> queue_ GUARDED_BY(mutex_);
  size_t running_ GUARDED_BY(mutex_) = 0;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tributary::storage::s3
