// Test doubles for the engine's host-facing interfaces: a task that can be cancelled from the
// test, and a logger that keeps its lines for assertions. Thread-safe, like the real ones.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tributary/plugin/host/Logger.h"
#include "tributary/plugin/host/TaskContext.h"

namespace tributary::testing {

class FlagTask final : public plugin::TaskContext {
 public:
  bool isCancelled() const override { return cancelled.load(); }
  void progress(const plugin::ProgressEvent&) override {}
  std::atomic<bool> cancelled{false};
};

class RecordingLogger final : public plugin::Logger {
 public:
  bool enabled(plugin::LogLevel) const override { return true; }
  void log(plugin::LogLevel level, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back({level, message});
  }
  /// Lines at `level` containing `needle`.
  int count(plugin::LogLevel level, const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const auto& [l, m] : lines) n += l == level && m.find(needle) != std::string::npos;
    return n;
  }
  std::mutex mu;
  std::vector<std::pair<plugin::LogLevel, std::string>> lines;
};

}  // namespace tributary::testing
