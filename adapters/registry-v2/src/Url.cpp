#include "Url.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace tributary::registry {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool hasControlOrSpace(const std::string& s) {
  return std::any_of(s.begin(), s.end(),
                     [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

// Removes "." and ".." segments (RFC 3986 §5.2.4) from a path without a query.
std::string removeDotSegments(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  bool trailingSlash = false;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string::npos) slash = path.size();
    std::string seg = path.substr(i, slash - i);
    trailingSlash = false;
    if (seg == ".") {
      trailingSlash = true;
    } else if (seg == "..") {
      if (out.size() > 1) out.pop_back();
      trailingSlash = true;
    } else {
      out.push_back(seg);
    }
    i = slash + 1;
  }
  std::string result;
  for (size_t k = 0; k < out.size(); ++k) {
    if (k > 0) result += '/';
    result += out[k];
  }
  if (trailingSlash && (result.empty() || result.back() != '/')) result += '/';
  if (result.empty() || result.front() != '/') result.insert(result.begin(), '/');
  return result;
}

}  // namespace

Result<Url> Url::parse(const std::string& text) {
  if (hasControlOrSpace(text))
    return invalidArgumentError("URL contains spaces or control characters");
  size_t sep = text.find("://");
  if (sep == std::string::npos) return invalidArgumentError("URL `" + text + "` is not absolute");
  Url url;
  url.scheme_ = lower(text.substr(0, sep));
  if (url.scheme_ != "http" && url.scheme_ != "https")
    return invalidArgumentError("URL scheme `" + url.scheme_ + "` is not http or https");
  size_t authStart = sep + 3;
  size_t authEnd = text.find_first_of("/?#", authStart);
  std::string authority =
      text.substr(authStart, authEnd == std::string::npos ? std::string::npos : authEnd - authStart);
  if (authority.find('@') != std::string::npos)
    return invalidArgumentError("URL with user information is not accepted");
  std::string portText;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return invalidArgumentError("URL has an unclosed IPv6 host");
    url.host_ = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return invalidArgumentError("URL host is malformed");
      portText = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string::npos) {
      url.host_ = authority.substr(0, colon);
      portText = authority.substr(colon + 1);
    } else {
      url.host_ = authority;
    }
  }
  url.host_ = lower(url.host_);
  if (url.host_.empty()) return invalidArgumentError("URL `" + text + "` has no host");
  if (portText.empty()) {
    url.port_ = url.isHttps() ? 443 : 80;
  } else {
    if (portText.size() > 5 || !std::all_of(portText.begin(), portText.end(), ::isdigit))
      return invalidArgumentError("URL port `" + portText + "` is not a number");
    unsigned long p = std::stoul(portText);
    if (p == 0 || p > 65535) return invalidArgumentError("URL port " + portText + " is out of range");
    url.port_ = static_cast<uint16_t>(p);
  }
  std::string rest = authEnd == std::string::npos ? std::string() : text.substr(authEnd);
  size_t hash = rest.find('#');
  if (hash != std::string::npos) rest.resize(hash);
  if (rest.empty() || rest.front() != '/') rest.insert(rest.begin(), '/');
  url.target_ = rest;
  return url;
}

Result<Url> Url::resolve(const std::string& reference) const {
  if (hasControlOrSpace(reference))
    return invalidArgumentError("URL reference contains spaces or control characters");
  if (reference.find("://") != std::string::npos) {
    // Only treat it as absolute when the part before :// is a scheme, not a query value.
    size_t sep = reference.find("://");
    size_t firstSpecial = reference.find_first_of("/?#");
    if (firstSpecial == std::string::npos || firstSpecial > sep) return parse(reference);
  }
  if (reference.rfind("//", 0) == 0) return parse(scheme_ + ":" + reference);
  std::string ref = reference;
  size_t hash = ref.find('#');
  if (hash != std::string::npos) ref.resize(hash);
  Url out = *this;
  std::string basePath = target_.substr(0, target_.find('?'));
  if (ref.empty()) {
    out.target_ = target_;
  } else if (ref.front() == '?') {
    out.target_ = basePath + ref;
  } else {
    size_t q = ref.find('?');
    std::string refPath = ref.substr(0, q);
    std::string query = q == std::string::npos ? std::string() : ref.substr(q);
    std::string merged;
    if (refPath.front() == '/') {
      merged = refPath;
    } else {
      merged = basePath.substr(0, basePath.rfind('/') + 1) + refPath;
    }
    out.target_ = removeDotSegments(merged) + query;
  }
  return out;
}

std::string Url::authority() const {
  std::string h = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  bool defaultPort = (isHttps() && port_ == 443) || (!isHttps() && port_ == 80);
  return defaultPort ? h : h + ":" + std::to_string(port_);
}

std::string Url::origin() const { return scheme_ + "://" + authority(); }

}  // namespace tributary::registry
