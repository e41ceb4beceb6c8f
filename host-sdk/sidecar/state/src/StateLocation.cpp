#include "tributary/state/StateLocation.h"

namespace tributary::state {
namespace {

// libpq's conninfo quoting: single quotes, backslash escapes quote and backslash.
std::string quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// %XX in a URL part (user names and database names may need them).
Result<std::string> percentDecoded(const std::string& text, const std::string& what) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      return invalidArgumentError("the " + what + " has a bad %-escape");
    }
    out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

}  // namespace

bool StateLocation::looksLikeUrl(const std::string& text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0 ||
         text.find("://") != std::string::npos;
}

Result<StateLocation> StateLocation::parse(const std::string& text) {
  StateLocation loc;
  loc.display_ = text;
  if (!looksLikeUrl(text)) {
    loc.kind_ = Kind::kSqlite;
    loc.sqlitePath_ = text;
    return loc;
  }
  const std::string scheme = text.substr(0, text.find("://"));
  if (scheme != "postgresql" && scheme != "postgres") {
    return invalidArgumentError("must be a SQLite path or postgresql://user@host[:port]/dbname, "
                                "got a `" + scheme + "://` URL");
  }
  loc.kind_ = Kind::kPostgres;
  std::string rest = text.substr(scheme.size() + 3);
  if (rest.find('?') != std::string::npos) {
    return invalidArgumentError("takes no URL parameters (postgresql://user@host[:port]/dbname)");
  }
  const auto at = rest.rfind('@');
  if (at == std::string::npos || at == 0) {
    return invalidArgumentError("needs a user: postgresql://user@host[:port]/dbname");
  }
  std::string userPart = rest.substr(0, at);
  if (userPart.find(':') != std::string::npos) {
    // Cut the display at the user so the password never reaches a log or an error.
    loc.display_.clear();
    return invalidArgumentError("must not carry a password (it would show in logs and "
                                "process listings): put it in replication.state_passfile");
  }
  TRIB_ASSIGN_OR_RETURN(loc.user_, percentDecoded(userPart, "user"));
  rest = rest.substr(at + 1);
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash + 1 >= rest.size()) {
    return invalidArgumentError("needs a database: postgresql://user@host[:port]/dbname");
  }
  std::string hostPort = rest.substr(0, slash);
  TRIB_ASSIGN_OR_RETURN(loc.dbname_, percentDecoded(rest.substr(slash + 1), "database name"));
  if (hostPort.empty()) return invalidArgumentError("needs a host: postgresql://user@host[:port]/dbname");
  if (hostPort.front() == '[') {  // [IPv6]:port
    const auto close = hostPort.find(']');
    if (close == std::string::npos) return invalidArgumentError("has an unclosed `[` in its host");
    loc.host_ = hostPort.substr(1, close - 1);
    hostPort = hostPort.substr(close + 1);
    if (!hostPort.empty() && hostPort.front() != ':') {
      return invalidArgumentError("has text after the `]` of its host");
    }
  } else {
    const auto colon = hostPort.find(':');
    loc.host_ = hostPort.substr(0, colon);
    hostPort = colon == std::string::npos ? "" : hostPort.substr(colon);
  }
  if (!hostPort.empty()) {
    const std::string port = hostPort.substr(1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
        std::stoi(port) > 65535) {
      return invalidArgumentError("has a bad port `" + port + "` (1..65535)");
    }
    loc.port_ = std::stoi(port);
  }
  TRIB_ASSIGN_OR_RETURN(loc.host_, percentDecoded(loc.host_, "host"));
  TRIB_RETURN_IF_ERROR(checkConnectionValue(loc.host_, "its host"));
  TRIB_RETURN_IF_ERROR(checkConnectionValue(loc.user_, "its user"));
  TRIB_RETURN_IF_ERROR(checkConnectionValue(loc.dbname_, "its database name"));
  return loc;
}

Status StateLocation::checkConnectionValue(const std::string& value, const std::string& what) {
  for (char c : value) {
    if (isspace(static_cast<unsigned char>(c))) {
      return invalidArgumentError(what + " must not contain whitespace (Poco's PostgreSQL "
                                  "connector cannot pass it to libpq)");
    }
  }
  return Status();
}

std::string StateLocation::postgresConnectionString(const std::string& passfile) const {
  std::string s = "host=" + quoted(host_) + " port=" + std::to_string(port_) +
                  " user=" + quoted(user_) + " dbname=" + quoted(dbname_) +
                  " application_name=tributary-serve connect_timeout=10";
  if (!passfile.empty()) s += " passfile=" + quoted(passfile);
  return s;
}

}  // namespace tributary::state
