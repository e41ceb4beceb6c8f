#include "FakeServer.h"

#include "tributary/DigestHasher.h"

#include <sstream>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

namespace tributary::registry::testing {

namespace {

class FunctionHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit FunctionHandler(const FakeServer::Handler& h) : h_(h) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    h_(req, resp);
  }

 private:
  const FakeServer::Handler& h_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(FakeServer::Handler h) : h_(std::move(h)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new FunctionHandler(h_);
  }

 private:
  FakeServer::Handler h_;
};

}  // namespace

FakeServer::FakeServer(Handler handler, Poco::Net::Context::Ptr tls,
                       Poco::Timespan keepAliveTimeout)
    : tls_(!tls.isNull()) {
  Poco::Net::SocketAddress addr("127.0.0.1", 0);
  Poco::Net::ServerSocket socket =
      tls_ ? Poco::Net::SecureServerSocket(addr, 64, tls) : Poco::Net::ServerSocket(addr, 64);
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(16);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(keepAliveTimeout);
  params->setTimeout(Poco::Timespan(5, 0));
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(std::move(handler)), socket, params);
  server_->start();
}

FakeServer::~FakeServer() { server_->stopAll(true); }

std::string readBody(Poco::Net::HTTPServerRequest& request) {
  std::string body;
  Poco::StreamCopier::copyToString(request.stream(), body);
  return body;
}

void reply(Poco::Net::HTTPServerResponse& response, int status, const std::string& body,
           const std::string& contentType) {
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  if (!contentType.empty()) response.setContentType(contentType);
  response.sendBuffer(body.data(), body.size());
}

std::string sha256Digest(const std::string& bytes) {
  return DigestHasher::digestOf("sha256", bytes).value();
}

}  // namespace tributary::registry::testing
