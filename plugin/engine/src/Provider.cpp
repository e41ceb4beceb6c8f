#include "tributary/plugin/engine/Provider.h"

#include <chrono>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/JsonWriter.h"
#include "tributary/plugin/engine/Planner.h"
#include "tributary/plugin/config/RuleValidator.h"
#include "tributary/plugin/source/SourceFactory.h"
#include "tributary/plugin/config/SourceType.h"
#include "tributary/plugin/engine/Plan.h"
#include "tributary/plugin/engine/SyncEngine.h"

namespace tributary::plugin {
namespace {

std::string cachePath(const std::string& dir, const char* file) {
  if (dir.empty()) return "";
  return dir.back() == '/' ? dir + file : dir + "/" + file;
}

// A JSON-Schema description of the rule for UIs; the validator is the authority.
constexpr const char* kRuleSchema = R"json({"type":"object","required":["name","source","destination"],"additionalProperties":false,"properties":{"name":{"type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"},"source":{"type":"object","required":["type","repository"],"additionalProperties":false,"properties":{"type":{"enum":["dockerhub","gcr","quay","custom"]},"domain":{"type":"string","description":"host[:port]; required for custom, optional for gcr (default gcr.io)"},"repository":{"type":"string","description":"<namespace>/<repository>"},"credential":{"type":"string","description":"name of a host-held secret"}}},"policy":{"type":"object","additionalProperties":false,"properties":{"tag_regex":{"type":"string","default":".*","description":"PCRE2, whole-tag match"},"latest_n":{"type":"integer","minimum":1,"default":5,"description":"at most 5 for dockerhub, 30 for the others"},"platforms":{"type":"array","items":{"type":"string","pattern":"^[a-z0-9._-]+/[a-z0-9._-]+(/[a-z0-9._-]+)?$"},"default":[]}}},"destination":{"type":"object","required":["repository"],"additionalProperties":false,"properties":{"repository":{"type":"string"},"overwrite":{"type":"boolean","default":false}}},"acceleration":{"type":"boolean","default":false},"update_period":{"type":"string","default":"manual","description":"manual | <N>m | <N>h | <N>d | 5-field cron"}}})json";

// Bridges the task's cancellation into the registry client: polled between chunks and, while a
// request is in flight, by the client's watchdog thread (which ends a read blocked on a stalled
// source). The host's is_cancelled may be called from any thread (rp ABI).
std::function<bool()> cancelProbe(TaskContext& task) {
  return [&task] { return task.isCancelled(); };
}

// The host's task, also "cancelled" once task_timeout_seconds have passed: a whole-run
// deadline over the per-request bounds (the clients' watchdogs see it like a host's cancel and
// end blocked reads within 200 ms).
class DeadlineTask final : public TaskContext {
 public:
  DeadlineTask(TaskContext& inner, int seconds)
      : inner_(inner),
        seconds_(seconds),
        deadline_(std::chrono::steady_clock::now() + std::chrono::seconds(seconds)) {}
  bool isCancelled() const override { return inner_.isCancelled() || expired(); }
  void progress(const ProgressEvent& event) override { inner_.progress(event); }
  bool expired() const { return seconds_ > 0 && std::chrono::steady_clock::now() >= deadline_; }
  /// The deadline's error when it (and not the host) stopped the run, else `status`.
  Status explain(Status status, const Rule& rule) const {
    if (status.code() != StatusCode::kCancelled || inner_.isCancelled() || !expired())
      return status;
    return deadlineExceededError("rule " + rule.name + ": stopped after task_timeout_seconds (" +
                                 std::to_string(seconds_) +
                                 " s); tags published before then stay published");
  }

