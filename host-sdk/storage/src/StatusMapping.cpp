#include "tributary/storage/StatusMapping.h"

#include <cstring>

namespace tributary::storage {

Status ioError(std::string_view what, int err) {
  std::string message(kIoErrorPrefix);
  message += what;
  message += ": ";
  message += std::strerror(err);
  return internalError(std::move(message));
}

bool isIoError(const Status& status) {
  return status.code() == StatusCode::kInternal &&
         std::string_view(status.message()).substr(0, kIoErrorPrefix.size()) == kIoErrorPrefix;
}

rp_status toRpStatus(const Status& status) {
  switch (status.code()) {
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
    case StatusCode::kInternal: return isIoError(status) ? RP_ERR_IO : RP_ERR_INTERNAL;
  }
  return RP_ERR_INTERNAL;
}

Status fromRpStatus(rp_status status, std::string_view message) {
  std::string text(message);
  switch (status) {
    case RP_OK: return Status();
    case RP_ERR_UNAVAILABLE: return unavailableError(std::move(text));
    case RP_ERR_RATE_LIMITED: return resourceExhaustedError(std::move(text));
    case RP_ERR_TIMEOUT: return deadlineExceededError(std::move(text));
    case RP_ERR_ABORTED: return abortedError(std::move(text));
    case RP_ERR_UNAUTHENTICATED: return unauthenticatedError(std::move(text));
    case RP_ERR_PERMISSION_DENIED: return permissionDeniedError(std::move(text));
    case RP_ERR_INVALID_ARGUMENT: return invalidArgumentError(std::move(text));
    case RP_ERR_NOT_FOUND: return notFoundError(std::move(text));
    case RP_ERR_ALREADY_EXISTS: return alreadyExistsError(std::move(text));
    case RP_ERR_FAILED_PRECONDITION: return failedPreconditionError(std::move(text));
    case RP_ERR_INCOMPATIBLE: return failedPreconditionError(std::move(text));
    case RP_ERR_DATA_LOSS: return dataLossError(std::move(text));
    case RP_ERR_CANCELLED: return cancelledError(std::move(text));
    case RP_ERR_UNIMPLEMENTED: return unimplementedError(std::move(text));
    case RP_ERR_INTERNAL: return internalError(std::move(text));
    case RP_ERR_IO:
      if (std::string_view(text).substr(0, kIoErrorPrefix.size()) == kIoErrorPrefix)
        return internalError(std::move(text));
      return internalError(std::string(kIoErrorPrefix) + text);
    default: break;
  }
  return internalError(std::string(rp_status_str(status)) + ": " + text);
}

}  // namespace tributary::storage
