#include "tributary/loader/ProviderStatus.h"

#include <utility>

namespace tributary::loader {

StatusCode statusCodeFromProvider(rp_status status) {
  switch (status) {
    case RP_OK: return StatusCode::kOk;
    case RP_ERR_UNAVAILABLE: return StatusCode::kUnavailable;
    case RP_ERR_RATE_LIMITED: return StatusCode::kResourceExhausted;
    case RP_ERR_TIMEOUT: return StatusCode::kDeadlineExceeded;
    case RP_ERR_ABORTED: return StatusCode::kAborted;
    case RP_ERR_UNAUTHENTICATED: return StatusCode::kUnauthenticated;
    case RP_ERR_PERMISSION_DENIED: return StatusCode::kPermissionDenied;
    case RP_ERR_INVALID_ARGUMENT: return StatusCode::kInvalidArgument;
    case RP_ERR_NOT_FOUND: return StatusCode::kNotFound;
    case RP_ERR_ALREADY_EXISTS: return StatusCode::kAlreadyExists;
    case RP_ERR_FAILED_PRECONDITION: return StatusCode::kFailedPrecondition;
    case RP_ERR_INCOMPATIBLE: return StatusCode::kFailedPrecondition;
    case RP_ERR_DATA_LOSS: return StatusCode::kDataLoss;
    case RP_ERR_CANCELLED: return StatusCode::kCancelled;
    case RP_ERR_UNIMPLEMENTED: return StatusCode::kUnimplemented;
    case RP_ERR_IO: return StatusCode::kInternal;
    default: return StatusCode::kInternal;  // RP_ERR_INTERNAL and unknown values
  }
}

Status statusFromProvider(rp_status status, std::string message) {
  if (status == RP_OK) return Status();
  return Status(statusCodeFromProvider(status), std::move(message));
}

}  // namespace tributary::loader
