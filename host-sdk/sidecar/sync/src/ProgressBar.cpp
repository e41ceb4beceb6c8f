#include "tributary/sync/ProgressBar.h"

#include <unistd.h>

#include <cstdio>
#include <ostream>

#include "rp/provider.hpp"

namespace tributary::sync {

std::string formatBytes(uint64_t bytes) {
  char buffer[32];
  if (bytes < 1000) {
    std::snprintf(buffer, sizeof(buffer), "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < 1000ull * 1000) {
    std::snprintf(buffer, sizeof(buffer), "%.1f kB", bytes / 1e3);
  } else if (bytes < 1000ull * 1000 * 1000) {
    std::snprintf(buffer, sizeof(buffer), "%.1f MB", bytes / 1e6);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.1f GB", bytes / 1e9);
  }
  return buffer;
}

ProgressBar::ProgressBar(std::ostream& out, bool enabled,
                         std::function<Clock::time_point()> now)
    : out_(out), enabled_(enabled), now_(std::move(now)) {}

bool ProgressBar::stderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string ProgressBar::formatLine(uint64_t bytesDone, uint64_t bytesTotal, uint64_t blobsDone,
                                    uint64_t blobsTotal, double bytesPerSecond) {
  char rate[32];
  std::snprintf(rate, sizeof(rate), "%.1f MB/s", bytesPerSecond / 1e6);
  std::string line = "  " + formatBytes(bytesDone);
  if (bytesTotal != 0) line += " / " + formatBytes(bytesTotal);
  line += "  " + std::to_string(blobsDone);
  if (blobsTotal != 0) line += "/" + std::to_string(blobsTotal);
  line += " blobs  ";
  line += rate;
  return line;
}

void ProgressBar::onEvent(const rp_progress_event_v1& received) {
  // The provider may be built against an older (smaller) or newer event struct.
  rp::ReceivedTable<rp_progress_event_v1> event(&received);
  if (!RP_STRUCT_HAS(rp_progress_event_v1, &event.get(), blobs_total)) return;

  std::lock_guard<std::mutex> lock(mutex_);
  const Clock::time_point now = now_();
  if (!started_) {
    started_ = true;
    start_ = now;
  }
  if (event->bytes_done > bytesDone_) bytesDone_ = event->bytes_done;
  if (event->bytes_total != 0) bytesTotal_ = event->bytes_total;
  if (event->blobs_done > blobsDone_) blobsDone_ = event->blobs_done;
  if (event->blobs_total != 0) blobsTotal_ = event->blobs_total;

  if (!enabled_) return;
  if (redraws_ > 0 && now - lastDraw_ < std::chrono::milliseconds(100)) return;
  lastDraw_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? bytesDone_ / seconds : 0.0;
  std::string line = formatLine(bytesDone_, bytesTotal_, blobsDone_, blobsTotal_, rate);
  const size_t width = line.size();
  if (width < lastWidth_) line.append(lastWidth_ - width, ' ');  // erase a longer old line
  lastWidth_ = width;
  lastLine_ = line;
  out_ << '\r' << line << std::flush;
  ++redraws_;
}

void ProgressBar::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!enabled_ || redraws_ == 0) return;
  out_ << '\r' << std::string(lastWidth_, ' ') << '\r' << std::flush;
  lastWidth_ = 0;
  lastLine_.clear();
}

void ProgressBar::printAbove(std::string_view line) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool barShown = enabled_ && lastWidth_ > 0;
  if (barShown) out_ << '\r' << std::string(lastWidth_, ' ') << '\r';
  out_ << line << '\n';
  if (barShown) out_ << lastLine_;
  out_ << std::flush;
}

}  // namespace tributary::sync
