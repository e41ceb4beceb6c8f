// A BlobSink over a host storage blob writer: a fetched blob streams from the socket straight
// into the host's temp file (constant memory), counting bytes for progress and stopping as
// soon as the task is cancelled.
// Not thread-safe: one fetch writes to one sink.
#pragma once

#include "tributary/plugin/host/ProgressReporter.h"
#include "tributary/plugin/host/Storage.h"
#include "tributary/registry/BlobSink.h"

namespace tributary::plugin {

class StorageBlobSink final : public registry::BlobSink {
 public:
  StorageBlobSink(Storage::BlobWriter& writer, const TaskContext& task, ProgressReporter& progress)
      : writer_(writer), task_(task), progress_(progress) {}

  Status write(const char* data, size_t len) override;
  Status reset() override;
  uint64_t offset() const override { return writer_.offset(); }

 private:
  Storage::BlobWriter& writer_;
  const TaskContext& task_;
  ProgressReporter& progress_;
};

}  // namespace tributary::plugin
