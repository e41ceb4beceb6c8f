#include "tributary/sync/FailureReport.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/JsonWriter.h"

namespace tributary::sync {

using plugin::JsonWriter;

namespace {

std::string field(const Poco::JSON::Object::Ptr& object, const char* key) {
  if (object.isNull() || !object->has(key) || !object->get(key).isString()) return "";
  return object->getValue<std::string>(key);
}

}  // namespace

std::string FailureReport::build(const std::string& ruleJson, bool dryRun, rp_status code,
                                 const std::string& message) {
  std::string name, type, registry, repository, destination;
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(ruleJson);
    if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
      auto rule = parsed.extract<Poco::JSON::Object::Ptr>();
      name = field(rule, "name");
      auto source = rule->getObject("source");
      type = field(source, "type");
      registry = field(source, "domain");
      repository = field(source, "repository");
      destination = field(rule->getObject("destination"), "repository");
    }
  } catch (const std::exception&) {
    // an unreadable rule is what the error says; its fields stay empty
  }
  if (registry.empty()) {
    if (type == "dockerhub") registry = "registry-1.docker.io";  // as the provider names it
    if (type == "gcr") registry = "gcr.io";
    if (type == "quay") registry = "quay.io";
  }
  const auto quote = JsonWriter::quote;
  std::string out = "{\"schema_version\":1,\"rule\":" + quote(name) +
                    ",\"source\":{\"type\":" + quote(type) +
                    ",\"registry\":" + quote(registry) +
                    ",\"repository\":" + quote(repository) +
                    "},\"destination\":{\"repository\":" + quote(destination) +
                    "},\"dry_run\":" + (dryRun ? "true" : "false") +
                    ",\"status\":\"failed\",\"error\":{\"code\":" + quote(rp_status_str(code)) +
                    ",\"message\":" + quote(message) + "},\"counts\":{";
  const char* counts[] = {"synced",  "unchanged", "kept",           "skipped",
                          "deferred", "failed",   "beyond_latest_n", "excluded_by_regex"};
  for (size_t i = 0; i < std::size(counts); ++i) {
    out += std::string(i ? "," : "") + "\"" + counts[i] + "\":0";
  }
  out += "},\"totals\":{";
  const char* totals[] = {"bytes",        "blobs",        "blobs_reused", "duration_ms",
                          "ranged_blobs", "ranged_bytes", "mirror_blobs", "mirror_bytes"};
  for (size_t i = 0; i < std::size(totals); ++i) {
    out += std::string(i ? "," : "") + "\"" + totals[i] + "\":0";
  }
  out += "},\"notes\":[],\"tags\":[]}";
  return out;
}

}  // namespace tributary::sync
