// The admin API's request handling without a socket (AdminApi::handle, the code behind every
// route): method, path with `{name}` segments and percent-encoding, query, Authorization and
// body, against a real SQLite state in a temporary directory and the provider's real rule
// validator (plans are a fake; tasks run a fake that succeeds at once, nothing is synced).
//
// Input: line 1 the method, line 2 the request target (path?query), line 3 the Authorization
// header ("@" stands for "Bearer <the right token>", which the fuzzer could not guess), the rest
// the body. Properties: never a 500 (an exception escaping a route), JSON answers parse, and
// a request without the right token to a route that needs it is always 401.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include <Poco/JSON/Parser.h>

#include "FuzzInput.h"
#include "tributary/api/AdminApi.h"
#include "tributary/plugin/config/RuleValidator.h"
#include "tributary/scheduler/TaskService.h"
#include "tributary/state/StateStore.h"
#include "tributary/storage/DistributionStorage.h"

using namespace tributary;

namespace {

const std::string kToken = "fuzz-admin-token-0123456789";

struct Service {
  std::string dir;
  std::unique_ptr<state::StateStore> store;
  std::unique_ptr<scheduler::TaskService> tasks;
  std::unique_ptr<storage::DistributionStorage> storage;  // the stored-tags view reads it
  std::unique_ptr<api::AdminApi> api;

  Service() {
    char pattern[] = "/tmp/fuzz_admin_api.XXXXXX";
    dir = ::mkdtemp(pattern);
    store = std::move(state::StateStore::open(dir + "/state.db")).value();
    tasks = std::make_unique<scheduler::TaskService>(
        *store, scheduler::TaskServiceOptions{},
        [](const std::string&, const rp_task_v1*) {
          rp::ProviderReply r;
          r.json = "{\"status\":\"succeeded\"}";
          return r;
        },
        nullptr);
    if (!tasks->start().isOk()) std::abort();
    api::ProviderCalls calls;
    calls.validate = [](const std::string& ruleJson) {
      rp::ProviderReply r;
      auto rule = plugin::RuleValidator::validate(ruleJson);
      if (rule.isOk()) {
        r.json = rule.value().toJson();
      } else {
        r.status = RP_ERR_INVALID_ARGUMENT;
        r.message = rule.status().message();
      }
      return r;
    };
    calls.plan = [](const std::string&) { return rp::ProviderReply{RP_OK, "{\"tags\":[]}", ""}; };
    calls.infoJson = "{\"name\":\"fuzz\",\"version\":\"1\",\"source_types\":[]}";
    std::filesystem::create_directories(dir + "/storage");
    storage = std::move(storage::DistributionStorage::open(dir + "/storage")).value();
    api = std::make_unique<api::AdminApi>(*store, *tasks, nullptr, calls,
                                          api::ApiSettings{kToken, "basic", 5, storage.get()});
  }
  ~Service() {
    api.reset();
    storage.reset();
    tasks->stop();
    tasks.reset();
    store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

Service& service() {
  static Service* s = [] {
    auto* created = new Service;
    std::atexit([] { delete &service(); });
    return created;
  }();
  return *s;
}

std::string line(const std::string& text, size_t& at) {
  const size_t end = text.find('\n', at);
  std::string out = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
  at = end == std::string::npos ? text.size() : end + 1;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::asString(data, size);
  size_t at = 0;
  api::ApiRequest request;
  request.method = line(text, at);
  const std::string target = line(text, at);
  const auto q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) request.query = target.substr(q + 1);
  const std::string auth = line(text, at);
  request.authorization = auth == "@" ? "Bearer " + kToken : auth;
  request.body = text.substr(at);

  Service& s = service();
  const api::ApiResponse response = s.api->handle(request);
  const std::string shown = request.method + " " + target + "\n-> " +
                            std::to_string(response.status) + " " + response.body;
  if (response.status == 500) fuzz::propertyFailed("a route answered 500", shown);
  if (api::AdminApi::needsToken(request.method, request.path) &&
      !api::AdminApi::authorized(request.authorization, kToken) && response.status != 401) {
    fuzz::propertyFailed("answered without the token", shown);
  }
  if (response.contentType == "application/json") {
    try {
      Poco::JSON::Parser().parse(response.body);
    } catch (const std::exception& e) {
      fuzz::propertyFailed("answer is not JSON", shown + "\n" + e.what());
    }
  }
  // Rules do not pile up across inputs (the quota would hide the create path).
  for (const auto& rule : s.store->rules()) (void)s.store->deleteRule(rule.id);
  return 0;
}
