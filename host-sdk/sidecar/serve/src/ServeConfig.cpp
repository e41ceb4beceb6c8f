#include "tributary/serve/ServeConfig.h"

#include <yaml-cpp/yaml.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tributary/state/StateLocation.h"
#include <sstream>

namespace tributary::serve {
namespace {

Status keyError(const std::string& source, const std::string& key, const std::string& what) {
  return invalidArgumentError(source + ": replication." + key + " " + what);
}

std::string resolve(const std::string& path, const std::string& base) {
  if (path.empty() || path.front() == '/' || base.empty()) return path;
  return base + "/" + path;
}

Result<std::string> text(const YAML::Node& node, const std::string& source,
                         const std::string& key) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    return keyError(source, key, "must be a non-empty string");
  }
  return node.Scalar();
}

Result<int64_t> integer(const YAML::Node& node, const std::string& source, const std::string& key,
                        int64_t min, int64_t max) {
  int64_t value = 0;
  if (!node.IsScalar()) return keyError(source, key, "must be a number");
  try {
    size_t used = 0;
    value = std::stoll(node.Scalar(), &used);
    if (used != node.Scalar().size()) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    return keyError(source, key, "must be a whole number, got `" + node.Scalar() + "`");
  }
  if (value < min || value > max) {
    return keyError(source, key, "must be " + std::to_string(min) + ".." + std::to_string(max) +
                                     ", got " + std::to_string(value));
  }
  return value;
}

bool present(const YAML::Node& map, const char* key) {
  return map && map.IsMap() && map[key] && !map[key].IsNull();
}

}  // namespace

int64_t ServeConfig::editionQuota(const std::string& edition) {
  if (edition == "basic") return 10;
  if (edition == "standard") return 100;
  if (edition == "premium") return 500;
  return 0;
}

std::vector<std::string> ServeConfig::knownKeys() {
  return {"state",          "edition",          "rule_quota",
          "timezone",       "workers",          "queue_limit",
          "task_retention", "task_retention.days", "task_retention.per_rule",
          "admin",          "admin.addr",       "admin.token_file",
          "admin.tls",      "admin.tls.cert_file", "admin.tls.key_file",
          "admin.max_body_bytes", "admin.threads", "admin.request_timeout_seconds",
          "admin.header_timeout_seconds",
          "test_hooks",     "test_hooks.interval_divisor",
          "state_passfile", "sidecar_id", "lease", "lease.ttl_seconds",
          "lease.renew_seconds"};
}

Result<ServeConfig> ServeConfig::load(const std::string& path, const std::string& stateDirectory) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return invalidArgumentError("cannot read registry config `" + path + "`");
  std::ostringstream content;
  content << file.rdbuf();
  const auto slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  return parse(content.str(), path, base, stateDirectory);
}

