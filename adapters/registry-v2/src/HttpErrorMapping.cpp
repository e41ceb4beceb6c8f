#include "HttpErrorMapping.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>

namespace tributary::registry {

namespace {
std::string clip(const std::string& s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  if (s.size() > max) out += "...";
  return out;
}
}  // namespace

std::string HttpErrorMapping::registryErrors(const std::string& body) {
  if (body.empty() || body.size() > 65536) return "";
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    auto errors = root ? root->getArray("errors") : nullptr;
    if (!errors) return "";
    std::string out;
    for (size_t i = 0; i < errors->size() && i < 5; ++i) {
      auto e = errors->getObject(static_cast<unsigned>(i));
      if (!e) continue;
      if (!out.empty()) out += "; ";
      std::string code = e->optValue<std::string>("code", "");
      std::string message = e->optValue<std::string>("message", "");
      out += clip(code, 64);
      if (!message.empty()) out += (code.empty() ? "" : ": ") + clip(message, 300);
    }
    return out;
  } catch (...) {
    return "";
  }
}

Status HttpErrorMapping::fromHttpStatus(int status, const std::string& reason,
                                        const std::string& body, const std::string& context) {
  std::string message = context + ": HTTP " + std::to_string(status);
  if (!reason.empty()) message += " " + clip(reason, 80);
  std::string details = registryErrors(body);
  if (!details.empty()) message += " (" + details + ")";
  if (status == 401) return unauthenticatedError(message);
  if (status == 403) return permissionDeniedError(message);
  if (status == 404) return notFoundError(message);
  if (status == 408) return deadlineExceededError(message);
  if (status == 429) return resourceExhaustedError(message);
  if (status >= 500) return unavailableError(message);
  return failedPreconditionError(message);
}

bool HttpErrorMapping::looksLikePlainHttp(const std::string& errorText) {
  // OpenSSL's reading of an HTTP reply ("HTTP/1.1 400 ...") where a TLS record was expected.
  for (const char* needle : {"wrong version number", "http request", "unknown protocol",
                             "packet length too long"}) {
    if (errorText.find(needle) != std::string::npos) return true;
  }
  return false;
}

Status HttpErrorMapping::fromException(const std::exception& e, const std::string& context,
                                       const std::string& httpsHost) {
  if (auto* pe = dynamic_cast<const Poco::Exception*>(&e)) {
    std::string text = pe->displayText();
    if (!httpsHost.empty() && looksLikePlainHttp(text)) {
      text += "; the server may speak plain HTTP; if so, list `" + httpsHost +
              "` in insecure_registries";
    }
    if (dynamic_cast<const Poco::TimeoutException*>(pe))
      return deadlineExceededError(context + ": timed out (" + text + ")");
    if (dynamic_cast<const Poco::Net::CertificateValidationException*>(pe) ||
        dynamic_cast<const Poco::Net::InvalidCertificateException*>(pe) ||
        text.find("certificate verify failed") != std::string::npos)
      return failedPreconditionError(context + ": TLS certificate not trusted (" + text +
                                     "); configure a CA file for this source");
    return unavailableError(context + ": " + text);
  }
  return unavailableError(context + ": " + e.what());
}

}  // namespace tributary::registry
