#include "HttpTransport.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include "HttpErrorMapping.h"

namespace tributary::registry {

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
constexpr size_t kDiscardLimit = 64 * 1024;

// Sets a session's connect watch for one sendRequest() and clears it after, whatever
// happens: the session may go back to the pool and on to another client's transport.
class ConnectWatchScope {
 public:
  ConnectWatchScope(PooledSession& session, SocketWatchdog& watchdog) : session_(session) {
    session_.setConnectWatch([&watchdog](int fd) -> std::optional<SocketWatchdog::Guard> {
      SocketWatchdog::Guard guard = watchdog.watch(fd);
      guard.headArrived();  // cancellation only: the connection timeout bounds the rest
      return guard;
    });
  }
  ~ConnectWatchScope() { session_.setConnectWatch(nullptr); }
  ConnectWatchScope(const ConnectWatchScope&) = delete;
  ConnectWatchScope& operator=(const ConnectWatchScope&) = delete;

 private:
  PooledSession& session_;
};
}  // namespace

std::string HttpResponseHead::header(const std::string& lowerName) const {
  auto it = headers.find(lowerName);
  return it == headers.end() ? std::string() : it->second;
}

HttpExchange::HttpExchange(HttpConnectionPool& pool, std::unique_ptr<PooledSession> session,
                           HttpResponseHead head, std::istream* bodyStream, bool hasBody,
                           LowSpeedLimit lowSpeed, std::optional<SocketWatchdog::Guard> watch)
    : pool_(pool),
      session_(std::move(session)),
      watch_(std::move(watch)),
      head_(std::move(head)),
      bodyStream_(bodyStream),
      done_(false),
      lowSpeed_(lowSpeed),
      windowStart_(std::chrono::steady_clock::now()) {
  if (!hasBody || (head_.contentLength && *head_.contentLength == 0)) complete();
}

HttpExchange::~HttpExchange() = default;  // an unfinished session_ is closed with it

void HttpExchange::complete() {
  done_ = true;
  // A socket the watchdog shut down is not reusable; the guard goes before the session does.
  const bool reusable = !cancelledByWatch();
  watch_.reset();
  if (session_ && reusable && session_->http().getKeepAlive()) pool_.giveBack(std::move(session_));
  session_.reset();
}

void HttpExchange::abandon() {
  watch_.reset();
  session_.reset();
  done_ = true;
}

Status HttpExchange::checkSpeed(size_t justRead) {
  if (!lowSpeed_.enabled() || done_) return Status();
  windowBytes_ += justRead;
  const auto now = std::chrono::steady_clock::now();
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - windowStart_);
  if (elapsed < lowSpeed_.time) return Status();
  const double seconds = static_cast<double>(elapsed.count()) / 1000.0;
  if (static_cast<double>(windowBytes_) < static_cast<double>(lowSpeed_.bytesPerSecond) * seconds) {
    const uint64_t got = windowBytes_;
    abandon();  // the connection is not reused
    return deadlineExceededError(
        "transfer too slow: " + std::to_string(got) + " bytes in the last " +
        std::to_string(elapsed.count() / 1000) + " s, below the low-speed limit of " +
        std::to_string(lowSpeed_.bytesPerSecond) + " bytes/s (low_speed_limit_bytes) for " +
        std::to_string(lowSpeed_.time.count() / 1000) + " s (low_speed_time_seconds)");
  }
  windowStart_ = now;
  windowBytes_ = 0;
  return Status();
}

Result<size_t> HttpExchange::read(char* buf, size_t len) {
  auto n = readSome(buf, len);
  if (n.isOk() && *n > 0) TRIB_RETURN_IF_ERROR(checkSpeed(*n));
  return n;
}

