#include "tributary/api/AdminApi.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <sstream>

#include "tributary/Schedule.h"
#include "tributary/api/RepositoryTags.h"
#include "tributary/sidecar/page/AdminPage.h"
#include "tributary/metrics/ServiceMetrics.h"
#include "tributary/scheduler/ReportSummary.h"
#include "tributary/scheduler/TaskService.h"

namespace tributary::api {

using Poco::JSON::Array;
using Poco::JSON::Object;
using scheduler::formatRfc3339Ms;
using state::RuleRecord;
using state::TaskRecord;

namespace {

Object::Ptr newObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string stringify(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(value, out);
  return out.str();
}

ApiResponse json(int status, const Poco::Dynamic::Var& value) {
  ApiResponse r;
  r.status = status;
  r.body = stringify(value) + "\n";
  return r;
}

Poco::Dynamic::Var parsedOrNull(const std::string& text) {
  if (text.empty()) return Poco::Dynamic::Var();
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text);
  } catch (const Poco::Exception&) {
    return Poco::Dynamic::Var(text);
  }
}

Poco::Dynamic::Var timeOrNull(int64_t ms) {
  if (ms == 0) return Poco::Dynamic::Var();
  return formatRfc3339Ms(ms);
}

bool allDigits(const std::string& s) {
  return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

// The rule field a validate_rule message names. The provider starts each problem with the
// field's path ("policy.latest_n is 99, ...", "source.domain `x` ...", "update_period `x` is
// invalid", "policy.platforms[1]: ..."); a regex error says "tag regex `...`"; an unknown key
// says "unknown field `x`".
std::string fieldOf(const std::string& message) {
  const std::string first = message.substr(0, message.find('\n'));
  if (first.rfind("tag regex", 0) == 0) return "policy.tag_regex";
  static const std::string kUnknown = "unknown field `";
  if (first.rfind(kUnknown, 0) == 0) {
    const auto end = first.find('`', kUnknown.size());
    if (end != std::string::npos) return first.substr(kUnknown.size(), end - kUnknown.size());
  }
  const auto end = first.find_first_of(" :");
  const std::string candidate = first.substr(0, end);
  for (char c : candidate) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '_' || c == '.' || c == '[' || c == ']')) {
      return "";
    }
  }
  const std::string root = candidate.substr(0, candidate.find_first_of(".["));
  static const char* const kRoots[] = {"name", "source", "policy", "destination",
                                       "acceleration", "update_period"};
  for (const char* r : kRoots) {
    if (root == r) return candidate;
  }
  return "";
}

// The rule's name from its JSON, "" when absent.
std::string nameOf(const std::string& ruleJson) {
  try {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(ruleJson).extract<Object::Ptr>();
    return obj->optValue<std::string>("name", "");
  } catch (const std::exception&) {
    return "";
  }
}

