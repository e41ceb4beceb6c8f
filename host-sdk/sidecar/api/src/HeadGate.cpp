#include "HeadGate.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

namespace tributary::api {
namespace {

using Clock = std::chrono::steady_clock;

// A partial head was peeked: look again after this long rather than spin on a socket that
// stays readable (the peeked bytes are not consumed).
constexpr std::chrono::milliseconds kRecheck{20};

struct Waiting {
  Poco::Net::StreamSocket socket;
  int fd;
  Clock::time_point deadline;
  Clock::time_point recheckAt;  // while a partial head waits for more bytes
  size_t peeked = 0;
  // TLS only: the same socket as a SecureStreamSocket, while its handshake runs.
  std::optional<Poco::Net::SecureStreamSocket> handshaking;
  short events = POLLIN;  // POLLOUT while the handshake wants to write
};

// Best effort: a short answer on a socket about to be closed (never blocks).
void refuse(int fd, int status, const char* reason, const std::string& message) {
  const char* code = status == 503 ? "unavailable" : status == 408 ? "request_timeout" : "too_large";
  const std::string body =
      "{\"code\":\"" + std::string(code) + "\",\"message\":\"" + message + "\"}\n";
  const std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                               "\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(body.size()) +
                               "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n" + body;
  (void)::send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

bool headComplete(const char* data, size_t size) {
  const std::string_view view(data, size);
  return view.find("\r\n\r\n") != std::string_view::npos ||
         view.find("\n\n") != std::string_view::npos;
}

}  // namespace

HeadGate::HeadGate(Poco::Net::ServerSocket socket, Poco::Net::TCPServerDispatcher& dispatcher,
                   HeadGateLimits limits, Poco::Net::Context::Ptr tls)
    : socket_(std::move(socket)), dispatcher_(dispatcher), limits_(limits), tls_(std::move(tls)) {}

HeadGate::~HeadGate() { stop(); }

void HeadGate::start() {
  // Non-blocking: a connection poll announced may be gone by the time accept runs.
  socket_.setBlocking(false);
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { run(); });
}

void HeadGate::stop() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)::write(wakeFd_, &one, sizeof(one));
    thread_.join();
  }
  if (wakeFd_ >= 0) {
    ::close(wakeFd_);
    wakeFd_ = -1;
  }
}