Result<size_t> HttpExchange::readSome(char* buf, size_t len) {
  if (done_ || len == 0) return size_t{0};
  // Whatever a read returned after the watchdog shut the socket down (an error, or an EOF a
  // close-delimited body would take for its end), the answer is: cancelled.
  auto cancelled = [this] {
    const uint64_t got = bytesRead_;
    abandon();
    return cancelledError("cancelled while reading the body (after " + std::to_string(got) +
                          " bytes)");
  };
  try {
    if (head_.contentLength) {
      uint64_t remaining = *head_.contentLength - bytesRead_;
      auto want = static_cast<std::streamsize>(std::min<uint64_t>(remaining, len));
      int n = session_->readBody(buf, want);
      if (cancelledByWatch()) return cancelled();
      if (n <= 0) {
        abandon();
        return unavailableError("connection closed after " + std::to_string(bytesRead_) + " of " +
                                std::to_string(*head_.contentLength) + " body bytes");
      }
      bytesRead_ += static_cast<uint64_t>(n);
      if (bytesRead_ == *head_.contentLength) complete();
      return static_cast<size_t>(n);
    }
    bodyStream_->read(buf, static_cast<std::streamsize>(len));
    if (cancelledByWatch()) return cancelled();
    auto n = static_cast<size_t>(bodyStream_->gcount());
    bytesRead_ += n;
    if (n == 0 || bodyStream_->eof()) {
      // Chunked or close-delimited: end of stream is the end of the body.
      if (bodyStream_->eof()) complete();
    }
    return n;
  } catch (const std::exception& e) {
    if (cancelledByWatch()) return cancelled();
    abandon();
    return HttpErrorMapping::fromException(
        e, "reading body after " + std::to_string(bytesRead_) + " bytes");
  }
}

Result<std::string> HttpExchange::readAll(size_t limit, const std::string& what) {
  std::string out;
  if (head_.contentLength) {
    if (*head_.contentLength > limit)
      return failedPreconditionError(what + " is " + std::to_string(*head_.contentLength) +
                                     " bytes; the limit is " + std::to_string(limit));
    out.reserve(static_cast<size_t>(*head_.contentLength));
  }
  char buf[16384];
  while (true) {
    TRIB_ASSIGN_OR_RETURN(size_t n, read(buf, sizeof buf));
    if (n == 0) break;
    if (out.size() + n > limit)
      return failedPreconditionError(what + " exceeds the limit of " + std::to_string(limit) +
                                     " bytes");
    out.append(buf, n);
  }
  return out;
}

void HttpExchange::discard() {
  if (done_) return;
  if (head_.contentLength && *head_.contentLength - bytesRead_ <= kDiscardLimit) {
    char buf[8192];
    while (!done_) {
      auto r = read(buf, sizeof buf);
      if (!r.isOk() || *r == 0) break;
    }
    return;
  }
  abandon();
}

HttpTransport::HttpTransport(HttpConnectionPool& pool, RetryPolicy retry, std::string userAgent,
                             LowSpeedLimit lowSpeed, std::chrono::milliseconds headLimit)
    : pool_(pool),
      retry_(std::move(retry)),
      userAgent_(std::move(userAgent)),
      lowSpeed_(lowSpeed),
      watchdog_(headLimit, retry_.cancelProbe()) {}

Status HttpTransport::headTimeout(const std::string& context) const {
  const auto ms = watchdog_.headLimit().count();
  const std::string limit = ms % 1000 == 0 ? std::to_string(ms / 1000) + " s"
                                            : std::to_string(ms) + " ms";
  return deadlineExceededError(context + ": the response head did not arrive within " + limit +
                               " (max(timeout_seconds, low_speed_time_seconds)); the server "
                               "sends it too slowly");
}