// `text` with every byte that is not part of a well-formed UTF-8 sequence (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF) replaced by U+FFFD.
std::string validUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    }
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      const unsigned char b = p[i + k];
      ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xbf);
    }
    if (ok) {
      out.append(text, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// One path segment, percent-decoded once. Refused: malformed escapes, and segments that would
// mean something else to a file system or a registry path (`.`, `..`, `/`, `\`, controls).
Result<std::string> decodeSegment(const std::string& raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') continue;
    if (i + 2 >= raw.size() || !std::isxdigit(static_cast<unsigned char>(raw[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
      return invalidArgumentError("malformed percent-encoding in path segment `" + raw + "`");
    }
  }
  std::string part;
  try {
    Poco::URI::decode(raw, part);
  } catch (const Poco::Exception& e) {
    return invalidArgumentError("malformed path segment `" + raw + "`: " + e.displayText());
  }
  if (part == "." || part == "..") {
    return invalidArgumentError("path segment `" + raw + "` is a relative reference");
  }
  for (char c : part) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || u < 0x20 || u == 0x7f) {
      return invalidArgumentError("path segment `" + raw +
                                  "` holds an encoded slash, backslash or control character");
    }
  }
  return part;
}

// The query's parameters, decoded; malformed escapes are an error (400), not an exception.
Result<Poco::URI::QueryParameters> queryParameters(const std::string& query) {
  try {
    return Poco::URI("/?" + query).getQueryParameters();
  } catch (const Poco::Exception& e) {
    return invalidArgumentError("malformed query string: " + e.displayText());
  }
}

int httpStatusFor(rp_status status) {
  switch (rp_status_classify(status)) {
    case RP_CLASS_INPUT: return status == RP_ERR_NOT_FOUND ? 404 : 400;
    case RP_CLASS_RETRY: return 502;
    case RP_CLASS_CREDENTIALS: return 502;
    default: return 500;
  }
}

}  // namespace

AdminApi::AdminApi(state::StateStore& store, scheduler::TaskService& tasks,
                   metrics::ServiceMetrics* metrics, ProviderCalls provider, ApiSettings settings)
    : store_(store), tasks_(tasks), metrics_(metrics), provider_(std::move(provider)),
      settings_(std::move(settings)) {}

bool AdminApi::authorized(const std::string& authorization, const std::string& token) {
  static const std::string kScheme = "Bearer ";
  if (token.empty() || authorization.compare(0, kScheme.size(), kScheme) != 0) return false;
  const std::string given = authorization.substr(kScheme.size());
  // Compare digests, so neither the content nor the length of the token leaks through timing.
  unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), b);
  return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

bool AdminApi::needsToken(const std::string& method, const std::string& path) {
  static const std::string kPageDir = "/page/";
  if (path == "/healthz") return false;
  return !(method == "GET" && (path == "/" || path == "/index.html" ||
                               path.compare(0, kPageDir.size(), kPageDir) == 0));
}

ApiResponse AdminApi::unauthenticated() {
  return error(401, "unauthenticated",
               "missing or wrong bearer token (Authorization: Bearer <token from "
               "replication.admin.token_file>)");
}

ApiResponse AdminApi::error(int status, const std::string& code, const std::string& message,
                            const std::string& field) {
  // Messages quote what the client sent (a path segment, a query key), which may be any
  // bytes: the answer must stay valid UTF-8 JSON.
  auto obj = newObject();
  obj->set("code", code);
  obj->set("message", validUtf8(message));
  if (!field.empty()) obj->set("field", validUtf8(field));
  return json(status, obj);
}

namespace {

Object::Ptr ruleObject(const RuleRecord& rule, int64_t nextRunAt) {
  auto obj = newObject();
  obj->set("id", rule.id);
  obj->set("name", rule.name);
  obj->set("rule", parsedOrNull(rule.json));
  obj->set("created_at", timeOrNull(rule.createdAt));
  obj->set("updated_at", timeOrNull(rule.updatedAt));
  obj->set("next_run_at", timeOrNull(nextRunAt));
  obj->set("retry_at", timeOrNull(rule.retryAt));
  return obj;
}

// What a list shows of an ended task's report: the stored summary (ReportSummary::
// taskSummaryJson), or for a task that ended without one (the provider's execute failed, it
// was cancelled or interrupted) the same members at zero; `error` says why a failed task
// failed (the report's error, else the task's reason; absent when only its tags failed: see
// `counts`). null while the task is queued or running.
Poco::Dynamic::Var summaryOf(const TaskRecord& t) {
  if (state::task_status::isActive(t.status)) return Poco::Dynamic::Var();
  Object::Ptr summary;
  if (!t.summaryJson.empty()) {
    try {
      Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // keys in stored order
      summary = parser.parse(t.summaryJson).extract<Object::Ptr>();
    } catch (const std::exception&) {
      summary = nullptr;  // not written by this code: shown as having no report
    }
  }
  if (!summary) {
    summary = newObject();
    summary->set("counts", newObject());
    summary->set("bytes_fetched", 0);
    summary->set("blobs_fetched", 0);
    summary->set("blobs_reused", 0);
  }
  if (t.status == state::task_status::kFailed && !summary->has("error") && !t.reason.empty()) {
    summary->set("error", t.reason);
  }
  return summary;
}

enum class WithReport { kNo, kYes };

// A list's task carries `summary`; one task (GET /api/v1/tasks/{id}, execute, cancel) also
// its whole `report`.
Object::Ptr taskObject(const TaskRecord& t, WithReport withReport = WithReport::kYes) {
  auto obj = newObject();
  obj->set("id", t.id);
  auto rule = newObject();
  rule->set("id", t.ruleId);
  rule->set("name", t.ruleName);
  obj->set("rule", rule);
  obj->set("trigger", t.trigger);
  obj->set("status", t.status);
  if (!t.reason.empty()) obj->set("reason", t.reason);
  if (!t.errorCode.empty()) obj->set("error_code", t.errorCode);
  if (!t.owner.empty()) obj->set("sidecar", t.owner);  // which sidecar of a fleet runs it
  obj->set("queued_at", timeOrNull(t.queuedAt));
  obj->set("started_at", timeOrNull(t.startedAt));
  obj->set("ended_at", timeOrNull(t.endedAt));
  auto progress = newObject();
  progress->set("bytes_done", t.bytesDone);
  progress->set("bytes_total", t.bytesTotal);
  progress->set("blobs_done", t.blobsDone);
  progress->set("blobs_total", t.blobsTotal);
  progress->set("tags_done", t.tagsDone);
  obj->set("progress", progress);
  obj->set("summary", summaryOf(t));
  if (withReport == WithReport::kYes) obj->set("report", parsedOrNull(t.reportJson));
  return obj;
}

}  // namespace

