// Keeps a task's running totals and forwards progress events to the TaskContext, one at a
// time (the ABI promises the host serialised progress calls) and with byte events throttled.
//
// Thread rules: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tributary/Mutex.h"
#include "tributary/plugin/host/TaskContext.h"

namespace tributary::plugin {

class ProgressReporter {
 public:
  explicit ProgressReporter(TaskContext& task,
                            std::chrono::milliseconds byteInterval = std::chrono::milliseconds(250))
      : task_(task), byteInterval_(byteInterval) {}

  void planned(uint64_t blobsTotal, uint64_t bytesTotal);
  void bytes(uint64_t n);
  void blobDone();
  void tagDone(const std::string& tag, const std::string& message);
  void message(const std::string& text);

  uint64_t bytesDone() const;

 private:
  ProgressEvent snapshot(ProgressEvent::Kind kind) const REQUIRES(mutex_);

  TaskContext& task_;
  const std::chrono::milliseconds byteInterval_;
  mutable Mutex mutex_;
  uint64_t bytesDone_ GUARDED_BY(mutex_) = 0;
  uint64_t bytesTotal_ GUARDED_BY(mutex_) = 0;
  uint64_t blobsDone_ GUARDED_BY(mutex_) = 0;
  uint64_t blobsTotal_ GUARDED_BY(mutex_) = 0;
  std::chrono::steady_clock::time_point lastBytesEvent_ GUARDED_BY(mutex_){};
};

}  // namespace tributary::plugin
