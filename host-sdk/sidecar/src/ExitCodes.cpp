#include "tributary/sidecar/ExitCodes.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

namespace tributary::sidecar {

int exitCodeForExecute(rp_status status, std::string_view reportJson) {
  if (status != RP_OK) return kExitFailed;
  try {
    Poco::JSON::Parser parser;
    auto report = parser.parse(std::string(reportJson)).extract<Poco::JSON::Object::Ptr>();
    if (report.isNull()) return kExitFailed;
    const std::string status =
        report->has("status") ? report->getValue<std::string>("status") : std::string();
    bool anyDeferred = false;
    if (auto tags = report->getArray("tags")) {
      for (size_t i = 0; i < tags->size(); ++i) {
        auto tag = tags->getObject(static_cast<unsigned>(i));
        if (!tag || !tag->has("action") || !tag->get("action").isString()) continue;
        const std::string action = tag->getValue<std::string>("action");
        if (action == "failed") return kExitFailed;
        anyDeferred = anyDeferred || action == "deferred";
      }
    }
    // "partial" with deferred tags and none failed: the pull budget ran out and they sync on a
    // run after the window resets. Not a failure.
    if (!status.empty() && status != "succeeded" && !(status == "partial" && anyDeferred))
      return kExitFailed;
    return kExitSucceeded;
  } catch (const std::exception&) {  // Poco::Exception and bad casts alike
    return kExitFailed;
  }
}

int exitCodeForPlan(rp_status status) { return exitCodeForValidation(status); }

int exitCodeForValidation(rp_status status) {
  if (status == RP_OK) return kExitSucceeded;
  return rp_status_classify(status) == RP_CLASS_INPUT ? kExitBadInput : kExitFailed;
}

}  // namespace tributary::sidecar