 private:
  TaskContext& inner_;
  const int seconds_;
  const std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

Provider::Provider(ProviderConfig config, Storage& storage, Logger& logger, SecretStore& secrets)
    : config_(std::move(config)),
      storage_(storage),
      logger_(logger),
      secrets_(secrets),
      createdCache_(cachePath(config_.cacheDir, "custom-created.json"), 100000,
                    config_.cacheReadOnly),
      choiceCache_(cachePath(config_.cacheDir, "platform-choices.json"), 100000,
                   config_.cacheReadOnly) {}

std::string Provider::info() {
  JsonWriter w;
  w.beginObject();
  w.key("name").value(kName);
  w.key("version").value(kVersion);
  w.key("source_types").beginArray();
  for (const SourceType* t = SourceType::all(); t->name != nullptr; ++t) {
    w.beginObject();
    w.key("type").value(t->name);
    w.key("max_latest_n").value(t->maxLatestN);
    w.key("requires_domain").value(t->requiresDomain);
    w.endObject();
  }
  w.endArray();
  w.key("rule_schema");
  std::string out = w.str() + kRuleSchema + "}";
  return out;
}

Result<std::string> Provider::validateRule(const std::string& ruleJson) const {
  TRIB_ASSIGN_OR_RETURN(Rule rule, RuleValidator::validate(ruleJson));
  return rule.toJson();
}

Result<registry::Credentials> Provider::credentialsFor(const Rule& rule) {
  registry::Credentials c;
  c.onIssuedToken = [this](const std::string& token) { redactor_.rememberIssued(token); };
  if (rule.source.credential.empty()) return c;
  const std::string& name = rule.source.credential;
  auto secret = secrets_.get(name);
  if (!secret) {
    if (secret.status().code() == StatusCode::kNotFound)
      return notFoundError("secret `" + name + "` named by source.credential does not exist");
    return Status(secret.status().code(),
                  "looking up secret `" + name + "`: " + secret.status().message());
  }
  // The message never echoes the secret's text.
  try {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(*secret).extract<Poco::JSON::Object::Ptr>();
    auto str = [&](const char* key) {
      return obj->has(key) && obj->get(key).isString() ? obj->getValue<std::string>(key)
                                                       : std::string();
    };
    c.username = str("username");
    c.password = str("password");
    c.token = str("token");
  } catch (const std::exception&) {
    return invalidArgumentError("secret `" + name + "` is not a JSON object of strings");
  }
  if (c.token.empty() && (c.username.empty() || c.password.empty()))
    return invalidArgumentError("secret `" + name +
                                "` must hold {\"username\",\"password\"} or {\"token\"}");
  // A source may echo what it was sent (or a token) in an error message the run quotes.
  redactor_.rememberBasic(c.username, c.password);
  if (!c.token.empty()) redactor_.rememberCredential(c.token);
  return c;
}

Provider::Run Provider::plan(const std::string& ruleJson, TaskContext& task) {
  return run(ruleJson, task, /*dryRun=*/true);
}

Provider::Run Provider::execute(const std::string& ruleJson, TaskContext& task) {
  return run(ruleJson, task, /*dryRun=*/false);
}

Provider::Run Provider::run(const std::string& ruleJson, TaskContext& hostTask, bool dryRun) {
  DeadlineTask task(hostTask, config_.taskTimeoutSeconds);
  Run out;
  auto rule = RuleValidator::validate(ruleJson);
  if (!rule) {  // not a rule: nothing to report on
    out.status = rule.status();
    return out;
  }
  const SourceType* type = SourceType::find(rule->source.type);
  RunReport::Source source{rule->source.type,
                           !rule->source.domain.empty() ? rule->source.domain
                           : type != nullptr            ? std::string(type->defaultHost)
                                                        : std::string(),
                           rule->source.repository};
  auto report = planAndApply(*rule, task, dryRun, source);
  if (report) {
    if (logger_.enabled(LogLevel::kInfo))
      logger_.log(LogLevel::kInfo, "rule " + rule->name + (dryRun ? ": planned, " : ": ") +
                                       report->status());
    out.report = std::move(*report);
    return out;
  }
  out.status = task.explain(report.status(), *rule);
  if (logger_.enabled(LogLevel::kWarn))
    logger_.log(LogLevel::kWarn, "rule " + rule->name + ": " + out.status.message());
  out.report.emplace(rule->name, source, rule->destination.repository, dryRun);
  return out;
}

Result<RunReport> Provider::planAndApply(const Rule& rule, TaskContext& task, bool dryRun,
                                         RunReport::Source& source) {
  TRIB_ASSIGN_OR_RETURN(registry::Credentials creds, credentialsFor(rule));
  TRIB_ASSIGN_OR_RETURN(std::unique_ptr<SourceSession> session,
                        SourceFactory::open(rule, config_, std::move(creds), cancelProbe(task),
                                            createdCache_, logger_, &tagMemory_,
                                            tlsContexts_, idleConnections_));
  source.registry = session->endpoints->originHost();
  source.repository = session->adapter->repository();
  Planner planner(rule, *session->adapter, *session->reader, storage_, choiceCache_, task,
                  config_.concurrency);
  planner.describeSource(source);
  planner.listExcludedTags(config_.reportExcludedTags);
  if (dryRun) return planner.dryRun();

  if (logger_.enabled(LogLevel::kInfo))
    logger_.log(LogLevel::kInfo, "rule " + rule.name + ": syncing " + rule.source.type + " " +
                                     source.repository + " into " + rule.destination.repository);
  if (rule.acceleration) logAcceleration(rule, source.registry);
  TRIB_ASSIGN_OR_RETURN(Plan plan, planner.plan());
  BlobTransferOptions transfer;
  transfer.concurrency = config_.concurrency;
  transfer.ranged = rule.acceleration;
  transfer.rangeThreshold = config_.rangeThresholdBytes;
  transfer.parts.partSize = config_.rangePartBytes;
  transfer.parts.parallelism = config_.rangeParallelism;
  transfer.contents = session->contents.get();
  SyncEngine engine(rule, *session->adapter, *session->reader, *session->endpoints, storage_,
                    choiceCache_, task, logger_, transfer);
  return engine.apply(plan);
}

void Provider::logAcceleration(const Rule& rule, const std::string& originHost) {
  if (!logger_.enabled(LogLevel::kInfo)) return;
  std::string mirrors;
  auto it = config_.mirrors.find(originHost);
  if (it != config_.mirrors.end())
    for (const std::string& m : it->second) mirrors += (mirrors.empty() ? "" : ", ") + m;
  logger_.log(LogLevel::kInfo,
              "rule " + rule.name + ": acceleration on (blobs of " +
                  std::to_string(config_.rangeThresholdBytes) + "+ bytes as " +
                  std::to_string(config_.rangeParallelism) + " parallel ranges of " +
                  std::to_string(config_.rangePartBytes) + " bytes; mirrors: " +
                  (mirrors.empty() ? std::string("none configured") : mirrors) + ")");
}

}  // namespace tributary::plugin
