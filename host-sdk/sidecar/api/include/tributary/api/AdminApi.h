// AdminApi: the admin API's routes and their JSON, independent of the HTTP server.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rp/host.hpp"
#include "tributary/state/StateStore.h"
#include "tributary/storage/StorageReader.h"

namespace tributary::scheduler {
class TaskService;
}
namespace tributary::metrics {
class ServiceMetrics;
}

namespace tributary::api {

struct ApiRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', undecoded
  std::string authorization;
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
};

/// The provider calls the API needs (the service wires them to the loaded provider instance;
/// tests to fakes).
struct ProviderCalls {
  std::function<rp::ProviderReply(const std::string& ruleJson)> validate;
  std::function<rp::ProviderReply(const std::string& ruleJson)> plan;
  std::string infoJson;  // rp_provider_v1.info
};

struct ApiSettings {
  std::string token;  // bearer token; compared in constant time
  std::string edition;
  int64_t ruleQuota = 0;
  // The registry's storage (filesystem root or S3 bucket), read by the stored-tags view;
  // must outlive the API. Null: that view answers 501.
  storage::StorageReader* storage = nullptr;
  std::string timezone = "UTC";  // replication.timezone, for the schedule preview
};

/// Routes (JSON in and out; every route but GET /healthz needs `Authorization: Bearer`):
///   GET /, /index.html, /page/{app.js,app.css}   the admin page (no token: it holds no data;
///                                     it asks for the token and sends it to the API)
///   GET /healthz                      {"status":"ok"}
///   GET /metrics                      Prometheus text format
///   GET /api/v1/sources               source types, limits and fields (the provider's info)
///   GET|POST /api/v1/rules            list | create (body: a rule; 201)
///   GET|PUT|DELETE /api/v1/rules/{id} one rule ({id} = numeric id or the rule's name)
///   POST /api/v1/rules/{id}/execute   202 a new task, 200 the rule's active task (joined)
///   POST /api/v1/rules/{id}/plan      the provider's dry run
///   GET /api/v1/tasks?rule=&status=&limit=&cursor=   newest first, next_cursor to page
///   GET /api/v1/tasks/{id}            with live progress and, once ended, the report
///   POST /api/v1/tasks/{id}/cancel    202 (running: asked to stop) or 200 (ended: cancelled)
///   GET /api/v1/repositories/{name}/tags   what the destination storage holds now
///   GET /api/v1/schedule?update_period=&count=   the next fire times (replication.timezone)
/// Path segments are percent-decoded once; a segment that is malformed, or decodes to `.`,
/// `..`, or holds `/`, `\` or a control character (NUL included) is refused with 400
/// invalid_argument (field "path"). A query parameter named like a token (`token`,
/// `access_token`) is refused with 400: the token goes only in the Authorization header.
/// Errors: {"code","message","field"?}: 400 invalid_argument (field = the rule field the
/// provider names), 401 unauthenticated, 403 quota_exceeded, 404 not_found, 405
/// method_not_allowed, 409 conflict (duplicate name, task already ended), 413 too_large (the
/// server), 429 queue_full, 502 source_unavailable (plan), 502 storage_unavailable (the stored
/// tags, when the storage cannot be read: bucket unreachable or refusing), 500 internal.
/// Thread: handle() from any number of server threads at once.
class AdminApi {
 public:
  AdminApi(state::StateStore& store, scheduler::TaskService& tasks,
           metrics::ServiceMetrics* metrics, ProviderCalls provider, ApiSettings settings);

  ApiResponse handle(const ApiRequest& request);

  /// True when `authorization` is "Bearer <token>" (constant time in the token's content).
  static bool authorized(const std::string& authorization, const std::string& token);
  /// False only for the routes served without the token (GET of the page files, /healthz):
  /// the server refuses every other request without a valid token before reading its body.
  static bool needsToken(const std::string& method, const std::string& path);
  /// The 401 answer.
  static ApiResponse unauthenticated();
  const std::string& token() const { return settings_.token; }
  /// {"code": code, "message": message[, "field": field]}.
  static ApiResponse error(int status, const std::string& code, const std::string& message,
                           const std::string& field = "");

 private:
  ApiResponse route(const ApiRequest& request);
  ApiResponse listRules();
  ApiResponse createRule(const std::string& body);
  ApiResponse showRule(const state::RuleRecord& rule);
  ApiResponse updateRule(const state::RuleRecord& rule, const std::string& body);
  ApiResponse deleteRule(const state::RuleRecord& rule);
  ApiResponse executeRule(const state::RuleRecord& rule);
  ApiResponse planRule(const state::RuleRecord& rule);
  ApiResponse listTasks(const std::string& query);
  ApiResponse showTask(int64_t id);
  ApiResponse cancelTask(int64_t id);
  ApiResponse repositoryTags(const std::string& name);
  ApiResponse sources();
  ApiResponse schedulePreview(const std::string& query);
  std::optional<state::RuleRecord> findRule(const std::string& idOrName);
  ApiResponse invalidRule(const rp::ProviderReply& reply);

  state::StateStore& store_;
  scheduler::TaskService& tasks_;
  metrics::ServiceMetrics* metrics_;
  ProviderCalls provider_;
  ApiSettings settings_;
  std::mutex rulesMutex_;  // create/update/delete: quota and name checks then the write
};

}  // namespace tributary::api
