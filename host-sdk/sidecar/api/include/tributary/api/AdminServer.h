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
}
}  // namespace Poco

namespace tributary::api {

struct ServerSettings {
  std::string host = "127.0.0.1";
  int port = 5080;  // 0 = any free port (tests)
  std::string tlsCertFile;  // both set = HTTPS
  std::string tlsKeyFile;
  int64_t maxBodyBytes = 1 << 20;  // larger bodies answer 413 before they are read
  int threads = 8;                  // bounded: at most this many requests at once
  int maxQueued = 64;               // connections waiting beyond that are refused
  int requestTimeoutSeconds = 30;   // socket receive/send timeout per request
};

/// Owns the listening socket and the server threads. Thread: start/stop from one thread.
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
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

}  // namespace tributary::api
