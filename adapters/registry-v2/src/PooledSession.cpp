#include "PooledSession.h"

#include <Poco/Net/HTTPSClientSession.h>

namespace tributary::registry {

namespace {

// HTTPSession::read is protected; these subclasses expose it. It returns buffered bytes
// first and otherwise reads the socket directly into the caller's buffer.
class PlainSession final : public PooledSession, public Poco::Net::HTTPClientSession {
 public:
  PlainSession(std::string key, const std::string& host, uint16_t port)
      : PooledSession(std::move(key)), Poco::Net::HTTPClientSession(host, port) {}
  Poco::Net::HTTPClientSession& http() override { return *this; }
  int readBody(char* buffer, std::streamsize length) override { return read(buffer, length); }
};

class TlsSession final : public PooledSession, public Poco::Net::HTTPSClientSession {
 public:
  TlsSession(std::string key, const std::string& host, uint16_t port,
             Poco::Net::Context::Ptr context)
      : PooledSession(std::move(key)), Poco::Net::HTTPSClientSession(host, port, context) {}
  Poco::Net::HTTPClientSession& http() override { return *this; }
  int readBody(char* buffer, std::streamsize length) override { return read(buffer, length); }
};

}  // namespace

std::unique_ptr<PooledSession> PooledSession::createPlain(std::string key, const std::string& host,
                                                          uint16_t port) {
  return std::make_unique<PlainSession>(std::move(key), host, port);
}

std::unique_ptr<PooledSession> PooledSession::createTls(std::string key, const std::string& host,
                                                        uint16_t port,
                                                        Poco::Net::Context::Ptr context) {
  return std::make_unique<TlsSession>(std::move(key), host, port, std::move(context));
}

}  // namespace tributary::registry
