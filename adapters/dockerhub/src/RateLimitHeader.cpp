#include "tributary/dockerhub/RateLimitHeader.h"

#include <cctype>

namespace tributary::dockerhub {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::optional<int64_t> wholeNumber(const std::string& s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::stoll(s);
}

}  // namespace

std::optional<RateLimitHeader> RateLimitHeader::parse(const std::string& value) {
  // A repeated header arrives joined by ", " (HttpTransport): the first one counts.
  std::string first = value.substr(0, value.find(','));
  size_t semi = first.find(';');
  auto count = wholeNumber(trim(first.substr(0, semi)));
  if (!count) return std::nullopt;
  RateLimitHeader h;
  h.count = *count;
  while (semi != std::string::npos) {
    size_t next = first.find(';', semi + 1);
    std::string param = trim(first.substr(semi + 1, next == std::string::npos ? std::string::npos
                                                                              : next - semi - 1));
    if (param.rfind("w=", 0) == 0) h.windowSeconds = wholeNumber(param.substr(2));
    semi = next;
  }
  return h;
}

}  // namespace tributary::dockerhub