ApiResponse AdminApi::handle(const ApiRequest& request) {
  try {
    static const std::string kPageDir = "/page/";
    if (request.method == "GET" &&
        (request.path == "/" || request.path == "/index.html" ||
         request.path.compare(0, kPageDir.size(), kPageDir) == 0)) {
      const std::string_view name =
          request.path.size() <= 1 || request.path == "/index.html"
              ? std::string_view("index.html")
              : std::string_view(request.path).substr(kPageDir.size());
      const auto* file = sidecar::page::findPageFile(name);
      if (file == nullptr) return error(404, "not_found", "no such page file");
      ApiResponse r;
      r.contentType = file->contentType;
      r.body.assign(reinterpret_cast<const char*>(file->data), file->size);
      r.headers = {{"Content-Security-Policy", sidecar::page::kPageContentSecurityPolicy},
                   {"X-Content-Type-Options", "nosniff"},
                   {"X-Frame-Options", "DENY"},
                   {"Referrer-Policy", "no-referrer"}};
      return r;
    }
    if (request.path == "/healthz") {
      if (request.method != "GET") return error(405, "method_not_allowed", "use GET /healthz");
      auto obj = newObject();
      obj->set("status", "ok");
      return json(200, obj);
    }
    if (!authorized(request.authorization, settings_.token)) return unauthenticated();
    return route(request);
  } catch (const std::exception& e) {
    return error(500, "internal", std::string("internal error: ") + e.what());
  }
}

namespace {

// A query parameter that looks like the token: refused whatever its value, so a token never
// works from a URL (URLs end up in proxies' and browsers' histories and logs).
std::optional<ApiResponse> tokenInQuery(const std::string& query) {
  if (query.empty()) return std::nullopt;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string key = query.substr(start, std::min(query.find('=', start), amp) - start);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == "token" || key == "access_token" || key == "bearer" || key == "authorization") {
      return AdminApi::error(400, "invalid_argument",
                             "the admin token is accepted only in the Authorization header, "
                             "never in the URL",
                             key);
    }
    start = amp + 1;
  }
  return std::nullopt;
}

}  // namespace

