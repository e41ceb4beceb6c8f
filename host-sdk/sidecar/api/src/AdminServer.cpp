#include "tributary/api/AdminServer.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerConnectionFactory.h>
#include <Poco/Net/TCPServerDispatcher.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <istream>

#include "HeadGate.h"

namespace tributary::api {
namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void send(HTTPServerResponse& response, const ApiResponse& r) {
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
  response.setContentType(r.contentType);
  response.setContentLength(static_cast<std::streamsize>(r.body.size()));
  response.set("Cache-Control", "no-store");
  for (const auto& [name, value] : r.headers) response.set(name, value);
  response.send() << r.body;
}

class ApiRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  ApiRequestHandler(AdminApi& api, int64_t maxBody) : api_(api), maxBody_(maxBody) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    ApiRequest req;
    req.method = request.getMethod();
    const std::string& uri = request.getURI();
    const auto q = uri.find('?');
    req.path = uri.substr(0, q);
    if (q != std::string::npos) req.query = uri.substr(q + 1);
    req.authorization = request.get("Authorization", "");
    if (AdminApi::needsToken(req.method, req.path) &&
        !AdminApi::authorized(req.authorization, api_.token())) {
      // Before the body: a client without the token cannot make a worker read (or wait for)
      // a single body byte.
      response.setKeepAlive(false);
      send(response, AdminApi::unauthenticated());
      return;
    }
    const std::string tooLarge = "the request body is larger than " + std::to_string(maxBody_) +
                                 " bytes (replication.admin.max_body_bytes)";
    if (request.hasContentLength() && request.getContentLength64() > maxBody_) {
      response.setKeepAlive(false);  // the unread body must not be parsed as a request
      send(response, AdminApi::error(413, "too_large", tooLarge));
      return;
    }
    // Read at most maxBody + 1 bytes, whatever the framing (chunked has no length).
    std::istream& in = request.stream();
    std::string body;
    char buffer[8192];
    while (in) {
      in.read(buffer, sizeof(buffer));
      body.append(buffer, static_cast<size_t>(in.gcount()));
      if (static_cast<int64_t>(body.size()) > maxBody_) {
        response.setKeepAlive(false);
        send(response, AdminApi::error(413, "too_large", tooLarge));
        return;
      }
    }
    req.body = std::move(body);
    send(response, api_.handle(req));
  }

 private:
  AdminApi& api_;
  int64_t maxBody_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(AdminApi& api, int64_t maxBody) : api_(api), maxBody_(maxBody) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new ApiRequestHandler(api_, maxBody_);
  }

 private:
  AdminApi& api_;
  int64_t maxBody_;
};

}  // namespace

AdminServer::AdminServer(AdminApi& api, ServerSettings settings)
    : api_(api), settings_(std::move(settings)) {}

AdminServer::~AdminServer() { stop(); }

Status AdminServer::start() {
  const std::string address = settings_.host + ":" + std::to_string(settings_.port);
  Poco::Net::ServerSocket socket;
  Poco::Net::Context::Ptr context;  // TLS: the gate runs each handshake with it
  try {
    const Poco::Net::SocketAddress where(settings_.host, static_cast<Poco::UInt16>(settings_.port));
    if (!settings_.tlsCertFile.empty()) {
      try {
        context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, settings_.tlsKeyFile,
                                         settings_.tlsCertFile, "",
                                         Poco::Net::Context::VERIFY_NONE);
      } catch (const Poco::Exception& e) {
        return invalidArgumentError("replication.admin.tls: cannot load cert_file `" +
                                    settings_.tlsCertFile + "` / key_file `" +
                                    settings_.tlsKeyFile + "`: " + e.displayText());
      }
    }
    // A plain listening socket either way: HeadGate accepts, and for TLS runs the handshake
    // off the worker threads (a SecureServerSocket would leave it to the workers, where a
    // client that never says hello holds one until the request timeout).
    socket = Poco::Net::ServerSocket(where, 1024);
  } catch (const Poco::Exception& e) {
    return unavailableError("cannot listen on " + address + " (replication.admin.addr): " +
                            e.displayText());
  }
  port_ = socket.address().port();
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(settings_.threads);
  params->setMaxQueued(settings_.maxQueued);
  params->setTimeout(Poco::Timespan(settings_.requestTimeoutSeconds, 0));
  pool_ = std::make_unique<Poco::ThreadPool>(1, settings_.threads + 1);
  if (context) {
    // A handshake per request would cost more than the idle connection a worker keeps for at
    // most the keep-alive timeout; later heads on it are read by that worker.
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(100);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
  } else {
    params->setKeepAlive(false);
  }
  Poco::Net::TCPServerConnectionFactory::Ptr connections =
      new Poco::Net::HTTPServerConnectionFactory(params,
                                                 new Factory(api_, settings_.maxBodyBytes));
  dispatcher_ = new Poco::Net::TCPServerDispatcher(connections, *pool_, params);
  HeadGateLimits limits;
  limits.headTimeout = std::chrono::seconds(settings_.headerTimeoutSeconds);
  limits.maxPending = settings_.maxWaitingConnections;
  limits.maxQueued = settings_.maxQueued;
  gate_ = std::make_unique<HeadGate>(socket, *dispatcher_, limits, context);
  gate_->start();
  return Status();
}

void AdminServer::stop() {
  if (gate_) {
    gate_->stop();  // no new connections; those still waiting for their head are closed
    gate_.reset();
  }
  if (dispatcher_) {
    dispatcher_->stop();  // queued connections are dropped; running requests finish
    pool_->joinAll();
    dispatcher_->release();
    dispatcher_ = nullptr;
  }
  if (pool_) {
    pool_->stopAll();  // every request thread joined: nothing outlives the service
    pool_.reset();
  }
}

}  // namespace tributary::api
