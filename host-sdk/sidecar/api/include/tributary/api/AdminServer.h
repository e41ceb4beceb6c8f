// AdminServer: serves AdminApi over HTTP (or HTTPS) with Poco's HTTPServer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tributary/Status.h"
#include "tributary/api/AdminApi.h"

namespace Poco {
class ThreadPool;
namespace Net {
class TCPServerDispatcher;
}
}  // namespace Poco

namespace tributary::api {

class HeadGate;

struct ServerSettings {
  std::string host = "127.0.0.1";
  int port = 5080;  // 0 = any free port (tests)
  std::string tlsCertFile;  // both set = HTTPS
  std::string tlsKeyFile;
  int64_t maxBodyBytes = 1 << 20;  // larger bodies answer 413 before they are read
  int threads = 8;                  // bounded: at most this many requests at once
  int maxQueued = 64;               // connections with a complete head waiting for a thread
  int requestTimeoutSeconds = 30;   // socket receive/send timeout per request
  /// Plain HTTP: the request head must be complete within this (else 408), and until it is
  /// the connection holds no server thread (HeadGate). TLS: the handshake and the request's
  /// first bytes must arrive within this (else the connection is closed), holding no server
  /// thread meanwhile; the rest of the head is read on a worker, each read bounded by
  /// requestTimeoutSeconds.
  int headerTimeoutSeconds = 10;
  size_t maxWaitingConnections = 1024;  // beyond this, new connections get 503 (TLS: closed)
};

/// Owns the listening socket and the server threads. Thread: start/stop from one thread.
/// Plain HTTP: HeadGate accepts and waits for each request head off the worker threads, then
/// Poco's HTTP connection code runs the request on a worker, one request per connection (no
/// keep-alive: a second head on the same connection would be read by the worker). TLS: the
/// same gate, which also runs the handshake (see HeadGate.h); keep-alive on.
/// Requests to routes that need the token are refused (401) before their body is read.
class AdminServer {
 public:
  AdminServer(AdminApi& api, ServerSettings settings);
  ~AdminServer();

  /// Binds and starts serving. kUnavailable naming the address when it cannot bind,
  /// kInvalidArgument for unreadable TLS files.
  Status start();
  /// Stops accepting and waits (bounded) for requests in flight.
  void stop();
  /// The bound port (after start).
  int port() const { return port_; }

 private:
  AdminApi& api_;
  ServerSettings settings_;
  std::unique_ptr<Poco::ThreadPool> pool_;  // ours, not Poco's default: joined by stop()
  Poco::Net::TCPServerDispatcher* dispatcher_ = nullptr;  // reference counted
  std::unique_ptr<HeadGate> gate_;
  int port_ = 0;
};

}  // namespace tributary::api