ApiResponse AdminApi::route(const ApiRequest& req) {
  const std::string& m = req.method;
  const std::string& p = req.path;
  if (auto refused = tokenInQuery(req.query)) return *refused;
  if (p == "/metrics") {
    if (m != "GET") return error(405, "method_not_allowed", "use GET /metrics");
    ApiResponse r;
    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_ ? metrics_->serialize() : "";
    return r;
  }
  static const std::string kPrefix = "/api/v1/";
  if (p.compare(0, kPrefix.size(), kPrefix) != 0) {
    return error(404, "not_found", "no such endpoint `" + p + "`");
  }
  if (p.back() == '/') {
    // One spelling per resource: `/rules/x/` is not `/rules/x` (nor a directory of it).
    return error(404, "not_found", "no such endpoint `" + p + "` (no trailing slash)");
  }
  std::vector<std::string> parts;
  {
    std::string rest = p.substr(kPrefix.size());
    size_t start = 0;
    while (start <= rest.size()) {
      size_t slash = rest.find('/', start);
      if (slash == std::string::npos) slash = rest.size();
      auto part = decodeSegment(rest.substr(start, slash - start));
      if (!part.isOk()) return error(400, "invalid_argument", part.status().message(), "path");
      parts.push_back(*part);
      start = slash + 1;
    }
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
  }
  auto methodNotAllowed = [&](const char* allowed) {
    return error(405, "method_not_allowed", m + " " + p + " is not supported; use " + allowed);
  };
  if (parts.empty()) return error(404, "not_found", "no such endpoint `" + p + "`");
  const std::string& root = parts[0];
  if (root == "sources" && parts.size() == 1) {
    return m == "GET" ? sources() : methodNotAllowed("GET");
  }
  if (root == "schedule" && parts.size() == 1) {
    return m == "GET" ? schedulePreview(req.query) : methodNotAllowed("GET");
  }
  if (root == "rules") {
    if (parts.size() == 1) {
      if (m == "GET") return listRules();
      if (m == "POST") return createRule(req.body);
      return methodNotAllowed("GET or POST");
    }
    auto rule = findRule(parts[1]);
    if (!rule) return error(404, "not_found", "no rule `" + parts[1] + "`");
    if (parts.size() == 2) {
      if (m == "GET") return showRule(*rule);
      if (m == "PUT") return updateRule(*rule, req.body);
      if (m == "DELETE") return deleteRule(*rule);
      return methodNotAllowed("GET, PUT or DELETE");
    }
    if (parts.size() == 3 && parts[2] == "execute") {
      return m == "POST" ? executeRule(*rule) : methodNotAllowed("POST");
    }
    if (parts.size() == 3 && parts[2] == "plan") {
      return m == "POST" ? planRule(*rule) : methodNotAllowed("POST");
    }
  }
  if (root == "tasks") {
    if (parts.size() == 1) return m == "GET" ? listTasks(req.query) : methodNotAllowed("GET");
    if (!allDigits(parts[1])) return error(404, "not_found", "no task `" + parts[1] + "`");
    const int64_t id = std::stoll(parts[1]);
    if (parts.size() == 2) return m == "GET" ? showTask(id) : methodNotAllowed("GET");
    if (parts.size() == 3 && parts[2] == "cancel") {
      return m == "POST" ? cancelTask(id) : methodNotAllowed("POST");
    }
  }
  if (root == "repositories" && parts.size() >= 3 && parts.back() == "tags") {
    std::string name;
    for (size_t i = 1; i + 1 < parts.size(); ++i) name += (i > 1 ? "/" : "") + parts[i];
    return m == "GET" ? repositoryTags(name) : methodNotAllowed("GET");
  }
  return error(404, "not_found", "no such endpoint `" + p + "`");
}

std::optional<RuleRecord> AdminApi::findRule(const std::string& idOrName) {
  if (allDigits(idOrName)) {
    if (auto rule = store_.rule(std::stoll(idOrName))) return rule;
  }
  return store_.ruleByName(idOrName);
}

