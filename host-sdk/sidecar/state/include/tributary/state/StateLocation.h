// StateLocation: where the service's state lives — a SQLite file or a PostgreSQL database.
#pragma once

#include <string>

#include "tributary/Status.h"

namespace tributary::state {

/// `replication.state` read: a path (SQLite, one sidecar) or
/// `postgresql://user@host[:port]/dbname` (PostgreSQL, a fleet of sidecars). The URL carries no
/// password: libpq reads it from a password file (`replication.state_passfile`, else libpq's own
/// PGPASSFILE / ~/.pgpass), so the URL can be logged and shown in errors as is, and the password
/// never passes through tributary's memory, logs or arguments.
class StateLocation {
 public:
  enum class Kind { kSqlite, kPostgres };

  /// kInvalidArgument with the reason (a password in the URL, no user, no database, a bad
  /// port) — the message never repeats a password.
  static Result<StateLocation> parse(const std::string& text);
  static bool looksLikeUrl(const std::string& text);

  Kind kind() const { return kind_; }
  const std::string& sqlitePath() const { return sqlitePath_; }
  /// The path or the URL as given (no password in either): for logs and errors.
  const std::string& display() const { return display_; }
  /// libpq's key=value connection string; `passfile` "" = libpq's default password file.
  std::string postgresConnectionString(const std::string& passfile) const;
  /// Poco's PostgreSQL connector splits the connection string at spaces, so no value may hold
  /// whitespace: kInvalidArgument naming `what` otherwise.
  static Status checkConnectionValue(const std::string& value, const std::string& what);

 private:
  Kind kind_ = Kind::kSqlite;
  std::string sqlitePath_;
  std::string display_;
  std::string host_, user_, dbname_;
  int port_ = 5432;
};

}  // namespace tributary::state
