#include "tributary/cli/ClientCommand.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "tributary/cli/ApiClient.h"
#include "tributary/serve/ServeConfig.h"
#include "tributary/sync/ProgressBar.h"
#include "tributary/sync/ReportPrinter.h"

namespace tributary::cli {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kBadInput = 2;
constexpr int kStorage = 3;

using Poco::JSON::Object;

struct Options {
  std::string config, addr, tokenFile, caFile, file, rule, status;
  int limit = 20;
  bool json = false, wait = false;
  std::vector<std::string> positional;
};

Object::Ptr parseObject(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Object::Ptr>();
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::string field(const Object::Ptr& obj, const std::string& name) {
  if (!obj || !obj->has(name) || obj->get(name).isEmpty()) return "";
  return obj->get(name).convert<std::string>();
}

int64_t number(const Object::Ptr& obj, const std::string& name) {
  if (!obj || !obj->has(name) || obj->get(name).isEmpty()) return 0;
  return obj->get(name).convert<Poco::Int64>();
}

// A task list's last column: an ended task's summary ("2 synced, 1 unchanged; 70.0 MiB in 9
// blobs, 4 reused", then the error of a failed one), an active one's progress.
std::string summaryColumn(const Object::Ptr& task) {
  auto summary = task->has("summary") && !task->get("summary").isEmpty()
                     ? task->getObject("summary")
                     : nullptr;
  if (!summary) {
    auto p = task->getObject("progress");
    return std::to_string(number(p, "tags_done")) + " tags, " +
           sync::formatBytes(static_cast<uint64_t>(number(p, "bytes_done"))) + " so far";
  }
  std::string line;
  if (auto counts = summary->getObject("counts")) {
    for (const auto& [action, n] : *counts) {
      if (!n.isInteger() || n.convert<Poco::Int64>() == 0) continue;
      line += (line.empty() ? "" : ", ") + n.convert<std::string>() + " " + action;
    }
  }
  const std::string error = field(summary, "error");
  // Ended without a report (execute failed, cancelled, interrupted): nothing to count.
  if (line.empty() && number(summary, "bytes_fetched") == 0 && !error.empty()) {
    return "error: " + error;
  }
  if (line.empty()) line = "no tags";
  const int64_t blobs = number(summary, "blobs_fetched");
  line += "; " + sync::formatBytes(static_cast<uint64_t>(number(summary, "bytes_fetched"))) +
          " in " + std::to_string(blobs) + (blobs == 1 ? " blob" : " blobs");
  if (const int64_t reused = number(summary, "blobs_reused")) {
    line += ", " + std::to_string(reused) + " reused";
  }
  if (!error.empty()) line += "; error: " + error;
  return line;
}

std::string encode(const std::string& segment) {
  std::string out;
  Poco::URI::encode(segment, "/?#&=+ ", out);
  return out;
}

// The exit code of an API error answer.
int exitForHttp(int status) { return status >= 500 ? kFailed : kBadInput; }

// The exit code for a task that ended (as `tributary sync` would have ended).
int exitForTask(const Object::Ptr& task) {
  const std::string status = field(task, "status");
  if (status == "succeeded") return kOk;
  const std::string code = field(task, "error_code");
  if (code == "RP_ERR_IO") return kStorage;
  if (code == "RP_ERR_INVALID_ARGUMENT" || code == "RP_ERR_FAILED_PRECONDITION") return kBadInput;
  return kFailed;
}

std::string timeOnly(const std::string& rfc3339) {
  // 2026-01-02T03:04:05.123Z -> 2026-01-02 03:04:05
  if (rfc3339.size() < 19) return rfc3339.empty() ? "-" : rfc3339;
  return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 8);
}

}  // namespace

ClientCommand::ClientCommand(std::string command, std::vector<std::string> args,
                             std::ostream& out, std::ostream& err)
    : command_(std::move(command)), args_(std::move(args)), out_(out), err_(err) {}

bool ClientCommand::handles(const std::string& c) {
  return c == "rules" || c == "plan" || c == "execute" || c == "tasks" || c == "task" ||
         c == "cancel";
}

const char* ClientCommand::usage() {
  return "usage (talks to a running `tributary serve`):\n"
         "  tributary rules list | show RULE | create -f FILE | update RULE -f FILE | delete RULE\n"
         "  tributary plan RULE\n"
         "  tributary execute RULE [--wait]\n"
         "  tributary tasks [--rule RULE] [--status STATUS] [--limit N]\n"
         "  tributary task ID\n"
         "  tributary cancel ID\n"
         "RULE is a rule id or name. Flags: --config FILE (the registry's config.yml: address,\n"
         "token and TLS from replication.admin; default $TRIBUTARY_CONFIG, else\n"
         "/etc/docker/registry/config.yml), --addr HOST:PORT, --token-file FILE,\n"
         "--ca-file FILE, --json (the API's JSON).\n";
}