ApiResponse AdminApi::sources() {
  Poco::Dynamic::Var info = parsedOrNull(provider_.infoJson);
  auto obj = newObject();
  try {
    auto infoObj = info.extract<Object::Ptr>();
    obj->set("provider", infoObj->optValue<std::string>("name", ""));
    obj->set("version", infoObj->optValue<std::string>("version", ""));
    obj->set("source_types", infoObj->get("source_types"));
    obj->set("rule_schema", infoObj->get("rule_schema"));
  } catch (const std::exception&) {
    obj->set("provider_info", info);
  }
  // Platforms a rule may filter on, for a form's choices (any os/arch[/variant] validates).
  Array::Ptr platforms = new Array;
  for (const char* p : {"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6",
                        "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64",
                        "windows/amd64"}) {
    platforms->add(std::string(p));
  }
  obj->set("platforms", platforms);
  auto quota = newObject();
  quota->set("edition", settings_.edition);
  quota->set("rule_quota", settings_.ruleQuota);
  quota->set("rules", store_.ruleCount());
  obj->set("quota", quota);
  return json(200, obj);
}

ApiResponse AdminApi::schedulePreview(const std::string& query) {
  auto parameters = queryParameters(query);
  if (!parameters.isOk()) return error(400, "invalid_argument", parameters.status().message());
  std::string period;
  int count = 3;
  for (const auto& [key, value] : *parameters) {
    if (key == "update_period") {
      period = value;
    } else if (key == "count") {
      if (!allDigits(value) || std::stoll(value) < 1 || std::stoll(value) > 20) {
        return error(400, "invalid_argument", "count must be 1..20", "count");
      }
      count = static_cast<int>(std::stoll(value));
    } else {
      return error(400, "invalid_argument", "unknown query parameter `" + key + "`", key);
    }
  }
  // The same grammar the provider validates with and the scheduler runs.
  auto parsed = UpdatePeriod::parse(period);
  if (!parsed.isOk()) {
    return error(400, "invalid_argument", parsed.status().message(), "update_period");
  }
  auto schedule = Schedule::create(*parsed, settings_.timezone);
  if (!schedule.isOk()) return error(500, "internal", schedule.status().message());
  Array::Ptr next = new Array;
  auto t = std::chrono::system_clock::now();
  for (int i = 0; i < count; ++i) {
    auto fire = schedule->nextAfter(t);
    if (!fire) break;
    next->add(formatRfc3339Ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(fire->time_since_epoch()).count()));
    t = *fire;
  }
  auto obj = newObject();
  obj->set("update_period", parsed->text());
  obj->set("timezone", settings_.timezone);
  obj->set("next_runs", next);
  return json(200, obj);
}

ApiResponse AdminApi::listRules() {
  Array::Ptr list = new Array;
  for (const RuleRecord& rule : store_.rules()) {
    Object::Ptr entry = ruleObject(rule, tasks_.nextRunAt(rule.id));
    // The rules list shows each rule's last task (status and time) without a second request.
    const std::vector<TaskRecord> last = store_.tasks(rule.id, "", 0, 1);
    if (last.empty()) {
      entry->set("last_task", Poco::Dynamic::Var());
    } else {
      auto brief = newObject();
      brief->set("id", last.front().id);
      brief->set("status", last.front().status);
      brief->set("queued_at", timeOrNull(last.front().queuedAt));
      brief->set("started_at", timeOrNull(last.front().startedAt));
      brief->set("ended_at", timeOrNull(last.front().endedAt));
      entry->set("last_task", brief);
    }
    list->add(entry);
  }
  auto obj = newObject();
  obj->set("rules", list);
  return json(200, obj);
}

ApiResponse AdminApi::showRule(const RuleRecord& rule) {
  return json(200, ruleObject(rule, tasks_.nextRunAt(rule.id)));
}

ApiResponse AdminApi::invalidRule(const rp::ProviderReply& reply) {
  if (rp_status_classify(reply.status) == RP_CLASS_INPUT) {
    return error(400, "invalid_argument",
                 reply.message.empty() ? "the rule is invalid" : reply.message,
                 fieldOf(reply.message));
  }
  return error(500, "internal", "validating the rule: " + reply.describe());
}

