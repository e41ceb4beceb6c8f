// Status and Result<T>: the internal error currency of Tributary (plugin, adapters, host).
//
// Modelled on Abseil's canonical codes. Only the plugin's ABI boundary file and the host-sdk
// map these to the C ABI's rp_status; everything else returns Status / Result<T>.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tributary {

enum class StatusCode {
  kOk = 0,
  // Retry later: the condition is expected to pass.
  kUnavailable,        // network failure, 5xx, connection reset
  kResourceExhausted,  // 429 / rate limit
  kDeadlineExceeded,   // timeout
  kAborted,            // lost a race (e.g. concurrent writer); retry the operation
  // Fix credentials.
  kUnauthenticated,
  kPermissionDenied,
  // Fix the rule / the input.
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kOutOfRange,
  // Give up.
  kDataLoss,  // digest or size mismatch, corrupted bytes
  kCancelled,
  kUnimplemented,
  kInternal,
  kIo,  // local storage failure: disk full, permissions, a path that is not a directory
};

/// Short stable name of a code ("UNAVAILABLE", "INVALID_ARGUMENT", ...).
inline const char* statusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kAborted: return "ABORTED";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kIo: return "IO";
  }
  return "UNKNOWN";
}

/// True for codes where the same request may succeed later without any change.
inline bool isRetryable(StatusCode code) {
  return code == StatusCode::kUnavailable || code == StatusCode::kResourceExhausted ||
         code == StatusCode::kDeadlineExceeded || code == StatusCode::kAborted;
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  /// "NOT_FOUND: tag v1 ..." for logs and reports.
  std::string toString() const {
    if (isOk()) return "OK";
    return std::string(statusCodeName(code_)) + ": " + message_;
  }

  /// Returns a copy with `context` prepended ("fetching blob sha256:..: " + message).
  Status withContext(std::string_view context) const {
    if (isOk()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status unavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status resourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status deadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status abortedError(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status unauthenticatedError(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status permissionDeniedError(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status invalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status notFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status alreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status failedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status outOfRangeError(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status dataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status cancelledError(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status unimplementedError(std::string m) {
  return {StatusCode::kUnimplemented, std::move(m)};
}
inline Status internalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status ioError(std::string m) { return {StatusCode::kIo, std::move(m)}; }

/// A value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).isOk() && "Result constructed from an OK Status");
  }

  bool isOk() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return isOk(); }

  /// The error; OK when a value is held.
  Status status() const { return isOk() ? Status() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tributary

/// Propagate a non-OK Status from an expression returning Status.
#define TRIB_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::tributary::Status trib_status_ = (expr);     \
    if (!trib_status_.isOk()) return trib_status_; \
  } while (0)

#define TRIB_CONCAT_INNER_(a, b) a##b
#define TRIB_CONCAT_(a, b) TRIB_CONCAT_INNER_(a, b)

/// `TRIB_ASSIGN_OR_RETURN(auto x, expr);` — unwrap a Result<T> or return its Status.
#define TRIB_ASSIGN_OR_RETURN(lhs, expr) \
  TRIB_ASSIGN_OR_RETURN_IMPL_(TRIB_CONCAT_(trib_result_, __LINE__), lhs, expr)
#define TRIB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.isOk()) return tmp.status();             \
  lhs = std::move(tmp).value()