Result<ServeConfig> ServeConfig::parse(const std::string& yamlText, const std::string& source,
                                       const std::string& base,
                                       const std::string& stateDirectory) {
  ServeConfig c;
  c.statePath = stateDirectory + "/state.db";
  YAML::Node loaded;
  try {
    loaded = YAML::Load(yamlText);
  } catch (const YAML::Exception& e) {
    return invalidArgumentError(source + ": invalid YAML: " + e.what());
  }
  const YAML::Node& root = loaded;
  if (!root.IsMap() || !root["replication"] || root["replication"].IsNull()) return c;
  const YAML::Node r = root["replication"];
  if (!r.IsMap()) return invalidArgumentError(source + ": replication must be a mapping");
  try {
    if (present(r, "state")) {
      TRIB_ASSIGN_OR_RETURN(c.statePath, text(r["state"], source, "state"));
      auto location = state::StateLocation::parse(c.statePath);
      if (!location.isOk()) return keyError(source, "state", location.status().message());
      if (location->kind() == state::StateLocation::Kind::kSqlite) {
        c.statePath = resolve(c.statePath, base);
      }
    }
    if (present(r, "state_passfile")) {
      if (!state::StateLocation::looksLikeUrl(c.statePath)) {
        return keyError(source, "state_passfile",
                        "is for a PostgreSQL replication.state (postgresql://...), and "
                        "replication.state is a SQLite path");
      }
      TRIB_ASSIGN_OR_RETURN(c.statePassfile, text(r["state_passfile"], source, "state_passfile"));
      c.statePassfile = resolve(c.statePassfile, base);
      Status usable = state::StateLocation::checkConnectionValue(c.statePassfile, "its path");
      if (!usable.isOk()) return keyError(source, "state_passfile", usable.message());
      struct stat st {};
      if (::stat(c.statePassfile.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
          ::access(c.statePassfile.c_str(), R_OK) != 0) {
        return keyError(source, "state_passfile",
                        "`" + c.statePassfile + "` is not a readable file");
      }
      if ((st.st_mode & 077) != 0) {
        // libpq would skip it with a warning and fail later with a less useful message.
        return keyError(source, "state_passfile",
                        "`" + c.statePassfile + "` must not be readable by group or others "
                        "(chmod 600): libpq ignores such a password file");
      }
    }
    if (present(r, "sidecar_id")) {
      TRIB_ASSIGN_OR_RETURN(c.sidecarId, text(r["sidecar_id"], source, "sidecar_id"));
      if (c.sidecarId.size() > 128) return keyError(source, "sidecar_id", "must be at most 128 characters");
    }
    if (present(r, "lease")) {
      const YAML::Node l = r["lease"];
      if (!l.IsMap()) return keyError(source, "lease", "must be a mapping {ttl_seconds, renew_seconds}");
      if (present(l, "ttl_seconds")) {
        TRIB_ASSIGN_OR_RETURN(c.leaseTtlSeconds, integer(l["ttl_seconds"], source, "lease.ttl_seconds", 2, 3600));
      }
      if (present(l, "renew_seconds")) {
        TRIB_ASSIGN_OR_RETURN(c.leaseRenewSeconds, integer(l["renew_seconds"], source, "lease.renew_seconds", 1, 3600));
      }
      if (c.leaseRenewSeconds * 2 > c.leaseTtlSeconds) {
        return keyError(source, "lease.renew_seconds",
                        "must be at most half of lease.ttl_seconds (" +
                            std::to_string(c.leaseTtlSeconds) + "), got " +
                            std::to_string(c.leaseRenewSeconds) +
                            ": one late renewal must not lose a lease");
      }
    }
    if (present(r, "edition")) {
      TRIB_ASSIGN_OR_RETURN(c.edition, text(r["edition"], source, "edition"));
      if (editionQuota(c.edition) == 0) {
        return keyError(source, "edition",
                        "must be basic, standard or premium, got `" + c.edition + "`");
      }
    }
    c.ruleQuota = editionQuota(c.edition);
    if (present(r, "rule_quota")) {
      TRIB_ASSIGN_OR_RETURN(c.ruleQuota, integer(r["rule_quota"], source, "rule_quota", 0, 1000000));
      c.ruleQuotaOverridden = true;
    }
    if (present(r, "timezone")) {
      TRIB_ASSIGN_OR_RETURN(c.timezone, text(r["timezone"], source, "timezone"));
    }
    if (present(r, "workers")) {
      TRIB_ASSIGN_OR_RETURN(int64_t w, integer(r["workers"], source, "workers", 1, 64));
      c.workers = static_cast<int>(w);
    }
    if (present(r, "queue_limit")) {
      TRIB_ASSIGN_OR_RETURN(c.queueLimit, integer(r["queue_limit"], source, "queue_limit", 1, 1000000));
    }
    if (present(r, "task_retention")) {
      const YAML::Node t = r["task_retention"];
      if (!t.IsMap()) return keyError(source, "task_retention", "must be a mapping {days, per_rule}");
      if (present(t, "days")) {
        TRIB_ASSIGN_OR_RETURN(c.retentionDays, integer(t["days"], source, "task_retention.days", 1, 36500));
      }
      if (present(t, "per_rule")) {
        TRIB_ASSIGN_OR_RETURN(c.retentionPerRule, integer(t["per_rule"], source, "task_retention.per_rule", 1, 1000000));
      }
    }
    if (present(r, "admin")) {
      const YAML::Node a = r["admin"];
      if (!a.IsMap()) return keyError(source, "admin", "must be a mapping");
      if (present(a, "addr")) {
        TRIB_ASSIGN_OR_RETURN(std::string addr, text(a["addr"], source, "admin.addr"));
        const auto colon = addr.rfind(':');
        if (colon == std::string::npos || colon == 0) {
          return keyError(source, "admin.addr", "must be host:port, got `" + addr + "`");
        }
        c.adminHost = addr.substr(0, colon);
        YAML::Node port(addr.substr(colon + 1));
        TRIB_ASSIGN_OR_RETURN(int64_t p, integer(port, source, "admin.addr's port", 0, 65535));
        c.adminPort = static_cast<int>(p);
      }
      if (present(a, "token_file")) {
        TRIB_ASSIGN_OR_RETURN(c.tokenFile, text(a["token_file"], source, "admin.token_file"));
        c.tokenFile = resolve(c.tokenFile, base);
      }
      if (present(a, "tls")) {
        const YAML::Node t = a["tls"];
        if (!t.IsMap() || !present(t, "cert_file") || !present(t, "key_file")) {
          return keyError(source, "admin.tls", "needs both cert_file and key_file");
        }
        TRIB_ASSIGN_OR_RETURN(c.tlsCertFile, text(t["cert_file"], source, "admin.tls.cert_file"));
        TRIB_ASSIGN_OR_RETURN(c.tlsKeyFile, text(t["key_file"], source, "admin.tls.key_file"));
        c.tlsCertFile = resolve(c.tlsCertFile, base);
        c.tlsKeyFile = resolve(c.tlsKeyFile, base);
      }
      if (present(a, "max_body_bytes")) {
        TRIB_ASSIGN_OR_RETURN(c.maxBodyBytes, integer(a["max_body_bytes"], source, "admin.max_body_bytes", 1024, 64 << 20));
      }
      if (present(a, "threads")) {
        TRIB_ASSIGN_OR_RETURN(int64_t n, integer(a["threads"], source, "admin.threads", 1, 256));
        c.threads = static_cast<int>(n);
      }
      if (present(a, "request_timeout_seconds")) {
        TRIB_ASSIGN_OR_RETURN(int64_t n, integer(a["request_timeout_seconds"], source, "admin.request_timeout_seconds", 1, 3600));
        c.requestTimeoutSeconds = static_cast<int>(n);
      }
      if (present(a, "header_timeout_seconds")) {
        TRIB_ASSIGN_OR_RETURN(int64_t n, integer(a["header_timeout_seconds"], source, "admin.header_timeout_seconds", 1, 600));
        c.headerTimeoutSeconds = static_cast<int>(n);
      }
    }
    if (present(r, "test_hooks")) {
      const YAML::Node t = r["test_hooks"];
      if (!t.IsMap()) return keyError(source, "test_hooks", "must be a mapping");
      if (present(t, "interval_divisor")) {
        TRIB_ASSIGN_OR_RETURN(c.intervalDivisor, integer(t["interval_divisor"], source, "test_hooks.interval_divisor", 1, 86400));
      }
    }
  } catch (const YAML::Exception& e) {
    return invalidArgumentError(source + ": unexpected structure under replication: " + e.what());
  }
  return c;
}

Result<std::string> ServeConfig::readToken() const {
  if (tokenFile.empty()) {
    return invalidArgumentError("replication.admin.token_file is not set: the admin API needs "
                                "a bearer token (e.g. `openssl rand -hex 32 > token`)");
  }
  std::ifstream file(tokenFile);
  std::string line;
  if (!file || !std::getline(file, line)) {
    return invalidArgumentError("replication.admin.token_file `" + tokenFile +
                                "` cannot be read");
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.pop_back();
  }
  if (line.size() < 16) {
    return invalidArgumentError("replication.admin.token_file `" + tokenFile +
                                "` holds a token shorter than 16 characters");
  }
  return line;
}

}  // namespace tributary::serve