void HeadGate::run() {
  const int listenFd = socket_.impl()->sockfd();
  std::vector<Waiting> waiting;                 // head not complete yet
  std::deque<Poco::Net::StreamSocket> ready;    // head complete, waiting for queue room
  std::vector<char> peek(limits_.maxHeadBytes + 1);
  Clock::time_point acceptPausedUntil{};        // out of descriptors: accept again later
  std::vector<pollfd> fds;
  std::vector<size_t> index;  // fds[i + 2] belongs to waiting[index[i]]
  for (;;) {
    // Hand over what is ready while the workers' queue has room.
    while (!ready.empty() && dispatcher_.queuedConnections() < limits_.maxQueued) {
      ready.front().setNoDelay(true);
      if (tls_) ready.front().setBlocking(true);  // non-blocking only for the handshake
      dispatcher_.enqueue(ready.front());
      ready.pop_front();
    }
    const auto now = Clock::now();
    auto wake = now + std::chrono::seconds(1);
    fds.clear();
    index.clear();
    fds.push_back({wakeFd_, POLLIN, 0});
    const bool accepting = now >= acceptPausedUntil;
    fds.push_back({accepting ? listenFd : -1, POLLIN, 0});
    if (!accepting) wake = std::min(wake, acceptPausedUntil);
    if (!ready.empty()) wake = std::min(wake, now + std::chrono::milliseconds(5));
    for (size_t i = 0; i < waiting.size(); ++i) {
      wake = std::min(wake, waiting[i].deadline);
      if (waiting[i].peeked > 0 && now < waiting[i].recheckAt) {
        wake = std::min(wake, waiting[i].recheckAt);
        continue;
      }
      fds.push_back({waiting[i].fd, waiting[i].events, 0});
      index.push_back(i);
    }
    const auto timeout =
        std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count());
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(timeout) + 1);
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) break;  // stop()

    // Look at the waiting connections that have bytes (or hung up), then at the deadlines.
    std::vector<bool> drop(waiting.size(), false);
    const auto after = Clock::now();
    for (size_t k = 0; k < index.size(); ++k) {
      if (fds[k + 2].revents == 0) continue;
      Waiting& w = waiting[index[k]];
      if (w.handshaking) {
        try {
          const int rc = w.handshaking->completeHandshake();
          if (rc == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_WRITE) {
            w.events = POLLOUT;
          } else if (rc == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_READ) {
            w.events = POLLIN;
          } else {
            w.events = POLLIN;  // done: now wait for the request's first bytes
            w.handshaking.reset();
            if (w.socket.available() > 0) {  // already decrypted and buffered
              ready.push_back(w.socket);
              drop[index[k]] = true;
            }
          }
        } catch (const Poco::Exception&) {
          drop[index[k]] = true;  // not TLS, or a failed handshake
        }
        continue;
      }
      const ssize_t got = ::recv(w.fd, peek.data(), peek.size(), MSG_PEEK | MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (got <= 0) {
        drop[index[k]] = true;  // the client went away
        continue;
      }
      const auto size = static_cast<size_t>(got);
      if (tls_) {  // ciphertext: the request has begun, its head is read on a worker
        ready.push_back(w.socket);
        drop[index[k]] = true;
      } else if (headComplete(peek.data(), size)) {
        ready.push_back(w.socket);
        drop[index[k]] = true;
      } else if (size > limits_.maxHeadBytes) {
        refuse(w.fd, 431, "Request Header Fields Too Large",
               "the request head is larger than " + std::to_string(limits_.maxHeadBytes) +
                   " bytes");
        drop[index[k]] = true;
      } else {
        w.peeked = size;
        w.recheckAt = after + kRecheck;
      }
    }
    for (size_t i = 0; i < waiting.size(); ++i) {
      if (!drop[i] && after >= waiting[i].deadline) {
        if (!tls_)  // over TLS nothing can be said in clear: the connection is just closed
          refuse(waiting[i].fd, 408, "Request Timeout",
               "the request head did not arrive within " +
                   std::to_string(limits_.headTimeout.count()) +
                   " ms (replication.admin.header_timeout_seconds)");
        drop[i] = true;
      }
    }
    size_t kept = 0;
    for (size_t i = 0; i < waiting.size(); ++i) {
      if (drop[i]) continue;  // the StreamSocket's destructor closes it (unless handed over)
      if (kept != i) waiting[kept] = std::move(waiting[i]);
      ++kept;
    }
    waiting.resize(kept);

    if (accepting && fds[1].revents != 0) {
      for (int accepted = 0; accepted < 256; ++accepted) {
        const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            acceptPausedUntil = Clock::now() + std::chrono::milliseconds(100);
          }
          break;
        }
        Poco::Net::StreamSocket socket(new Poco::Net::StreamSocketImpl(fd));
        if (waiting.size() + ready.size() >= limits_.maxPending) {
          if (!tls_)
            refuse(fd, 503, "Service Unavailable",
                   "too many connections are waiting (" + std::to_string(limits_.maxPending) +
                       ")");
          continue;
        }
        const auto t = Clock::now();
        Waiting w{socket, fd, t + limits_.headTimeout, t, 0, std::nullopt, POLLIN};
        if (tls_) {
          try {
            // The handshake is lazy (it starts at the first completeHandshake()); the socket
            // is non-blocking so that each step returns instead of waiting for the client.
            socket.setBlocking(false);
            Poco::Net::SecureStreamSocket secure =
                Poco::Net::SecureStreamSocket::attach(socket, tls_);
            w.socket = secure;
            w.handshaking = secure;
          } catch (const Poco::Exception&) {
            continue;
          }
        }
        waiting.push_back(std::move(w));

      }
    }
  }
  // Stopping: everything not handed over is closed by the sockets' destructors.
}

}  // namespace tributary::api
