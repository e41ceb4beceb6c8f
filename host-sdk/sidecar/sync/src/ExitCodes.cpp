#include "tributary/sync/ExitCodes.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

namespace tributary::sync {

int exitCodeForRunFailure(rp_status status, std::string_view message) {
  switch (status) {
    case RP_OK:
      return kExitSucceeded;
    case RP_ERR_IO:  // local storage
      return kExitStorageUnusable;
    case RP_ERR_INVALID_ARGUMENT:
    case RP_ERR_ALREADY_EXISTS:
    case RP_ERR_UNIMPLEMENTED:  // e.g. a source type this build cannot sync yet
    case RP_ERR_INCOMPATIBLE:
      return kExitBadInput;
    case RP_ERR_PERMISSION_DENIED:
      // The address policy refuses before connecting: the configuration says no. A 403 from
      // the source is the source refusing to be read.
      return message.find("refusing to connect") != std::string_view::npos ? kExitBadInput
                                                                          : kExitFailed;
    case RP_ERR_NOT_FOUND:  // the source repository (credentials are checked by the host first)
    case RP_ERR_FAILED_PRECONDITION:  // e.g. the source's TLS certificate is not trusted
    default:
      return kExitFailed;
  }
}

int exitCodeForValidation(rp_status status) {
  if (status == RP_OK) return kExitSucceeded;
  if (rp_status_classify(status) == RP_CLASS_INPUT || status == RP_ERR_UNIMPLEMENTED) {
    return kExitBadInput;
  }
  return kExitFailed;  // a provider fault, or a status this host does not know
}

rp_status statusFromName(std::string_view name) {
  for (int value = 0; value < 400; ++value) {
    const auto status = static_cast<rp_status>(value);
    const std::string_view known = rp_status_str(status);
    if (known == name && known != "RP_ERR_UNKNOWN") return status;
  }
  return RP_ERR_INTERNAL;
}

int exitCodeForReport(std::string_view reportJson) {
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(std::string(reportJson));
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) return kExitFailed;
    auto report = parsed.extract<Poco::JSON::Object::Ptr>();
    if (report.isNull()) return kExitFailed;
    if (auto error = report->getObject("error")) {
      const std::string code = error->has("code") ? error->getValue<std::string>("code") : "";
      const std::string message =
          error->has("message") ? error->getValue<std::string>("message") : "";
      const int exit = exitCodeForRunFailure(statusFromName(code), message);
      return exit == kExitSucceeded ? kExitFailed : exit;
    }
    const std::string status = report->has("status") && report->get("status").isString()
                                   ? report->getValue<std::string>("status")
                                   : "";
    if (status == "failed") return kExitFailed;
    if (auto counts = report->getObject("counts")) {
      // Schema 1: "partial" also covers deferred tags, which are no failure.
      if (counts->has("failed") && counts->get("failed").isInteger() &&
          counts->getValue<int64_t>("failed") > 0) {
        return kExitFailed;
      }
    } else if (status == "partial") {
      return kExitFailed;  // the earlier shape: partial means some tag failed
    }
    if (auto tags = report->getArray("tags")) {
      for (size_t i = 0; i < tags->size(); ++i) {
        auto tag = tags->getObject(static_cast<unsigned>(i));
        if (tag && tag->has("action") && tag->get("action").isString() &&
            tag->getValue<std::string>("action") == "failed") {
          return kExitFailed;
        }
      }
    }
    return kExitSucceeded;
  } catch (const std::exception&) {  // Poco::Exception and bad casts alike
    return kExitFailed;
  }
}

}  // namespace tributary::sync
