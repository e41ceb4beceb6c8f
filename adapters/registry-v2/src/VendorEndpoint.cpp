#include "tributary/registry/VendorEndpoint.h"

#include <algorithm>
#include <cctype>

namespace tributary::registry {

Result<VendorEndpoint> VendorEndpoint::parse(const std::string& url, const std::string& what) {
  VendorEndpoint e;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
    e.plainHttp = true;
  } else {
    return invalidArgumentError(what + " `" + url + "` must start with https:// (or http://)");
  }
  std::string host = rest.substr(0, rest.find('/'));
  std::string path = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/'));
  if (host.empty() || host.find_first_of("@?# ") != std::string::npos)
    return invalidArgumentError(what + " `" + url + "` must be scheme://host[:port]");
  if (!path.empty() && path != "/")
    return invalidArgumentError(what + " `" + url + "` must not carry a path (" + path + ")");
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  e.host = host;
  e.origin = (e.plainHttp ? "http://" : "https://") + host;
  return e;
}

Result<std::string> VendorEndpoint::targetOf(const std::string& link) const {
  if (!link.empty() && link.front() == '/' && link.rfind("//", 0) != 0) return link;
  // Default ports written out are the same origin.
  std::string base = origin;
  std::string withPort = origin + (plainHttp ? ":80" : ":443");
  for (const std::string& prefix : {base, withPort}) {
    if (link.size() > prefix.size() && link.compare(0, prefix.size(), prefix) == 0 &&
        link[prefix.size()] == '/')
      return link.substr(prefix.size());
  }
  return permissionDeniedError("next-page link `" + link.substr(0, 200) + "` leaves " + origin +
                               "; refused");
}

}  // namespace tributary::registry
