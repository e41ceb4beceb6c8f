// HeadGate: the admin server's accept loop. It holds every new connection, on one thread and
// without a server thread, until the connection's whole request head (request line and
// headers) has arrived, and only then hands it to the HTTP server's worker threads. A client
// that trickles its head (slowloris) therefore never occupies a worker: it waits here, and is
// answered 408 and closed when its head is not complete within the head timeout. A head larger
// than maxHeadBytes is answered 431. Connections beyond maxPending are answered 503 at once.
// Ready connections are handed over only while the worker queue has room (back-pressure, so
// a burst is delayed rather than refused).
//
// TLS (a server Context given): the gate also runs each connection's TLS handshake, non-blocking
// on its own thread (Poco's completeHandshake() answering "want read/write"), within the same
// head timeout, and then waits for the first bytes of the request before handing the
// connection over. A client that connects and never says hello, stalls mid-handshake or
// stays silent after it therefore holds no worker either and is closed at the timeout (no
// 408: nothing can be said to it in clear). What the gate cannot do over TLS is see the
// head's end (MSG_PEEK shows ciphertext): a head trickled after its first bytes is read on a
// worker, each read bounded by the server's request timeout.
//
// Thread rules: start/stop from one thread; the gate's state belongs to its thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerDispatcher.h>

namespace tributary::api {

struct HeadGateLimits {
  std::chrono::milliseconds headTimeout{10000};
  size_t maxHeadBytes = 32 * 1024;  // Poco's own limits (URI, fields) apply after this
  size_t maxPending = 1024;         // connections whose head is awaited or ready
  int maxQueued = 64;               // handed-over connections waiting for a worker
};

class HeadGate {
 public:
  /// `dispatcher` (referenced, not owned) runs the HTTP connections. `tls`: a server context
  /// (the connections speak TLS), or null for plain HTTP.
  HeadGate(Poco::Net::ServerSocket socket, Poco::Net::TCPServerDispatcher& dispatcher,
           HeadGateLimits limits, Poco::Net::Context::Ptr tls = nullptr);
  ~HeadGate();
  HeadGate(const HeadGate&) = delete;
  HeadGate& operator=(const HeadGate&) = delete;

  void start();
  /// Stops accepting; connections still waiting for their head are closed.
  void stop();

 private:
  void run();

  Poco::Net::ServerSocket socket_;
  Poco::Net::TCPServerDispatcher& dispatcher_;
  HeadGateLimits limits_;
  Poco::Net::Context::Ptr tls_;
  int wakeFd_ = -1;  // eventfd: stop() wakes the loop
  std::thread thread_;
};

}  // namespace tributary::api
