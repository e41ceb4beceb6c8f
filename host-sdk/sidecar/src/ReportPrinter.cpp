#include "tributary/sidecar/ReportPrinter.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <ostream>
#include <utility>
#include <vector>

#include "tributary/sidecar/ProgressBar.h"

namespace tributary::sidecar {
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

// Left-aligned columns, two spaces apart, no trailing spaces.
void printTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

// "2 tags: 1 synced, 1 unchanged" with actions in order of first appearance.
std::string actionSummary(const std::vector<std::string>& actions) {
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& action : actions) {
    const std::string name = action.empty() ? "?" : action;
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == name; });
    if (it == counts.end()) {
      counts.emplace_back(name, 1);
    } else {
      ++it->second;
    }
  }
  std::string summary = std::to_string(actions.size()) + (actions.size() == 1 ? " tag" : " tags");
  for (size_t i = 0; i < counts.size(); ++i) {
    summary += (i == 0 ? ": " : ", ") + std::to_string(counts[i].second) + " " + counts[i].first;
  }
  return summary;
}

std::string blobs(uint64_t n) { return std::to_string(n) + (n == 1 ? " blob" : " blobs"); }

// The tag rows and the list of actions, reading `columns` from each tag object.
void collectTags(const Object::Ptr& root, const std::vector<std::string>& header,
                 const std::vector<std::string>& keys,
                 std::vector<std::vector<std::string>>& rows, std::vector<std::string>& actions) {
  rows.push_back(header);
  Poco::JSON::Array::Ptr tags = root->getArray("tags");  // null when absent or not an array
  if (tags.isNull()) return;
  for (size_t i = 0; i < tags->size(); ++i) {
    Object::Ptr tag = tags->getObject(static_cast<unsigned>(i));
    if (tag.isNull()) continue;
    std::vector<std::string> row;
    for (const auto& key : keys) {
      std::string value = text(tag, key);
      if (key == "digest") value = ReportPrinter::shortDigest(value);
      if (key == "reason") {  // keep the table one line per tag
        for (char& c : value) {
          if (c == '\n') c = ' ';
        }
      }
      row.push_back(value.empty() && key != "reason" ? "-" : value);
    }
    rows.push_back(std::move(row));
    actions.push_back(text(tag, "action"));
  }
}


// Vendor sources: the run-level notes and, for Docker Hub, the pull budget, one line each.
void printNotesAndBudget(std::ostream& out, const Object::Ptr& doc) {
  if (auto notes = doc->getArray("notes")) {
    for (size_t i = 0; i < notes->size(); ++i) {
      auto v = notes->get(static_cast<unsigned>(i));
      if (v.isString()) out << "note: " << v.convert<std::string>() << '\n';
    }
  }
  Object::Ptr budget = doc->getObject("budget");
  if (!budget) return;
  auto needed = number(budget, "pulls_needed");
  auto remaining = number(budget, "remaining");
  auto limit = number(budget, "limit");
  out << "Docker Hub pulls: " << (needed ? std::to_string(*needed) : std::string("?"))
      << " needed";
  if (remaining && limit)
    out << ", " << *remaining << " of " << *limit << " remaining";
  else
    out << " (no rate limit announced)";
  const std::string reset = text(budget, "reset_at");
  if (!reset.empty()) out << "; window resets by " << reset;
  out << '\n';
}

}  // namespace

std::string ReportPrinter::shortDigest(const std::string& digest) {
  const auto colon = digest.find(':');
  if (colon == std::string::npos || digest.size() <= colon + 1 + 12) return digest;
  return digest.substr(0, colon + 1 + 12);
}

Status ReportPrinter::printReport(std::ostream& out, std::string_view reportJson) {
  TRIB_ASSIGN_OR_RETURN(Object::Ptr report, parseObject(reportJson, "report"));
  const std::string rule = text(report, "rule");
  const std::string status = text(report, "status");
  out << "rule " << (rule.empty() ? "(unnamed)" : rule) << ": "
      << (status.empty() ? "finished" : status) << '\n';

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> actions;
  collectTags(report, {"TAG", "ACTION", "DIGEST", "REASON"}, {"tag", "action", "digest", "reason"},
              rows, actions);
  if (rows.size() > 1) printTable(out, rows);

  std::string totals = actionSummary(actions);
  Object::Ptr sums = report->getObject("totals");  // null when absent
  if (auto bytes = number(sums, "bytes_fetched")) {
    totals += "; fetched " + formatBytes(*bytes);
    if (auto fetched = number(sums, "blobs_fetched")) totals += " in " + blobs(*fetched);
  } else if (auto fetched = number(sums, "blobs_fetched")) {
    totals += "; fetched " + blobs(*fetched);
  }
  if (auto reused = number(sums, "blobs_reused")) totals += ", " + blobs(*reused) + " reused";
  if (auto ms = number(sums, "duration_ms")) {
    char duration[32];
    std::snprintf(duration, sizeof(duration), "%.1f s", *ms / 1000.0);
    totals += "; " + std::string(duration);
  }
  out << totals << '\n';
  printNotesAndBudget(out, report);
  return Status();
}

Status ReportPrinter::printPlan(std::ostream& out, std::string_view planJson) {
  TRIB_ASSIGN_OR_RETURN(Object::Ptr plan, parseObject(planJson, "plan"));
  const std::string rule = text(plan, "rule");
  out << "plan for rule " << (rule.empty() ? "(unnamed)" : rule)
      << " (dry run: nothing written)\n";

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> actions;
  collectTags(plan, {"TAG", "ACTION", "DIGEST", "PUSHED", "REASON"},
              {"tag", "action", "digest", "pushed_at", "reason"}, rows, actions);
  if (rows.size() > 1) printTable(out, rows);

  std::string totals = actionSummary(actions);
  Object::Ptr sums = plan->getObject("totals");  // null when absent
  if (auto bytes = number(sums, "bytes_to_fetch")) {
    totals += "; to fetch " + formatBytes(*bytes);
    if (auto fetch = number(sums, "blobs_to_fetch")) totals += " in " + blobs(*fetch);
  } else if (auto fetch = number(sums, "blobs_to_fetch")) {
    totals += "; to fetch " + blobs(*fetch);
  }
  if (auto reused = number(sums, "blobs_reused")) totals += ", " + blobs(*reused) + " reused";
  out << totals << '\n';
  printNotesAndBudget(out, plan);
  return Status();
}

}  // namespace tributary::sidecar
