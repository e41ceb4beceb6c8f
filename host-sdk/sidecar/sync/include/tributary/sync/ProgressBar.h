// ProgressBar: one self-redrawing status line for a running sync, on a terminal only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

#include "rp/replication_provider.h"

namespace tributary::sync {

/// Draws "  1.5/3.0 MB  1/3 blobs  2.4 MB/s" on `out` (stderr) with a carriage return, redrawn
/// at most 10 times a second, from the provider's progress events. Disabled (draws nothing)
/// when `out` is not a terminal, so logs and pipes stay clean.
/// Thread: onEvent from any thread (the provider serialises calls; a mutex guards anyway).
class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;

  ProgressBar(std::ostream& out, bool enabled,
              std::function<Clock::time_point()> now = [] { return Clock::now(); });

  /// Updates the counters and redraws if 100 ms have passed since the last draw.
  void onEvent(const rp_progress_event_v1& event);
  /// Clears the line (if anything was drawn). Call before printing the result.
  void finish();
  /// Writes `line` (plus a newline) above the bar: clears the bar, prints, redraws it, so log
  /// lines never get glued to a half-drawn status line. Thread: any.
  void printAbove(std::string_view line);

  /// The line's text (without \r), for tests.
  static std::string formatLine(uint64_t bytesDone, uint64_t bytesTotal, uint64_t blobsDone,
                                uint64_t blobsTotal, double bytesPerSecond);
  /// True when stderr is a terminal.
  static bool stderrIsTerminal();

  int redrawCount() const { return redraws_; }

 private:
  std::ostream& out_;
  const bool enabled_;
  std::function<Clock::time_point()> now_;
  std::mutex mutex_;
  bool started_ = false;
  Clock::time_point start_{};
  Clock::time_point lastDraw_{};
  uint64_t bytesDone_ = 0, bytesTotal_ = 0, blobsDone_ = 0, blobsTotal_ = 0;
  size_t lastWidth_ = 0;
  std::string lastLine_;  // what is on screen now, for printAbove's redraw
  int redraws_ = 0;
};

/// "3.0 MB", "512 B", "1.2 GB" (decimal units, as MB/s).
std::string formatBytes(uint64_t bytes);

}  // namespace tributary::sync
