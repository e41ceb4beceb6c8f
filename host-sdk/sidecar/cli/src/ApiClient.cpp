#include "tributary/cli/ApiClient.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>

#include <memory>
#include <sstream>

namespace tributary::cli {

ApiClient::ApiClient(std::string address, std::string token, std::string caFile,
                     int timeoutSeconds)
    : address_(std::move(address)), token_(std::move(token)), caFile_(std::move(caFile)),
      timeoutSeconds_(timeoutSeconds) {}

Result<ApiReply> ApiClient::call(const std::string& method, const std::string& path,
                                 const std::string& body) {
  const auto colon = address_.rfind(':');
  if (colon == std::string::npos) {
    return invalidArgumentError("admin address `" + address_ + "` must be host:port");
  }
  const std::string host = address_.substr(0, colon);
  Poco::UInt16 port = 0;
  try {
    port = static_cast<Poco::UInt16>(std::stoi(address_.substr(colon + 1)));
  } catch (const std::exception&) {
    return invalidArgumentError("admin address `" + address_ + "` must be host:port");
  }
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (caFile_.empty()) {
      session = std::make_unique<Poco::Net::HTTPClientSession>(host, port);
    } else {
      Poco::Net::Context::Ptr context = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", "", caFile_, Poco::Net::Context::VERIFY_RELAXED);
      session = std::make_unique<Poco::Net::HTTPSClientSession>(host, port, context);
    }
    session->setTimeout(Poco::Timespan(timeoutSeconds_, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + token_);
    if (!body.empty() || method == "POST" || method == "PUT") {
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    ApiReply reply;
    reply.status = static_cast<int>(response.getStatus());
    std::ostringstream text;
    Poco::StreamCopier::copyStream(in, text);
    reply.body = text.str();
    return reply;
  } catch (const Poco::Exception& e) {
    return unavailableError("cannot reach the tributary service at " + address_ + ": " +
                            e.displayText() + " (is `tributary serve` running?)");
  }
}

}  // namespace tributary::cli
