// Sends one HTTP request over the HttpConnectionPool, repeating it on connection failures,
// 5xx and 429 (Retry-After honoured), and hands back the response with its body still on the
// wire so large bodies stream in constant memory.
//
// Cancellation: every request in flight (from its head to the last body byte) is watched by
// the transport's SocketWatchdog, which polls the RetryPolicy's cancellation probe and shuts
// the sockets of a cancelled task down, so a read blocked on a stalled source ends within
// ~200 ms with kCancelled instead of waiting for the socket timeout.
//
// Thread rules: send() may be called from several threads at once; an HttpExchange belongs to
// the thread that got it (the watchdog only ever shuts its socket down, see SocketWatchdog).
#pragma once

#include <chrono>
#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "HttpConnectionPool.h"
#include "RetryPolicy.h"
#include "SocketWatchdog.h"
#include "Url.h"
#include "tributary/Status.h"

namespace tributary::registry {

struct HttpRequest {
  std::string method = "GET";
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;         // sent when method is POST/PUT
  std::string contentType;  // for body
  /// True = the answer is no longer wanted: the request is cut like a cancelled one
  /// (SocketWatchdog::watch). May be empty. Kept across redirects.
  std::function<bool()> abandoned;
};

struct HttpResponseHead {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // lower-cased names; repeats joined by ", "
  std::vector<std::string> wwwAuthenticate;    // each WWW-Authenticate value separately
  std::optional<uint64_t> contentLength;       // absent for chunked / close-delimited bodies

  /// Header value by lower-case name, "" when absent.
  std::string header(const std::string& lowerName) const;
};

/// curl's CURLOPT_LOW_SPEED_LIMIT / CURLOPT_LOW_SPEED_TIME for response bodies: a body that
/// averages fewer than `bytesPerSecond` over a window of `time` is abandoned with
/// kDeadlineExceeded (retryable, so the caller's bounded retries apply). A trickle is thus
/// caught within `time` of it starting, or 2 x `time` after a fast start. bytesPerSecond 0 = off.
struct LowSpeedLimit {
  uint64_t bytesPerSecond = 0;
  std::chrono::milliseconds time{0};
  bool enabled() const { return bytesPerSecond > 0 && time.count() > 0; }
};

/// A response whose body has not been read yet. Reading it to the end returns the connection
/// to the pool; destroying it early closes the connection.
class HttpExchange {
 public:
  /// `watch`: the watchdog's guard over the session's socket (may be empty); it is released
  /// before the session is given back or closed.
  HttpExchange(HttpConnectionPool& pool, std::unique_ptr<PooledSession> session,
               HttpResponseHead head, std::istream* bodyStream, bool hasBody,
               LowSpeedLimit lowSpeed = {},
               std::optional<SocketWatchdog::Guard> watch = std::nullopt);
  ~HttpExchange();
  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;

  const HttpResponseHead& head() const { return head_; }
  int status() const { return head_.status; }

  /// Up to `len` body bytes into `buf`; 0 means the body is complete. A connection that
  /// breaks before Content-Length bytes arrived is kUnavailable (timeouts kDeadlineExceeded).
  Result<size_t> read(char* buf, size_t len);

  /// The whole body; more than `limit` bytes is kFailedPrecondition (`what` names it).
  Result<std::string> readAll(size_t limit, const std::string& what);

  /// Reads and drops a small rest of the body (so the connection can be reused) or closes.
  void discard();

  uint64_t bytesRead() const { return bytesRead_; }

  /// Set by AuthorizedRequester when the answer came from a redirect target: its origin
  /// (never the path or query, which may be signed). "" when not redirected.
  void setRedirectedTo(std::string origin) { redirectedTo_ = std::move(origin); }
  /// `context`, plus " (redirected to <origin>)" when redirected: error messages name the
  /// host that actually answered.
  std::string where(const std::string& context) const {
    return redirectedTo_.empty() ? context : context + " (redirected to " + redirectedTo_ + ")";
  }

 private:
  void complete();
  /// Drops the connection (not reused): the guard first, then the socket.
  void abandon();
  /// kCancelled when the watchdog shut the socket down for the task's cancellation.
  bool cancelledByWatch() const { return watch_ && watch_->cancelled(); }
  Result<size_t> readSome(char* buf, size_t len);
  Status checkSpeed(size_t justRead);

  HttpConnectionPool& pool_;
  std::unique_ptr<PooledSession> session_;
  // Declared after session_: destroyed before the socket closes.
  std::optional<SocketWatchdog::Guard> watch_;
  HttpResponseHead head_;
  std::istream* bodyStream_;  // owned by the session; used when the length is not known
  bool done_;
  uint64_t bytesRead_ = 0;
  LowSpeedLimit lowSpeed_;
  std::string redirectedTo_;
  std::chrono::steady_clock::time_point windowStart_;
  uint64_t windowBytes_ = 0;
};

class HttpTransport {
 public:
  /// `headLimit`: the response head must arrive within this long of the request being sent
  /// (0 = only the pool's per-operation timeouts apply).
  HttpTransport(HttpConnectionPool& pool, RetryPolicy retry, std::string userAgent,
                LowSpeedLimit lowSpeed = {},
                std::chrono::milliseconds headLimit = std::chrono::milliseconds(0));

  /// The response to `request` (any status), after up to maxAttempts tries for retryable
  /// failures. An error only when no usable response came back; `context` prefixes it.
  Result<std::unique_ptr<HttpExchange>> send(const HttpRequest& request,
                                             const std::string& context);

  /// One try (plus one immediate retry when a reused keep-alive connection turned out dead).
  Result<std::unique_ptr<HttpExchange>> sendOnce(const HttpRequest& request,
                                                 const std::string& context);

  const RetryPolicy& retryPolicy() const { return retry_; }
  HttpConnectionPool& pool() { return pool_; }

 private:
  Status headTimeout(const std::string& context) const;
  Result<std::unique_ptr<HttpExchange>> attempt(const HttpRequest& request,
                                                const std::string& context, bool freshOnly,
                                                bool& staleConnection);

  HttpConnectionPool& pool_;
  RetryPolicy retry_;
  std::string userAgent_;
  LowSpeedLimit lowSpeed_;
  SocketWatchdog watchdog_;  // after retry_, whose probe it polls
};

}  // namespace tributary::registry