int ClientCommand::fail(int code, const std::string& message) {
  err_ << "tributary: error: " << message << '\n';
  return code;
}

int ClientCommand::run() {
  Options o;
  for (size_t i = 0; i < args_.size(); ++i) {
    const std::string& a = args_[i];
    auto take = [&](std::string& into) -> bool {
      const auto eq = a.find('=');
      if (eq != std::string::npos) {
        into = a.substr(eq + 1);
        return true;
      }
      if (i + 1 >= args_.size()) return false;
      into = args_[++i];
      return true;
    };
    const std::string flag = a.substr(0, a.find('='));
    bool ok = true;
    if (flag == "--json") o.json = true;
    else if (flag == "--wait") o.wait = true;
    else if (flag == "--config") ok = take(o.config);
    else if (flag == "--addr") ok = take(o.addr);
    else if (flag == "--token-file") ok = take(o.tokenFile);
    else if (flag == "--ca-file") ok = take(o.caFile);
    else if (flag == "-f" || flag == "--file") ok = take(o.file);
    else if (flag == "--rule") ok = take(o.rule);
    else if (flag == "--status") ok = take(o.status);
    else if (flag == "--limit") {
      std::string v;
      ok = take(v);
      try {
        o.limit = std::stoi(v);
      } catch (const std::exception&) {
        return fail(kBadInput, "--limit needs a number");
      }
    } else if (flag == "--help" || flag == "-h") {
      out_ << usage();
      return kOk;
    } else if (!a.empty() && a[0] == '-') {
      return fail(kBadInput, "unknown option `" + a + "`\n" + usage());
    } else {
      o.positional.push_back(a);
    }
    if (!ok) return fail(kBadInput, flag + " needs a value");
  }

  // Address and token: flags first, then the config file's replication.admin.
  std::string address = o.addr, tokenFile = o.tokenFile, caFile = o.caFile;
  if (o.config.empty() && tokenFile.empty()) {
    // Where a Debian registry keeps its config, unless TRIBUTARY_CONFIG says otherwise.
    const char* fromEnv = std::getenv("TRIBUTARY_CONFIG");
    o.config = fromEnv != nullptr ? fromEnv : "/etc/docker/registry/config.yml";
  }
  if (!o.config.empty()) {
    auto config = serve::ServeConfig::load(o.config, "");
    if (!config.isOk()) return fail(kBadInput, config.status().message());
    if (address.empty()) address = config->adminAddress();
    if (tokenFile.empty()) tokenFile = config->tokenFile;
    if (caFile.empty()) caFile = config->tlsCertFile;
  }
  if (address.empty()) address = "127.0.0.1:5080";
  if (tokenFile.empty()) {
    return fail(kBadInput, "no token: give --config (replication.admin.token_file) or --token-file");
  }
  serve::ServeConfig tokenReader;
  tokenReader.tokenFile = tokenFile;
  auto token = tokenReader.readToken();
  if (!token.isOk()) return fail(kBadInput, token.status().message());
  ApiClient client(address, *token, caFile);

  // One request; prints the API's error and returns its exit code, or nullopt on success.
  auto request = [&](const std::string& method, const std::string& path,
                     const std::string& body, ApiReply& reply) -> std::optional<int> {
    auto result = client.call(method, path, body);
    if (!result.isOk()) return fail(kFailed, result.status().message());
    reply = *result;
    if (reply.status >= 400) {
      auto error = parseObject(reply.body);
      std::string message = error ? field(error, "message") : reply.body;
      const std::string f = error ? field(error, "field") : "";
      if (!f.empty()) message += " (field " + f + ")";
      return fail(exitForHttp(reply.status),
                  message + " [HTTP " + std::to_string(reply.status) + "]");
    }
    return std::nullopt;
  };
  auto positional = [&](size_t n, const char* what) -> std::optional<std::string> {
    if (o.positional.size() <= n) return std::nullopt;
    (void)what;
    return o.positional[n];
  };
  auto readFile = [&](std::string& body) -> std::optional<int> {
    if (o.file.empty()) return fail(kBadInput, "-f FILE (the rule JSON) is required");
    std::ostringstream text;
    if (o.file == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(o.file, std::ios::binary);
      if (!in) return fail(kBadInput, "cannot read rule file `" + o.file + "`");
      text << in.rdbuf();
    }
    body = text.str();
    return std::nullopt;
  };

  ApiReply reply;
  if (command_ == "rules") {
    const std::string sub = o.positional.empty() ? "list" : o.positional[0];
    if (sub == "list") {
      if (auto code = request("GET", "/api/v1/rules", "", reply)) return *code;
      if (o.json) {
        out_ << reply.body;
        return kOk;
      }
      auto list = parseObject(reply.body);
      auto rules = list ? list->getArray("rules") : nullptr;
      out_ << std::left << std::setw(5) << "ID" << std::setw(24) << "NAME" << std::setw(40)
           << "SOURCE" << std::setw(28) << "DESTINATION" << std::setw(12) << "PERIOD"
           << "NEXT RUN\n";
      for (size_t i = 0; rules && i < rules->size(); ++i) {
        auto r = rules->getObject(static_cast<unsigned>(i));
        auto rule = r->getObject("rule");
        auto src = rule ? rule->getObject("source") : nullptr;
        auto dst = rule ? rule->getObject("destination") : nullptr;
        std::string source = field(src, "type") + ":" +
                             (field(src, "domain").empty() ? "" : field(src, "domain") + "/") +
                             field(src, "repository");
        out_ << std::setw(5) << number(r, "id") << std::setw(24) << field(r, "name")
             << std::setw(40) << source << std::setw(28) << field(dst, "repository")
             << std::setw(12) << field(rule, "update_period")
             << timeOnly(field(r, "next_run_at")) << '\n';
      }
      return kOk;
    }
    if (sub == "create") {
      std::string body;
      if (auto code = readFile(body)) return *code;
      if (auto code = request("POST", "/api/v1/rules", body, reply)) return *code;
      auto r = parseObject(reply.body);
      if (o.json) out_ << reply.body;
      else out_ << "created rule " << number(r, "id") << " `" << field(r, "name") << "`\n";
      return kOk;
    }
    auto id = positional(1, "RULE");
    if (!id) return fail(kBadInput, "rules " + sub + " needs a RULE (id or name)\n" + usage());
    const std::string path = "/api/v1/rules/" + encode(*id);
    if (sub == "show") {
      if (auto code = request("GET", path, "", reply)) return *code;
      out_ << reply.body;
      return kOk;
    }
    if (sub == "update") {
      std::string body;
      if (auto code = readFile(body)) return *code;
      if (auto code = request("PUT", path, body, reply)) return *code;
      auto r = parseObject(reply.body);
      if (o.json) out_ << reply.body;
      else out_ << "updated rule " << number(r, "id") << " `" << field(r, "name") << "`\n";
      return kOk;
    }
    if (sub == "delete") {
      if (auto code = request("DELETE", path, "", reply)) return *code;
      auto r = parseObject(reply.body);
      if (o.json) out_ << reply.body;
      else out_ << "deleted rule " << number(r, "id") << " `" << field(r, "name") << "`\n";
      return kOk;
    }
    return fail(kBadInput, "unknown `rules` subcommand `" + sub + "`\n" + usage());
  }

  if (command_ == "plan") {
    auto id = positional(0, "RULE");
    if (!id) return fail(kBadInput, "plan needs a RULE (id or name)");
    if (auto code = request("POST", "/api/v1/rules/" + encode(*id) + "/plan", "", reply)) {
      return *code;
    }
    if (o.json || !sync::ReportPrinter::printPlan(out_, reply.body).isOk()) out_ << reply.body;
    return kOk;
  }

  auto printTask = [&](const Object::Ptr& t) {
    auto rule = t->getObject("rule");
    out_ << "task " << number(t, "id") << " (rule " << number(rule, "id") << " `"
         << field(rule, "name") << "`, " << field(t, "trigger") << "): " << field(t, "status");
    if (!field(t, "reason").empty()) out_ << " — " << field(t, "reason");
    out_ << "\n  queued " << timeOnly(field(t, "queued_at")) << ", started "
         << timeOnly(field(t, "started_at")) << ", ended " << timeOnly(field(t, "ended_at"))
         << '\n';
    auto p = t->getObject("progress");
    out_ << "  progress: " << sync::formatBytes(static_cast<uint64_t>(number(p, "bytes_done")))
         << " of " << sync::formatBytes(static_cast<uint64_t>(number(p, "bytes_total")))
         << ", " << number(p, "blobs_done") << "/" << number(p, "blobs_total") << " blobs, "
         << number(p, "tags_done") << " tags done\n";
    if (t->has("report") && !t->get("report").isEmpty()) {
      std::ostringstream report;
      t->get("report").extract<Object::Ptr>()->stringify(report);
      (void)sync::ReportPrinter::printReport(out_, report.str());
    }
  };

  if (command_ == "execute") {
    auto id = positional(0, "RULE");
    if (!id) return fail(kBadInput, "execute needs a RULE (id or name)");
    if (auto code = request("POST", "/api/v1/rules/" + encode(*id) + "/execute", "", reply)) {
      return *code;
    }
    auto t = parseObject(reply.body);
    const int64_t taskId = number(t, "id");
    if (!o.wait) {
      if (o.json) out_ << reply.body;
      else out_ << (field(t, "joined") == "true" ? "joined" : "queued") << " task " << taskId
                << " (" << field(t, "status") << ")\n";
      return kOk;
    }
    if (!o.json && field(t, "joined") == "true") {
      err_ << "rule already running or queued: following task " << taskId << '\n';
    }
    sync::ProgressBar bar(err_, !o.json && sync::ProgressBar::stderrIsTerminal());
    while (true) {
      const std::string status = field(t, "status");
      if (status != "queued" && status != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (auto code = request("GET", "/api/v1/tasks/" + std::to_string(taskId), "", reply)) {
        return *code;
      }
      t = parseObject(reply.body);
      if (!t) return fail(kFailed, "unreadable task answer: " + reply.body);
      auto p = t->getObject("progress");
      rp_progress_event_v1 event{};
      event.struct_size = sizeof(event);
      event.kind = RP_PROGRESS_BYTES;
      event.bytes_done = static_cast<uint64_t>(number(p, "bytes_done"));
      event.bytes_total = static_cast<uint64_t>(number(p, "bytes_total"));
      event.blobs_done = static_cast<uint64_t>(number(p, "blobs_done"));
      event.blobs_total = static_cast<uint64_t>(number(p, "blobs_total"));
      bar.onEvent(event);
    }
    bar.finish();
    if (o.json) out_ << reply.body;
    else printTask(t);
    return exitForTask(t);
  }

  if (command_ == "tasks") {
    std::string path = "/api/v1/tasks?limit=" + std::to_string(o.limit);
    if (!o.rule.empty()) path += "&rule=" + encode(o.rule);
    if (!o.status.empty()) path += "&status=" + encode(o.status);
    if (auto code = request("GET", path, "", reply)) return *code;
    if (o.json) {
      out_ << reply.body;
      return kOk;
    }
    auto list = parseObject(reply.body);
    auto tasks = list ? list->getArray("tasks") : nullptr;
    out_ << std::left << std::setw(6) << "ID" << std::setw(24) << "RULE" << std::setw(11)
         << "TRIGGER" << std::setw(11) << "STATUS" << std::setw(21) << "QUEUED" << "SUMMARY\n";
    // A list carries each task's summary; `tributary task ID` shows the whole report.
    for (size_t i = 0; tasks && i < tasks->size(); ++i) {
      auto t = tasks->getObject(static_cast<unsigned>(i));
      out_ << std::setw(6) << number(t, "id") << std::setw(24)
           << field(t->getObject("rule"), "name") << std::setw(11) << field(t, "trigger")
           << std::setw(11) << field(t, "status") << std::setw(21)
           << timeOnly(field(t, "queued_at")) << summaryColumn(t) << '\n';
    }
    return kOk;
  }

  if (command_ == "task" || command_ == "cancel") {
    auto id = positional(0, "ID");
    if (!id) return fail(kBadInput, command_ + " needs a task ID");
    const std::string path = "/api/v1/tasks/" + encode(*id) + (command_ == "cancel" ? "/cancel" : "");
    if (auto code = request(command_ == "cancel" ? "POST" : "GET", path, "", reply)) return *code;
    if (o.json) {
      out_ << reply.body;
      return kOk;
    }
    auto t = parseObject(reply.body);
    if (command_ == "cancel") {
      out_ << "task " << number(t, "id") << ": "
           << (field(t, "status") == "cancelled" ? "cancelled" : "cancelling (asked the provider to stop)")
           << '\n';
    } else {
      printTask(t);
    }
    return kOk;
  }
  return fail(kBadInput, "unknown command `" + command_ + "`");
}

}  // namespace tributary::cli