ApiResponse AdminApi::createRule(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return error(400, "invalid_argument", "the request body must be a rule (JSON object)");
  }
  rp::ProviderReply validated = provider_.validate(body);
  if (!validated.ok()) return invalidRule(validated);
  const std::string name = nameOf(validated.json);
  if (name.empty()) return error(400, "invalid_argument", "name is required", "name");
  Result<RuleRecord> created = internalError("unset");
  {
    std::lock_guard<std::mutex> lock(rulesMutex_);
    const int64_t count = store_.ruleCount();
    if (count >= settings_.ruleQuota) {
      return error(403, "quota_exceeded",
                   "rule quota reached: edition `" + settings_.edition + "` allows " +
                       std::to_string(settings_.ruleQuota) + " rules and " +
                       std::to_string(count) +
                       " exist (raise replication.rule_quota or the edition)");
    }
    created = store_.insertRule(name, validated.json, scheduler::TaskService::nowMs());
  }
  if (!created.isOk()) {
    return error(409, "conflict", created.status().message(), "name");
  }
  Status scheduled = tasks_.ruleChanged(created->id);
  if (!scheduled.isOk()) {
    return error(400, "invalid_argument", scheduled.message(), "update_period");
  }
  return json(201, ruleObject(*store_.rule(created->id), tasks_.nextRunAt(created->id)));
}

ApiResponse AdminApi::updateRule(const RuleRecord& rule, const std::string& body) {
  rp::ProviderReply validated = provider_.validate(body);
  if (!validated.ok()) return invalidRule(validated);
  const std::string name = nameOf(validated.json);
  if (name.empty()) return error(400, "invalid_argument", "name is required", "name");
  {
    std::lock_guard<std::mutex> lock(rulesMutex_);
    Status updated =
        store_.updateRule(rule.id, name, validated.json, scheduler::TaskService::nowMs());
    if (updated.code() == StatusCode::kAlreadyExists) {
      return error(409, "conflict", updated.message(), "name");
    }
    if (!updated.isOk()) return error(404, "not_found", updated.message());
  }
  // A running task keeps the rule it started with; the next run uses this one.
  Status scheduled = tasks_.ruleChanged(rule.id);
  if (!scheduled.isOk()) {
    return error(400, "invalid_argument", scheduled.message(), "update_period");
  }
  return json(200, ruleObject(*store_.rule(rule.id), tasks_.nextRunAt(rule.id)));
}

ApiResponse AdminApi::deleteRule(const RuleRecord& rule) {
  {
    std::lock_guard<std::mutex> lock(rulesMutex_);
    Status deleted = store_.deleteRule(rule.id);
    if (!deleted.isOk()) return error(404, "not_found", deleted.message());
  }
  tasks_.ruleDeleted(rule.id);
  auto obj = newObject();
  obj->set("id", rule.id);
  obj->set("name", rule.name);
  obj->set("deleted", true);
  return json(200, obj);
}

ApiResponse AdminApi::executeRule(const RuleRecord& rule) {
  auto answer = tasks_.execute(rule.id, "manual");
  if (!answer.isOk()) {
    switch (answer.status().code()) {
      case StatusCode::kResourceExhausted:
        return error(429, "queue_full", answer.status().message());
      case StatusCode::kNotFound:
        return error(404, "not_found", answer.status().message());
      default:
        return error(503, "unavailable", answer.status().message());
    }
  }
  auto obj = taskObject(answer->task);
  obj->set("joined", answer->joined);
  return json(answer->joined ? 200 : 202, obj);
}

ApiResponse AdminApi::planRule(const RuleRecord& rule) {
  rp::ProviderReply reply = provider_.plan(rule.json);
  if (!reply.ok()) {
    const int status = httpStatusFor(reply.status);
    return error(status, status == 502 ? "source_unavailable" : status == 400 ? "invalid_argument" : "internal",
                 "planning rule `" + rule.name + "`: " + reply.describe());
  }
  ApiResponse r;
  r.body = reply.json + "\n";
  return r;
}

