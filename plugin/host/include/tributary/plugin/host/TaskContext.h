// Per-task services of one plan/execute call: cancellation and progress. The ABI boundary
// adapts rp_task_v1 to this.
//
// Thread rules: isCancelled from any thread; progress is called by ProgressReporter, which
// serialises the calls.
#pragma once

#include <cstdint>
#include <string>

namespace tributary::plugin {

struct ProgressEvent {
  enum class Kind { kPlanned = 1, kBlobDone = 2, kBytes = 3, kTagDone = 4, kMessage = 5 };
  Kind kind = Kind::kMessage;
  uint64_t bytesDone = 0;  // cumulative for the task
  uint64_t bytesTotal = 0;
  uint64_t blobsDone = 0;
  uint64_t blobsTotal = 0;
  std::string tag;
  std::string message;
};

class TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual bool isCancelled() const = 0;
  virtual void progress(const ProgressEvent& event) = 0;
};

/// A task nobody watches and nobody cancels (plan with task == NULL).
class DetachedTask final : public TaskContext {
 public:
  bool isCancelled() const override { return false; }
  void progress(const ProgressEvent&) override {}
};

}  // namespace tributary::plugin
