// A keep-alive HTTP(S) connection owned by the HttpConnectionPool. Besides the Poco session it
// offers readBody(), which reads a fixed-length body straight from the socket into the
// caller's buffer — Poco's response stream would copy it through a 4 KiB buffer first.
//
// It connects (and reconnects) only to the address the pool's AddressPolicy vetted, never to
// the host name again: the Poco session is given the address as its host, the request's Host
// header carries the name (HttpTransport sets it), and a TLS session sends the name as SNI and
// verifies the certificate against it.
#pragma once

#include <ios>
#include <memory>
#include <string>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/IPAddress.h>

namespace tributary::registry {

class PooledSession {
 public:
  virtual ~PooledSession() = default;
  virtual Poco::Net::HTTPClientSession& http() = 0;
  /// Up to `length` body bytes (after receiveResponse); 0 when the peer closed the connection.
  virtual int readBody(char* buffer, std::streamsize length) = 0;

  /// Pool key ("https://host:port").
  const std::string& key() const { return key_; }
  /// The vetted address every connection of this session goes to.
  const Poco::Net::IPAddress& address() const { return address_; }
  /// True once it served a request: a failure before any response byte may just mean the
  /// server closed the idle connection, which is worth one immediate retry.
  bool reused() const { return reused_; }
  void markReused() { reused_ = true; }

  /// `host` is the name (TLS SNI and certificate), `address` where to connect.
  static std::unique_ptr<PooledSession> createPlain(std::string key, const std::string& host,
                                                    const Poco::Net::IPAddress& address,
                                                    uint16_t port);
  static std::unique_ptr<PooledSession> createTls(std::string key, const std::string& host,
                                                  const Poco::Net::IPAddress& address,
                                                  uint16_t port, Poco::Net::Context::Ptr context);

 protected:
  PooledSession(std::string key, const Poco::Net::IPAddress& address)
      : key_(std::move(key)), address_(address) {}

 private:
  std::string key_;
  Poco::Net::IPAddress address_;
  bool reused_ = false;
};

}  // namespace tributary::registry
