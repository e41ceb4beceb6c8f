#include "PooledSession.h"

#include <fcntl.h>
#include <unistd.h>

#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>

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

 protected:
  // The socket is created before it connects, so that its descriptor can be watched while it
  // does (Poco's connect uses a socket that already has one).
  void connect(const Poco::Net::SocketAddress& address) override {
    attachSocket(Poco::Net::StreamSocket(address.family()));
    ConnectWatchHold watch = watchConnect(socket().impl()->sockfd());
    try {
      Poco::Net::HTTPClientSession::connect(address);
    } catch (...) {
      connectFailed(watch);
      throw;
    }
  }
};

class TlsSession final : public PooledSession, public Poco::Net::HTTPSClientSession {
 public:
  TlsSession(std::string key, const std::string& host, const Poco::Net::IPAddress& address,
             uint16_t port, Poco::Net::Context::Ptr context)
      : PooledSession(std::move(key), address),
        Poco::Net::HTTPSClientSession(address.toString(), port, context),
        name_(host),
        context_(std::move(context)) {}
  Poco::Net::HTTPClientSession& http() override { return *this; }
  int readBody(char* buffer, std::streamsize length) override { return read(buffer, length); }

 protected:
  // The TCP connection first, on a socket whose descriptor is watched from before it
  // connects, then the TLS handshake over it (same descriptor, still watched), each bounded by
  // the connection timeout as Poco's own connect does. SNI and certificate verification use
  // the peer host name (Poco would take the session's host, here the address literal).
  void connect(const Poco::Net::SocketAddress& address) override {
    const Poco::Timespan timeout = getTimeout();  // the pool sets one value for all three
    Poco::Net::StreamSocket plain(address.family());
    ConnectWatchHold watch = watchConnect(plain.impl()->sockfd());
    try {
      plain.connect(address, timeout);
      plain.setReceiveTimeout(timeout);
      plain.setSendTimeout(timeout);
      Poco::Net::SecureStreamSocket secure =
          Poco::Net::SecureStreamSocket::attach(plain, name_, context_);
      secure.setNoDelay(true);
      attachSocket(secure);
    } catch (...) {
      connectFailed(watch);
      throw;
    }
  }

 private:
  std::string name_;
  Poco::Net::Context::Ptr context_;
};

}  // namespace

PooledSession::ConnectWatchHold::ConnectWatchHold(ConnectWatchHold&& other) noexcept
    : guard_(std::move(other.guard_)), fd_(other.fd_) {
  other.guard_.reset();
  other.fd_ = -1;
}

PooledSession::ConnectWatchHold::~ConnectWatchHold() {
  guard_.reset();  // unregistered first: the watchdog never sees the number after close()
  if (fd_ >= 0) ::close(fd_);
}

PooledSession::ConnectWatchHold PooledSession::watchConnect(int fd) {
  connectCancelled_ = false;
  ConnectWatchHold hold;
  if (!connectWatch_ || fd < 0) return hold;
  hold.fd_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (hold.fd_ < 0) return hold;  // out of descriptors: unwatched, bounded by its timeout
  if (std::optional<SocketWatchdog::Guard> guard = connectWatch_(hold.fd_))
    hold.guard_.emplace(std::move(*guard));
  return hold;
}

void PooledSession::connectFailed(const ConnectWatchHold& hold) {
  connectCancelled_ = hold.cancelled();
}

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
