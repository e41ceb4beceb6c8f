// StateLocation: where the service's state lives — a SQLite file or a PostgreSQL database.
#pragma once

#include <string>

#include "tributary/Status.h"

namespace tributary::state {

/// `replication.state` read: a path (SQLite, one sidecar) or
/// `postgresql://user@host[:port]/dbname` (PostgreSQL, a fleet of sidecars). The URL carries no
/// password: it comes from `replication.state_password_file` (or libpq's own PGPASSFILE /
/// ~/.pgpass when that key is absent), so the URL can be logged and shown in errors as is.
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
  /// libpq's key=value connection string, the password quoted in it. Never log this.
  std::string postgresConnectionString(const std::string& password) const;

 private:
  Kind kind_ = Kind::kSqlite;
  std::string sqlitePath_;
  std::string display_;
  std::string host_, user_, dbname_;
  int port_ = 5432;
};

}  // namespace tributary::state
