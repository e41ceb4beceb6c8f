#include "PooledSession.h"

#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>

namespace tributary::registry {

namespace {

// HTTPSession::read is protected; these subclasses expose it. It returns buffered bytes
// first and otherwise reads the socket directly into the caller's buffer.
class PlainSession final : public PooledSession, public Poco::Net::HTTPClientSession {
 public:
  // Poco's host is the address literal: its reconnect() builds SocketAddress(host, port),
  // which must not resolve the name again.
  PlainSession(std::string key, const Poco::Net::IPAddress& address, uint16_t port)
      : PooledSession(std::move(key), address),
        Poco::Net::HTTPClientSession(address.toString(), port) {}
  Poco::Net::HTTPClientSession& http() override { return *this; }
  int readBody(char* buffer, std::streamsize length) override { return read(buffer, length); }
};

class TlsSession final : public PooledSession, public Poco::Net::HTTPSClientSession {
 public:
  TlsSession(std::string key, const std::string& host, const Poco::Net::IPAddress& address,
             uint16_t port, Poco::Net::Context::Ptr context)
      : PooledSession(std::move(key), address),
        Poco::Net::HTTPSClientSession(address.toString(), port, context),
        name_(host) {}
  Poco::Net::HTTPClientSession& http() override { return *this; }
  int readBody(char* buffer, std::streamsize length) override { return read(buffer, length); }

 protected:
  // SNI and certificate verification use the peer host name; Poco would take the session's
  // host (here the address literal) when none is set.
  void connect(const Poco::Net::SocketAddress& address) override {
    Poco::Net::SecureStreamSocket secure(socket());
    secure.setPeerHostName(name_);
    Poco::Net::HTTPSClientSession::connect(address);
  }

 private:
  std::string name_;
};

}  // namespace

std::unique_ptr<PooledSession> PooledSession::createPlain(std::string key, const std::string&,
                                                          const Poco::Net::IPAddress& address,
                                                          uint16_t port) {
  return std::make_unique<PlainSession>(std::move(key), address, port);
}

std::unique_ptr<PooledSession> PooledSession::createTls(std::string key, const std::string& host,
                                                        const Poco::Net::IPAddress& address,
                                                        uint16_t port,
                                                        Poco::Net::Context::Ptr context) {
  return std::make_unique<TlsSession>(std::move(key), host, address, port, std::move(context));
}

}  // namespace tributary::registry
