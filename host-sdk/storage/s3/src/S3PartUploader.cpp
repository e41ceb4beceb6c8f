#include "S3PartUploader.h"

#include <algorithm>

namespace tributary::storage::s3 {

S3PartUploader::S3PartUploader(int concurrency) : concurrency_(std::max(1, concurrency)) {
  threads_.reserve(static_cast<size_t>(concurrency_));
  for (int i = 0; i < concurrency_; ++i) threads_.emplace_back([this] { loop(); });
}

S3PartUploader::~S3PartUploader() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void S3PartUploader::submit(std::function<void()> job) {
  MutexLock lock(mutex_);
  changed_.wait(lock, [this]() NO_THREAD_SAFETY_ANALYSIS {
    return queue_.size() + running_ < static_cast<size_t>(concurrency_);
  });
  queue_.push_back(std::move(job));
  changed_.notify_all();
}

void S3PartUploader::loop() {
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(mutex_);
      changed_.wait(lock, [this]() NO_THREAD_SAFETY_ANALYSIS {
        return stopping_ || !queue_.empty();
      });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    job();  // jobs catch their own errors (S3BlobWriter records them)
    {
      MutexLock lock(mutex_);
      --running_;
    }
    changed_.notify_all();
  }
}

}  // namespace tributary::storage::s3
