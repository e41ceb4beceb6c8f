// Where the bytes of a fetched blob go. The plugin implements it over the host's blob writer
// (rp_storage_v1.blob_writer_*), so a blob streams from the socket to storage in constant
// memory. Not thread-safe: one fetch writes to one sink.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tributary/Status.h"

namespace tributary::registry {

class BlobSink {
 public:
  virtual ~BlobSink() = default;
  /// Append bytes. A non-OK status aborts the fetch and is returned by it.
  virtual Status write(const char* data, size_t len) = 0;
  /// Discard everything written and start from offset 0 (the source ignored a Range request).
  virtual Status reset() = 0;
  /// Bytes accepted so far; a resumed fetch asks for `Range: bytes=<offset()>-`.
  virtual uint64_t offset() const = 0;
  /// True once the caller no longer wants these bytes (a sibling part of the blob failed for
  /// good): a request in flight for them is cut (its socket shut down, as on cancellation)
  /// instead of waiting for a stalled source's timeout, and the fetch ends kCancelled. Polled
  /// about every 200 ms by the client's watchdog thread under its lock: must be quick, must
  /// not block, and must not take a lock held while a request starts or ends.
  virtual bool abandoned() const { return false; }
};

}  // namespace tributary::registry
