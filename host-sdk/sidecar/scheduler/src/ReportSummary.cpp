#include "tributary/scheduler/ReportSummary.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Timestamp.h>

#include <sstream>

namespace tributary::scheduler {
namespace {

int64_t intField(const Poco::JSON::Object::Ptr& obj, const char* name) {
  if (!obj || !obj->has(name)) return 0;
  try {
    return obj->getValue<Poco::Int64>(name);
  } catch (const Poco::Exception&) {
    return 0;
  }
}

int64_t firstOf(const Poco::JSON::Object::Ptr& obj, const char* a, const char* b) {
  if (obj && obj->has(a)) return intField(obj, a);
  return intField(obj, b);
}

}  // namespace

ReportSummary ReportSummary::parse(std::string_view reportJson) {
  ReportSummary s;
  Poco::JSON::Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    root = parser.parse(std::string(reportJson)).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return s;
  } catch (const std::exception&) {  // extract() of a non-object
    return s;
  }
  if (!root) return s;
  s.valid = true;
  try {
    if (root->has("status")) s.status = root->getValue<std::string>("status");
    auto counts = root->getObject("counts");
    s.deferred = intField(counts, "deferred");
    if (counts) {
      for (const auto& [name, value] : *counts) {
        if (s.counts.size() >= kMaxCounts) break;
        if (value.isInteger()) s.counts[name] = intField(counts, name.c_str());
      }
    }
    auto error = root->getObject("error");
    if (error && error->has("message") && error->get("message").isString()) {
      s.errorMessage = error->getValue<std::string>("message").substr(0, kMaxErrorBytes);
    }
    auto totals = root->getObject("totals");
    s.bytesFetched = firstOf(totals, "bytes", "bytes_fetched");
    s.bytesReused = intField(totals, "bytes_reused");
    s.blobsFetched = firstOf(totals, "blobs", "blobs_fetched");
    s.blobsReused = intField(totals, "blobs_reused");
    auto budget = root->getObject("budget");
    if (budget && budget->has("reset_at")) {
      const int64_t ms = parseRfc3339Ms(budget->getValue<std::string>("reset_at"));
      s.resetAtMs = ms > 0 ? ms : 0;
    }
    auto tags = root->getArray("tags");
    int64_t deferredTags = 0;
    if (tags) {
      for (size_t i = 0; i < tags->size(); ++i) {
        auto tag = tags->getObject(static_cast<unsigned>(i));
        if (!tag || !tag->has("action")) continue;
        const std::string action = tag->getValue<std::string>("action");
        ++s.tagsByAction[action];
        if (action == "deferred") ++deferredTags;
      }
    }
    if (s.deferred == 0) s.deferred = deferredTags;
  } catch (const Poco::Exception&) {
    // a field of an unexpected type: keep what was read
  }
  return s;
}

std::string ReportSummary::taskSummaryJson() const {
  if (!valid) return "";
  Poco::JSON::Object summary(Poco::JSON_PRESERVE_KEY_ORDER);
  Poco::JSON::Object::Ptr byAction = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const auto& [action, n] : counts.empty() ? tagsByAction : counts) {
    byAction->set(action, n);
  }
  summary.set("counts", byAction);
  summary.set("bytes_fetched", bytesFetched);
  summary.set("blobs_fetched", blobsFetched);
  summary.set("blobs_reused", blobsReused);
  if (!errorMessage.empty()) summary.set("error", errorMessage);
  std::ostringstream out;
  summary.stringify(out);
  return out.str();
}

int64_t parseRfc3339Ms(const std::string& text) {
  try {
    int tzd = 0;
    Poco::DateTime dt;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, dt,
                                        tzd) &&
        !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, text, dt, tzd)) {
      return -1;
    }
    dt.makeUTC(tzd);
    return dt.timestamp().epochMicroseconds() / 1000;
  } catch (const Poco::Exception&) {
    return -1;
  }
}

std::string formatRfc3339Ms(int64_t ms) {
  if (ms == 0) return "";
  Poco::Timestamp ts(static_cast<Poco::Timestamp::TimeVal>(ms) * 1000);
  return Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%S.%iZ");
}

}  // namespace tributary::scheduler
