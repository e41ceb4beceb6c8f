#include "tributary/sync/ReportPrinter.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <ostream>
#include <utility>
#include <vector>

#include "tributary/sync/ProgressBar.h"

namespace tributary::sync {
namespace {

using Poco::JSON::Object;

// Field accessors that tolerate absent or oddly typed fields.
std::string text(const Object::Ptr& object, const std::string& key) {
  if (object.isNull() || !object->has(key)) return "";
  const Poco::Dynamic::Var value = object->get(key);
  if (value.isEmpty()) return "";
  try {
    return value.convert<std::string>();
  } catch (const std::exception&) {
    return "";
  }
}

// The first of `keys` that is present and not empty.
std::string firstText(const Object::Ptr& object, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    std::string value = text(object, key);
    if (!value.empty()) return value;
  }
  return "";
}

std::optional<uint64_t> number(const Object::Ptr& object, const std::string& key) {
  if (object.isNull() || !object->has(key)) return std::nullopt;
  const Poco::Dynamic::Var value = object->get(key);
  if (value.isEmpty() || value.isString()) return std::nullopt;
  try {
    return value.convert<uint64_t>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<uint64_t> firstNumber(const Object::Ptr& object,
                                    std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (auto value = number(object, key)) return value;
  }
  return std::nullopt;
}

Result<Object::Ptr> parseObject(std::string_view json, const char* what) {
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(std::string(json));
    if (parsed.type() == typeid(Object::Ptr)) {
      Object::Ptr object = parsed.extract<Object::Ptr>();
      if (!object.isNull()) return object;
    }
    return invalidArgumentError(std::string("the provider's ") + what + " is not a JSON object");
  } catch (const std::exception& e) {
    return invalidArgumentError(std::string("the provider's ") + what +
                                " is not valid JSON: " + e.what());
  }
}

// Characters on screen: UTF-8 continuation bytes take no column ("→" is one).
size_t displayWidth(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Left-aligned columns, two spaces apart, no trailing spaces.
void printTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], displayWidth(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - displayWidth(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

std::string blobs(uint64_t n) { return std::to_string(n) + (n == 1 ? " blob" : " blobs"); }

// Schema order of the actions, for the summary line.
const char* const kActions[] = {"synced",   "unchanged", "kept",            "skipped",
                                "deferred", "failed",    "beyond_latest_n", "excluded_by_regex"};

// "pushed" for schema 1's timestamp_kind; the earlier shape said timestamp_source.
std::string timestampKind(const Object::Ptr& tag) {
  std::string kind = text(tag, "timestamp_kind");
  if (!kind.empty()) return kind;
  const std::string source = text(tag, "timestamp_source");
  if (source.find("created") != std::string::npos) return "created";
  if (source.find("upload") != std::string::npos) return "uploaded";
  if (source.find("push") != std::string::npos) return "pushed";
  return "";
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return s;
}

std::string oneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

std::string ReportPrinter::shortDigest(const std::string& digest) {
  const auto colon = digest.find(':');
  if (colon == std::string::npos || digest.size() <= colon + 1 + 12) return digest;
  return digest.substr(0, colon + 1 + 12);
}

Status ReportPrinter::print(std::ostream& out, std::string_view json, Options options) {
  TRIB_ASSIGN_OR_RETURN(Object::Ptr report,
                        parseObject(json, options.dryRun ? "plan" : "report"));
  const std::string rule = text(report, "rule");
  const std::string status = text(report, "status");
  if (options.dryRun) {
    out << "plan for rule " << (rule.empty() ? "(unnamed)" : rule)
        << " (dry run: nothing written)";
    if (status == "failed" || status == "partial") out << ": " << status;
    out << '\n';
  } else {
    out << "rule " << (rule.empty() ? "(unnamed)" : rule) << ": "
        << (status.empty() ? "finished" : status) << '\n';
  }
  if (Object::Ptr error = report->getObject("error")) {
    out << "error: " << text(error, "code") << ": " << text(error, "message") << '\n';
  }

  // Tags: the rows to show and every action (for the summary when there are no counts).
  struct Row {
    std::string tag, action, digest, timestamp, kind, reason;
  };
  std::vector<Row> rows;
  std::vector<std::string> actions;
  size_t hidden = 0;
  if (Poco::JSON::Array::Ptr tags = report->getArray("tags")) {
    for (size_t i = 0; i < tags->size(); ++i) {
      Object::Ptr tag = tags->getObject(static_cast<unsigned>(i));
      if (tag.isNull()) continue;
      Row row;
      row.tag = text(tag, "tag");
      row.action = text(tag, "action");
      actions.push_back(row.action);
      if (row.action == "excluded_by_regex" && !options.verbose) {
        ++hidden;
        continue;
      }
      const std::string source = firstText(tag, {"source_digest", "digest"});
      const std::string chosen = text(tag, "chosen_digest");
      const std::string destination = text(tag, "destination_digest");
      row.digest = shortDigest(source);
      if (!chosen.empty() && chosen != source) {
        std::string platform = text(tag, "platform");
        if (platform.empty()) platform = options.platform;
        row.digest = (platform.empty() ? shortDigest(source) : platform) + " → " +
                     shortDigest(chosen);
      }
      row.timestamp = firstText(tag, {"timestamp", "pushed_at"});
      row.kind = timestampKind(tag);
      row.reason = oneLine(text(tag, "reason"));
      if (row.action == "kept") {
        // The action column already says kept; what the reader needs is both digests.
        if (row.reason.rfind("kept: ", 0) == 0) row.reason.erase(0, 6);
        if (!destination.empty()) {
          row.reason += std::string(row.reason.empty() ? "" : "; ") + "destination has " +
                        shortDigest(destination);
        }
        const std::string hint = " (set destination.overwrite: true to replace it)";
        // The provider's reason may carry the hint already; say it once, at the end.
        if (const auto at = row.reason.find(hint); at != std::string::npos) {
          row.reason.erase(at, hint.size());
        }
        row.reason += hint;
      }
      rows.push_back(std::move(row));
    }
  }

  if (!rows.empty()) {
    // The time column is named for what the times are.
    std::string kind;
    bool mixed = false;
    for (const Row& row : rows) {
      if (row.kind.empty()) continue;
      if (kind.empty()) kind = row.kind;
      mixed = mixed || row.kind != kind;
    }
    const bool sameKind = !mixed && !kind.empty();
    std::vector<std::vector<std::string>> table;
    table.push_back({"TAG", "ACTION", "DIGEST", sameKind ? upper(kind) : "TIME", "REASON"});
    for (const Row& row : rows) {
      std::string time = row.timestamp;
      if (!sameKind && !time.empty() && !row.kind.empty()) time += " (" + row.kind + ")";
      table.push_back({row.tag.empty() ? "-" : row.tag, row.action.empty() ? "-" : row.action,
                       row.digest.empty() ? "-" : row.digest, time.empty() ? "-" : time,
                       row.reason});
    }
    printTable(out, table);
  }

  // Summary: schema 1's counts, else counted from the tags.
  std::vector<std::pair<std::string, uint64_t>> counted;
  uint64_t total = 0;
  if (Object::Ptr counts = report->getObject("counts")) {
    for (const char* action : kActions) {
      const uint64_t n = number(counts, action).value_or(0);
      total += n;
      if (n > 0) counted.emplace_back(action, n);
    }
  } else {
    for (const auto& action : actions) {
      const std::string name = action.empty() ? "?" : action;
      auto it = std::find_if(counted.begin(), counted.end(),
                             [&](const auto& c) { return c.first == name; });
      if (it == counted.end()) {
        counted.emplace_back(name, 1);
      } else {
        ++it->second;
      }
      ++total;
    }
  }
  std::string summary = std::to_string(total) + (total == 1 ? " tag" : " tags");
  for (size_t i = 0; i < counted.size(); ++i) {
    summary += (i == 0 ? ": " : ", ") + std::to_string(counted[i].second) + " " + counted[i].first;
  }
  Object::Ptr sums = report->getObject("totals");  // null when absent
  const char* verb = options.dryRun ? "to fetch " : "fetched ";
  auto bytes = firstNumber(sums, {"bytes", "bytes_fetched", "bytes_to_fetch"});
  auto fetched = firstNumber(sums, {"blobs", "blobs_fetched", "blobs_to_fetch"});
  if (bytes) {
    summary += "; " + std::string(verb) + formatBytes(*bytes);
    if (fetched) summary += " in " + blobs(*fetched);
  } else if (fetched) {
    summary += "; " + std::string(verb) + blobs(*fetched);
  }
  if (auto reused = number(sums, "blobs_reused")) summary += ", " + blobs(*reused) + " reused";
  if (auto ms = number(sums, "duration_ms"); ms && !options.dryRun) {
    char duration[32];
    std::snprintf(duration, sizeof(duration), "%.1f s", *ms / 1000.0);
    summary += "; " + std::string(duration);
  }
  out << summary << '\n';
  if (hidden > 0) {
    out << hidden << (hidden == 1 ? " tag does" : " tags do")
        << " not match policy.tag_regex (--verbose lists them)\n";
  }
  if (Poco::JSON::Array::Ptr notes = report->getArray("notes")) {
    for (size_t i = 0; i < notes->size(); ++i) {
      const Poco::Dynamic::Var note = notes->get(static_cast<unsigned>(i));
      if (note.isString()) out << "note: " << oneLine(note.convert<std::string>()) << '\n';
    }
  }
  if (Object::Ptr budget = report->getObject("budget")) {
    std::string line = "Docker Hub pull budget:";
    auto remaining = number(budget, "remaining");
    auto limit = number(budget, "limit");
    if (remaining && limit) {
      line += " " + std::to_string(*remaining) + " of " + std::to_string(*limit) + " left";
    }
    if (auto window = number(budget, "window_seconds")) {
      line += " per " + (*window >= 3600 && *window % 3600 == 0
                             ? std::to_string(*window / 3600) + " h"
                             : std::to_string(*window) + " s");
    }
    const std::string reset = text(budget, "reset_at");
    if (!reset.empty()) line += ", resets " + reset;
    if (auto needed = number(budget, "pulls_needed")) {
      line += "; this run needs " + std::to_string(*needed);
    }
    out << line << '\n';
  }
  if (!options.publishing.empty()) out << "publish: " << options.publishing << '\n';
  return Status();
}

}  // namespace tributary::sync
