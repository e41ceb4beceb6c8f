// A keep-alive HTTP(S) connection owned by the HttpConnectionPool. Besides the Poco session it
// offers readBody(), which reads a fixed-length body straight from the socket into the
// caller's buffer — Poco's response stream would copy it through a 4 KiB buffer first.
//
// It connects (and reconnects) only to the address the pool's AddressPolicy vetted, never to
// the host name again: the Poco session is given the address as its host, the request's Host
// header carries the name (HttpTransport sets it), and a TLS session sends the name as SNI and
// verifies the certificate against it.
#pragma once

#include <functional>
#include <ios>
#include <memory>
#include <optional>
#include <string>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/IPAddress.h>

#include "SocketWatchdog.h"

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

  /// Watches each new connection (the TCP connect and, over https, the TLS handshake) while it
  /// is made: given the new socket's descriptor before it connects, returns the guard kept
  /// until the connection is up (empty: not watched). Poco connects inside sendRequest(), on
  /// first use and when it reconnects an idle connection; the transport sets this around that
  /// call only and clears it after (a session outlives the transport that set it).
  using ConnectWatch = std::function<std::optional<SocketWatchdog::Guard>(int fd)>;
  void setConnectWatch(ConnectWatch watch) { connectWatch_ = std::move(watch); }
  /// True when the last connection attempt failed because its watch shut it down (the task
  /// was cancelled), not because of the network.
  bool connectCancelled() const { return connectCancelled_; }

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

  /// What watches one connection attempt: the guard is on a duplicate of the new socket's
  /// descriptor (shutdown(2) acts on the socket, so it still ends the connect or handshake),
  /// closed only after the guard is gone. Poco may close the socket's own descriptor inside
  /// a failing handshake, before the guard could be destroyed; the duplicate keeps that
  /// number from being reused by another connection the watchdog could then shut down.
  class ConnectWatchHold {
   public:
    ConnectWatchHold() = default;
    ConnectWatchHold(ConnectWatchHold&& other) noexcept;
    ConnectWatchHold(const ConnectWatchHold&) = delete;
    ConnectWatchHold& operator=(const ConnectWatchHold&) = delete;
    ConnectWatchHold& operator=(ConnectWatchHold&&) = delete;
    ~ConnectWatchHold();
    bool cancelled() const { return guard_ && guard_->cancelled(); }

   private:
    friend class PooledSession;
    std::optional<SocketWatchdog::Guard> guard_;
    int fd_ = -1;
  };

  /// The watch for a new socket about to connect (nothing when no watch is set).
  ConnectWatchHold watchConnect(int fd);
  /// After a failed connect: remembers whether the watch ended it.
  void connectFailed(const ConnectWatchHold& hold);

 private:
  ConnectWatch connectWatch_;
  bool connectCancelled_ = false;
  std::string key_;
  Poco::Net::IPAddress address_;
  bool reused_ = false;
};

}  // namespace tributary::registry
