// Test helper: an HTTP(S) server on 127.0.0.1, port chosen by the kernel, answering with a
// std::function. Stopped (and its threads joined) by the destructor.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Timespan.h>

namespace tributary::registry::testing {

class FakeServer {
 public:
  using Handler =
      std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

  /// Plain HTTP, or HTTPS when `tls` is a server context. An idle keep-alive connection is
  /// closed by the server after `keepAliveTimeout`.
  explicit FakeServer(Handler handler, Poco::Net::Context::Ptr tls = nullptr,
                      Poco::Timespan keepAliveTimeout = Poco::Timespan(10, 0));
  ~FakeServer();

  uint16_t port() const { return port_; }
  std::string hostPort() const { return "127.0.0.1:" + std::to_string(port_); }
  /// Connections accepted so far (keep-alive reuse shows as 1 for many requests).
  int totalConnections() const { return server_->totalConnections(); }
  std::string url() const { return (tls_ ? "https://" : "http://") + hostPort(); }

 private:
  bool tls_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

/// Reads the whole request body.
std::string readBody(Poco::Net::HTTPServerRequest& request);

/// Sends `body` with `status` and optional content type.
void reply(Poco::Net::HTTPServerResponse& response, int status, const std::string& body,
           const std::string& contentType = "application/json");

/// sha256:<hex> of bytes.
std::string sha256Digest(const std::string& bytes);

}  // namespace tributary::registry::testing
