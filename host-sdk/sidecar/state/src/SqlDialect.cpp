#include "SqlDialect.h"

namespace tributary::state {

const SqlDialect& SqlDialect::sqlite() {
  static const SqlDialect d{
      false,
      "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
      "",  // one connection, serialised by the store's mutex: nothing else writes meanwhile
      "CREATE TABLE rules ("
      "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  name TEXT NOT NULL UNIQUE,"
      "  json TEXT NOT NULL,"
      "  created_at INTEGER NOT NULL,"
      "  updated_at INTEGER NOT NULL,"
      "  next_run_at INTEGER NOT NULL DEFAULT 0,"
      "  retry_at INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE tasks ("
      "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  rule_id INTEGER NOT NULL,"
      "  rule_name TEXT NOT NULL,"
      "  trigger TEXT NOT NULL,"
      "  status TEXT NOT NULL,"
      "  reason TEXT NOT NULL DEFAULT '',"
      "  error_code TEXT NOT NULL DEFAULT '',"
      "  queued_at INTEGER NOT NULL,"
      "  started_at INTEGER NOT NULL DEFAULT 0,"
      "  ended_at INTEGER NOT NULL DEFAULT 0,"
      "  bytes_done INTEGER NOT NULL DEFAULT 0,"
      "  bytes_total INTEGER NOT NULL DEFAULT 0,"
      "  blobs_done INTEGER NOT NULL DEFAULT 0,"
      "  blobs_total INTEGER NOT NULL DEFAULT 0,"
      "  tags_done INTEGER NOT NULL DEFAULT 0,"
      "  report TEXT NOT NULL DEFAULT '');"
      "CREATE INDEX tasks_by_rule ON tasks(rule_id, id);"
      "CREATE INDEX tasks_by_status ON tasks(status, id);"};
  return d;
}

const SqlDialect& SqlDialect::postgresql() {
  static const SqlDialect d{
      true,
      "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
      " FOR UPDATE",
      "CREATE TABLE rules ("
      "  id BIGSERIAL PRIMARY KEY,"
      "  name TEXT NOT NULL UNIQUE,"
      "  json TEXT NOT NULL,"
      "  created_at BIGINT NOT NULL,"
      "  updated_at BIGINT NOT NULL,"
      "  next_run_at BIGINT NOT NULL DEFAULT 0,"
      "  retry_at BIGINT NOT NULL DEFAULT 0);"
      "CREATE TABLE tasks ("
      "  id BIGSERIAL PRIMARY KEY,"
      "  rule_id BIGINT NOT NULL,"
      "  rule_name TEXT NOT NULL,"
      "  trigger TEXT NOT NULL,"
      "  status TEXT NOT NULL,"
      "  reason TEXT NOT NULL DEFAULT '',"
      "  error_code TEXT NOT NULL DEFAULT '',"
      "  queued_at BIGINT NOT NULL,"
      "  started_at BIGINT NOT NULL DEFAULT 0,"
      "  ended_at BIGINT NOT NULL DEFAULT 0,"
      "  bytes_done BIGINT NOT NULL DEFAULT 0,"
      "  bytes_total BIGINT NOT NULL DEFAULT 0,"
      "  blobs_done BIGINT NOT NULL DEFAULT 0,"
      "  blobs_total BIGINT NOT NULL DEFAULT 0,"
      "  tags_done BIGINT NOT NULL DEFAULT 0,"
      "  report TEXT NOT NULL DEFAULT '');"
      "CREATE INDEX tasks_by_rule ON tasks(rule_id, id);"
      "CREATE INDEX tasks_by_status ON tasks(status, id);"};
  return d;
}

std::string SqlDialect::sql(const std::string& portable) const {
  if (!postgres) return portable;
  std::string out;
  out.reserve(portable.size() + 16);
  int n = 0;
  for (char c : portable) {
    if (c == '?') {
      out += '$' + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace tributary::state
