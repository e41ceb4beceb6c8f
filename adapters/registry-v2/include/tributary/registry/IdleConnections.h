// Keep-alive connections one run leaves for the next: a long-running host's runs of rules on
// the same registry (a cycle of many rules, a rule run again at once) skip the TCP connect,
// the server's accept and, over https, the TLS handshake. A provider keeps one and hands it to
// every RegistryClient it creates; each client's connection pool takes from it when its own
// idle connections run out and leaves its idle connections in it when the client goes.
//
// Kept only while they are useful: a connection idle for more than `maxIdle` (default 7 s,
// under Poco's own 8 s keep-alive timeout, past which it would reconnect anyway) is closed
// then by a sweeper thread (started with the first connection kept, asleep while none is), so
// no socket lingers half closed between a cycle and the next; and at most `maxPerKey` per key and `maxTotal` in all are kept (the
// oldest go first). The key (HttpConnectionPool's) names the origin and everything a
// connection was vetted or set up with: the address policy and the TLS context. A server that
// closed one in the meantime costs one immediate retry on a new connection (HttpTransport
// treats a reused connection that fails before any response byte as stale).
//
// Thread rules: take/put/size from any thread (one internal lock). A session taken belongs to
// the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace tributary::registry {

class PooledSession;

class IdleConnections {
 public:
  static constexpr std::chrono::milliseconds kDefaultMaxIdle{7000};

  explicit IdleConnections(std::chrono::milliseconds maxIdle = kDefaultMaxIdle,
                           size_t maxPerKey = 8, size_t maxTotal = 64);
  ~IdleConnections();
  IdleConnections(const IdleConnections&) = delete;
  IdleConnections& operator=(const IdleConnections&) = delete;

  /// The most recently kept connection under `key` that has been idle for at most maxIdle;
  /// null when there is none. Older ones under any key are closed on the way.
  std::unique_ptr<PooledSession> take(const std::string& key);
  /// Keeps `session` (whose last response was read completely) under `key`.
  void put(const std::string& key, std::unique_ptr<PooledSession> session);
  /// Connections kept now.
  size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::registry
