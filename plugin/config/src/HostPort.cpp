#include "tributary/plugin/config/HostPort.h"

namespace tributary::plugin {
namespace {

bool isAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

Result<std::string> HostPort::normalise(std::string_view text, std::string_view whatView) {
  const std::string what(whatView);
  const std::string quoted = "`" + std::string(text) + "`";
  if (text.empty()) return invalidArgumentError(what + " is empty; expected host[:port]");
  std::string s(text);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (s.find("://") != std::string::npos)
    return invalidArgumentError(what + " " + quoted +
                                " must not include a scheme; expected host[:port]");
  if (s.find_first_of("/?#@ ") != std::string::npos)
    return invalidArgumentError(what + " " + quoted +
                                " may not contain a path, query, user info or spaces; expected host[:port]");
  std::string host;
  std::string port;
  if (s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos)
      return invalidArgumentError(what + " " + quoted + " has an unclosed `[`");
    host = s.substr(1, close - 1);
    if (host.empty() || host.find_first_not_of("0123456789abcdef:.") != std::string::npos ||
        host.find(':') == std::string::npos)
      return invalidArgumentError(what + " " + quoted + " has an invalid IPv6 address");
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':')
        return invalidArgumentError(what + " " + quoted + ": expected `:port` after `]`");
      port = s.substr(close + 2);
      if (port.empty()) return invalidArgumentError(what + " " + quoted + " has an empty port");
    }
  } else {
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    if (colon != std::string::npos) {
      port = s.substr(colon + 1);
      if (port.empty()) return invalidArgumentError(what + " " + quoted + " has an empty port");
      if (port.find(':') != std::string::npos)
        return invalidArgumentError(what + " " + quoted +
                                    " has more than one `:`; write IPv6 addresses as [addr]:port");
    }
    if (host.empty()) return invalidArgumentError(what + " " + quoted + " has an empty host");
    if (host.size() > 253)
      return invalidArgumentError(what + " " + quoted + " host is longer than 253 characters");
    size_t start = 0;
    while (true) {
      size_t dot = host.find('.', start);
      std::string label = host.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (label.empty())
        return invalidArgumentError(what + " " + quoted + " has an empty DNS label");
      if (label.size() > 63)
        return invalidArgumentError(what + " " + quoted + " has a DNS label longer than 63 characters");
      for (char c : label)
        if (!isAlnum(c) && c != '-')
          return invalidArgumentError(what + " " + quoted + " contains `" + std::string(1, c) +
                                      "`; host names may only contain [a-z0-9.-]");
      if (label.front() == '-' || label.back() == '-')
        return invalidArgumentError(what + " " + quoted +
                                    " has a DNS label starting or ending with `-`");
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535)
      return invalidArgumentError(what + " " + quoted + " has port `" + port +
                                  "`; expected a number 1..65535");
  }
  return s;
}

}  // namespace tributary::plugin
