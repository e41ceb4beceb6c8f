// SqlDialect: the few places where SQLite and PostgreSQL SQL differ, so StateStore keeps one
// body of statements. Statements are written with `?` placeholders; PostgreSQL's are `$1..$n`.
#pragma once

#include <string>
#include <vector>

namespace tributary::state {

struct SqlDialect {
  bool postgres = false;
  /// Milliseconds since the epoch on the database's clock: leases are compared against one
  /// clock for the whole fleet, not each sidecar's own.
  const char* nowMs = nullptr;
  /// Appended to a SELECT that reads a row it will update in the same transaction.
  const char* forUpdate = nullptr;
  /// Schema version 1 (rules, tasks); later versions are common to both.
  const char* migration1 = nullptr;

  static const SqlDialect& sqlite();
  static const SqlDialect& postgresql();

  /// `?` -> `$n` for PostgreSQL (no statement here has a `?` inside a string literal).
  std::string sql(const std::string& portable) const;
};

}  // namespace tributary::state