Result<std::unique_ptr<HttpExchange>> HttpTransport::attempt(const HttpRequest& request,
                                                             const std::string& context,
                                                             bool freshOnly,
                                                             bool& staleConnection) {
  staleConnection = false;
  std::unique_ptr<PooledSession> session;
  if (freshOnly) {
    // Drop idle connections of this origin until a fresh one is created.
    while (true) {
      TRIB_ASSIGN_OR_RETURN(auto s, pool_.checkout(request.url));
      if (!s->reused()) {
        session = std::move(s);
        break;
      }
    }
  } else {
    TRIB_ASSIGN_OR_RETURN(session, pool_.checkout(request.url));
  }
  bool responseStarted = false;
  std::optional<SocketWatchdog::Guard> watch;  // destroyed before `session` closes the socket
  try {
    Poco::Net::HTTPRequest req(request.method, request.url.target(),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost(request.url.authority());
    req.set("User-Agent", userAgent_);
    req.setKeepAlive(true);
    for (const auto& [name, value] : request.headers) req.set(name, value);
    bool hasRequestBody = !request.body.empty() || request.method == "POST";
    if (hasRequestBody) {
      if (!request.contentType.empty()) req.setContentType(request.contentType);
      req.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
    }
    {
      // A new connection (first use, or Poco reconnecting an idle one) is made in here: its
      // connect and TLS handshake are watched for cancellation (a source that drops SYNs
      // would otherwise hold the task for the whole connect timeout).
      ConnectWatchScope connectWatch(*session, watchdog_);
      std::ostream& os = session->http().sendRequest(req);
      if (hasRequestBody)
        os.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
      os.flush();
    }

    // Watched from here, not before sendRequest: Poco may reconnect in there (an idle
    // connection past its keep-alive), which would change the descriptor.
    watch.emplace(
        watchdog_.watch(session->http().socket().impl()->sockfd(), request.abandoned));
    Poco::Net::HTTPResponse resp;
    std::istream& rs = session->http().receiveResponse(resp);
    // Poco may take the shut-down connection's EOF for the end of the head: the answer is
    // then an incomplete head, not a response.
    if (watch->expired()) return headTimeout(context);
    if (watch->cancelled()) return cancelledError(context + ": cancelled");
    watch->headArrived();  // the body is watched for cancellation only
    responseStarted = true;
    rs.exceptions(std::ios::badbit);  // keep the original exception (timeout vs reset)
    HttpResponseHead head;
    head.status = static_cast<int>(resp.getStatus());
    head.reason = resp.getReason();
    for (const auto& [name, value] : resp) {
      std::string key = lower(name);
      if (key == "www-authenticate") head.wwwAuthenticate.push_back(value);
      auto it = head.headers.find(key);
      if (it == head.headers.end()) {
        head.headers.emplace(key, value);
      } else {
        it->second += ", " + value;
      }
    }
    bool hasBody = request.method != "HEAD" && head.status >= 200 && head.status != 204 &&
                   head.status != 304;
    if (hasBody && resp.hasContentLength() && !resp.getChunkedTransferEncoding()) {
      Poco::Int64 len = resp.getContentLength64();
      if (len >= 0) head.contentLength = static_cast<uint64_t>(len);
    }
    if (!hasBody) head.contentLength = 0;
    return std::make_unique<HttpExchange>(pool_, std::move(session), std::move(head), &rs, hasBody,
                                          lowSpeed_, std::move(watch));
  } catch (const std::exception& e) {
    if (watch && watch->expired()) return headTimeout(context);
    if (watch && watch->cancelled()) return cancelledError(context + ": cancelled");
    if (session && session->connectCancelled()) return cancelledError(context + ": cancelled");
    staleConnection = session && session->reused() && !responseStarted &&
                      !dynamic_cast<const Poco::TimeoutException*>(&e);
    return HttpErrorMapping::fromException(
        e, context, request.url.isHttps() ? request.url.authority() : std::string());
  }
}

Result<std::unique_ptr<HttpExchange>> HttpTransport::sendOnce(const HttpRequest& request,
                                                              const std::string& context) {
  bool stale = false;
  auto r = attempt(request, context, false, stale);
  if (!r.isOk() && stale) {
    // The server closed an idle keep-alive connection; that is not a failure of the server.
    r = attempt(request, context, true, stale);
  }
  return r;
}

Result<std::unique_ptr<HttpExchange>> HttpTransport::send(const HttpRequest& request,
                                                          const std::string& context) {
  for (int attemptNo = 1;; ++attemptNo) {
    if (retry_.cancelled()) return cancelledError(context + ": cancelled");
    auto r = sendOnce(request, context);
    std::optional<std::chrono::milliseconds> retryAfter;
    if (!r.isOk()) {
      if (!isRetryable(r.status().code()) || attemptNo >= retry_.maxAttempts()) return r;
    } else {
      auto& ex = *r;
      if (!RetryPolicy::isRetryableHttpStatus(ex->status()) || attemptNo >= retry_.maxAttempts())
        return r;
      if (ex->status() == 429 && attemptNo >= retry_.maxAttemptsOn429()) return r;
      retryAfter = RetryPolicy::parseRetryAfter(ex->head().header("retry-after"));
      ex->discard();
    }
    Status slept = retry_.sleep(retry_.delayFor(attemptNo, retryAfter));
    if (!slept.isOk()) return slept.withContext(context);
  }
}

}  // namespace tributary::registry
