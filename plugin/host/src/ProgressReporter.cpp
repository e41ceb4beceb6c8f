#include "tributary/plugin/host/ProgressReporter.h"

namespace tributary::plugin {

ProgressEvent ProgressReporter::snapshot(ProgressEvent::Kind kind) const {
  ProgressEvent e;
  e.kind = kind;
  e.bytesDone = bytesDone_;
  e.bytesTotal = bytesTotal_;
  e.blobsDone = blobsDone_;
  e.blobsTotal = blobsTotal_;
  return e;
}

void ProgressReporter::planned(uint64_t blobsTotal, uint64_t bytesTotal) {
  MutexLock lock(mutex_);
  blobsTotal_ = blobsTotal;
  bytesTotal_ = bytesTotal;
  task_.progress(snapshot(ProgressEvent::Kind::kPlanned));
}

void ProgressReporter::bytes(uint64_t n) {
  MutexLock lock(mutex_);
  bytesDone_ += n;
  auto now = std::chrono::steady_clock::now();
  if (now - lastBytesEvent_ < byteInterval_) return;
  lastBytesEvent_ = now;
  task_.progress(snapshot(ProgressEvent::Kind::kBytes));
}

void ProgressReporter::blobDone() {
  MutexLock lock(mutex_);
  ++blobsDone_;
  task_.progress(snapshot(ProgressEvent::Kind::kBlobDone));
}

void ProgressReporter::tagDone(const std::string& tag, const std::string& message) {
  MutexLock lock(mutex_);
  ProgressEvent e = snapshot(ProgressEvent::Kind::kTagDone);
  e.tag = tag;
  e.message = message;
  task_.progress(e);
}

void ProgressReporter::message(const std::string& text) {
  MutexLock lock(mutex_);
  ProgressEvent e = snapshot(ProgressEvent::Kind::kMessage);
  e.message = text;
  task_.progress(e);
}

uint64_t ProgressReporter::bytesDone() const {
  MutexLock lock(mutex_);
  return bytesDone_;
}

}  // namespace tributary::plugin
