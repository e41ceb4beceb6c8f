#include "tributary/plugin/transfer/StorageBlobSink.h"

namespace tributary::plugin {

Status StorageBlobSink::write(const char* data, size_t len) {
  if (task_.isCancelled()) return cancelledError("task cancelled");
  TRIB_RETURN_IF_ERROR(writer_.write(data, len));
  progress_.bytes(len);
  return Status();
}

Status StorageBlobSink::reset() { return writer_.reset(); }

}  // namespace tributary::plugin
