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
class HTTPServer;
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
  /// the connection holds no server thread (HeadGate). With TLS, each read is bounded by
  /// requestTimeoutSeconds instead.
  int headerTimeoutSeconds = 10;
  size_t maxWaitingConnections = 1024;  // plain HTTP: beyond this, new connections get 503
};

/// Owns the listening socket and the server threads. Thread: start/stop from one thread.
/// Plain HTTP: HeadGate accepts and waits for each request head off the worker threads, then
/// Poco's HTTP connection code runs the request on a worker, one request per connection (no
/// keep-alive: a second head on the same connection would be read by the worker). TLS: Poco's
/// HTTPServer as is (keep-alive on).
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
  std::unique_ptr<Poco::Net::HTTPServer> server_;        // TLS
  Poco::Net::TCPServerDispatcher* dispatcher_ = nullptr;  // plain HTTP (reference counted)
  std::unique_ptr<HeadGate> gate_;                        // plain HTTP
  int port_ = 0;
};

}  // namespace tributary::api