ApiResponse AdminApi::listTasks(const std::string& query) {
  auto parameters = queryParameters(query);
  if (!parameters.isOk()) return error(400, "invalid_argument", parameters.status().message());
  int64_t ruleId = 0;
  std::string status;
  int limit = 50;
  int64_t cursor = 0;
  for (const auto& [key, value] : *parameters) {
    if (key == "rule") {
      if (value.empty()) continue;
      auto rule = findRule(value);
      if (!rule) return error(404, "not_found", "no rule `" + value + "`", "rule");
      ruleId = rule->id;
    } else if (key == "status") {
      if (!value.empty() && !state::task_status::isKnown(value)) {
        return error(400, "invalid_argument",
                     "status must be queued, running, succeeded, partial, failed or cancelled",
                     "status");
      }
      status = value;
    } else if (key == "limit") {
      if (!allDigits(value) || std::stoll(value) < 1 || std::stoll(value) > 1000) {
        return error(400, "invalid_argument", "limit must be 1..1000", "limit");
      }
      limit = static_cast<int>(std::stoll(value));
    } else if (key == "cursor") {
      if (!value.empty() && !allDigits(value)) {
        return error(400, "invalid_argument", "cursor must be a next_cursor value", "cursor");
      }
      cursor = value.empty() ? 0 : std::stoll(value);
    } else {
      return error(400, "invalid_argument", "unknown query parameter `" + key + "`", key);
    }
  }
  auto list = tasks_.tasks(ruleId, status, cursor, limit + 1);
  // Written task by task: one task's JSON tree at a time besides the answer's text, so a
  // page of 1000 costs the text (a few hundred bytes a task), not 1000 trees.
  std::ostringstream out;
  out << "{\"tasks\":[";
  for (size_t i = 0; i < list.size() && i < static_cast<size_t>(limit); ++i) {
    if (i > 0) out << ',';
    taskObject(list[i], WithReport::kNo)->stringify(out);
  }
  out << "],\"next_cursor\":";
  if (list.size() > static_cast<size_t>(limit)) {
    out << stringify(std::to_string(list[static_cast<size_t>(limit) - 1].id));
  } else {
    out << "null";
  }
  out << "}\n";
  ApiResponse r;
  r.status = 200;
  r.body = out.str();
  return r;
}

ApiResponse AdminApi::showTask(int64_t id) {
  auto task = tasks_.task(id);
  if (!task) return error(404, "not_found", "no task with id " + std::to_string(id));
  return json(200, taskObject(*task));
}

ApiResponse AdminApi::cancelTask(int64_t id) {
  auto cancelled = tasks_.cancel(id);
  if (!cancelled.isOk()) {
    if (cancelled.status().code() == StatusCode::kNotFound) {
      return error(404, "not_found", cancelled.status().message());
    }
    return error(409, "conflict", cancelled.status().message());
  }
  return json(cancelled->status == state::task_status::kCancelled ? 200 : 202,
              taskObject(*cancelled));
}

ApiResponse AdminApi::repositoryTags(const std::string& name) {
  if (settings_.storage == nullptr)
    return error(501, "not_implemented",
                 "this service was started without a storage to read (ask the registry: GET /v2/" +
                     name + "/tags/list)");
  auto tags = RepositoryTags::list(*settings_.storage, name);
  if (!tags.isOk()) {
    const Status& status = tags.status();
    switch (status.code()) {
      case StatusCode::kNotFound:
        return error(404, "not_found", status.message());
      case StatusCode::kInvalidArgument:
        return error(400, "invalid_argument", status.message(), "name");
      case StatusCode::kUnavailable:
      case StatusCode::kUnauthenticated:
      case StatusCode::kPermissionDenied:
      case StatusCode::kDeadlineExceeded:
        // The storage (most likely the bucket) did not answer or refused: not our fault, nor
        // the caller's.
        return error(502, "storage_unavailable", "reading the storage: " + status.message());
      default:
        return error(500, "internal", "reading the storage: " + status.message());
    }
  }
  Array::Ptr array = new Array;
  for (const StoredTag& t : *tags) {
    auto obj = newObject();
    obj->set("tag", t.tag);
    obj->set("digest", t.digest);
    obj->set("media_type", t.mediaType);
    Array::Ptr platforms = new Array;
    for (const auto& p : t.platforms) platforms->add(p);
    obj->set("platforms", platforms);
    array->add(obj);
  }
  auto obj = newObject();
  obj->set("repository", name);
  obj->set("tags", array);
  return json(200, obj);
}

}  // namespace tributary::api
