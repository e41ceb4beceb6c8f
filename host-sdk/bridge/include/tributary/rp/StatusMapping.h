// Status <-> rp_status, for every C++ component on either side of the ABI (the plugin's
// boundary file, the host's storage table, the loader, the sidecar's host services).
// Header-only; target rp_status_mapping (rp_abi + tributary_common).
#pragma once

#include <string>
#include <utility>

#include "rp/replication_provider.h"
#include "tributary/Status.h"

namespace rp {

/// The rp_status for an internal code. Codes without an exact ABI twin map to the status
/// whose caller action matches (kOutOfRange -> RP_ERR_INVALID_ARGUMENT).
inline rp_status toRpStatus(tributary::StatusCode code) {
  using tributary::StatusCode;
  switch (code) {
    case StatusCode::kOk: return RP_OK;
    case StatusCode::kUnavailable: return RP_ERR_UNAVAILABLE;
    case StatusCode::kResourceExhausted: return RP_ERR_RATE_LIMITED;
    case StatusCode::kDeadlineExceeded: return RP_ERR_TIMEOUT;
    case StatusCode::kAborted: return RP_ERR_ABORTED;
    case StatusCode::kUnauthenticated: return RP_ERR_UNAUTHENTICATED;
    case StatusCode::kPermissionDenied: return RP_ERR_PERMISSION_DENIED;
    case StatusCode::kInvalidArgument: return RP_ERR_INVALID_ARGUMENT;
    case StatusCode::kNotFound: return RP_ERR_NOT_FOUND;
    case StatusCode::kAlreadyExists: return RP_ERR_ALREADY_EXISTS;
    case StatusCode::kFailedPrecondition: return RP_ERR_FAILED_PRECONDITION;
    case StatusCode::kOutOfRange: return RP_ERR_INVALID_ARGUMENT;
    case StatusCode::kDataLoss: return RP_ERR_DATA_LOSS;
    case StatusCode::kCancelled: return RP_ERR_CANCELLED;
    case StatusCode::kUnimplemented: return RP_ERR_UNIMPLEMENTED;
    case StatusCode::kInternal: return RP_ERR_INTERNAL;
    case StatusCode::kIo: return RP_ERR_IO;
  }
  return RP_ERR_INTERNAL;
}

inline rp_status toRpStatus(const tributary::Status& status) { return toRpStatus(status.code()); }

/// The internal code for an rp_status. RP_ERR_INCOMPATIBLE is a precondition the caller
/// cannot fix by retrying; unknown values are kInternal (CONVENTIONS: treat as generic).
inline tributary::StatusCode statusCodeFromRp(rp_status status) {
  using tributary::StatusCode;
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
    case RP_ERR_IO: return StatusCode::kIo;
    default: return StatusCode::kInternal;  // RP_ERR_INTERNAL and unknown values
  }
}

/// A Status for an rp_status and its message; OK for RP_OK. An unknown value keeps its
/// number visible ("RP_ERR_UNKNOWN (9999): ...") so a newer peer's code is not lost.
inline tributary::Status statusFromRp(rp_status status, std::string message) {
  if (status == RP_OK) return tributary::Status();
  tributary::StatusCode code = statusCodeFromRp(status);
  if (code == tributary::StatusCode::kInternal && status != RP_ERR_INTERNAL) {
    message = std::string(rp_status_str(status)) + " (" + std::to_string(status) + "): " + message;
  }
  return tributary::Status(code, std::move(message));
}

}  // namespace rp
