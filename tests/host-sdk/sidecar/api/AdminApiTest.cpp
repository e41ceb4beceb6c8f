// AdminApi routes without a socket: auth, validation errors naming the field, quota, 404/405.
#include <boost/test/unit_test.hpp>

#include <Poco/JSON/Parser.h>

#include <filesystem>

#include "TempDirectory.h"
#include "tributary/DigestHasher.h"
#include "tributary/api/AdminApi.h"
#include "tributary/scheduler/TaskService.h"
#include "tributary/storage/DistributionStorage.h"

using namespace tributary;
using namespace tributary::api;

namespace {

const std::string kToken = "0123456789abcdef-token";

struct ApiFixture {
  TempDirectory dir;
  std::unique_ptr<state::StateStore> store =
      std::move(state::StateStore::open(dir.path() + "/s.db")).value();
  scheduler::TaskService tasks{*store, scheduler::TaskServiceOptions{},
                               [](const std::string&, const rp_task_v1*) {
                                 rp::ProviderReply r;
                                 r.json = "{\"status\":\"succeeded\"}";
                                 return r;
                               },
                               nullptr};
  std::unique_ptr<storage::DistributionStorage> storage =
      std::move(storage::DistributionStorage::open(dir.path() + "/root")).value();
  std::unique_ptr<AdminApi> api;

  ApiFixture() {
    BOOST_REQUIRE(tasks.start().isOk());
    ProviderCalls calls;
    // The fake provider refuses latest_n 99 the way the real one words it.
    calls.validate = [](const std::string& rule) {
      rp::ProviderReply r;
      if (rule.find("\"latest_n\":99") != std::string::npos) {
        r.status = RP_ERR_INVALID_ARGUMENT;
        r.message = "policy.latest_n: must be 1..30 for custom sources, got 99";
      } else {
        r.json = rule;
      }
      return r;
    };
    calls.plan = [](const std::string&) { return rp::ProviderReply{RP_OK, "{\"tags\":[]}", ""}; };
    calls.infoJson = "{\"name\":\"fake\",\"version\":\"1\",\"source_types\":[{\"type\":\"custom\"}]}";
    ApiSettings settings{kToken, "basic", 2, storage.get()};
    api = std::make_unique<AdminApi>(*store, tasks, nullptr, calls, settings);
  }
  ApiResponse call(const std::string& method, const std::string& path,
                   const std::string& body = "", const std::string& token = kToken) {
    ApiRequest r;
    r.method = method;
    const auto q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) r.query = path.substr(q + 1);
    r.authorization = token.empty() ? "" : "Bearer " + token;
    r.body = body;
    return api->handle(r);
  }
  static std::string rule(const std::string& name, int latest = 3) {
    return "{\"name\":\"" + name + "\",\"policy\":{\"latest_n\":" + std::to_string(latest) +
           "},\"destination\":{\"repository\":\"m/" + name + "\"},\"update_period\":\"manual\"}";
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(AdminApiTests)

BOOST_AUTO_TEST_CASE(bearer_tokens_compare_whole) {
  BOOST_TEST(AdminApi::authorized("Bearer abc", "abc"));
  BOOST_TEST(!AdminApi::authorized("Bearer abcd", "abc"));
  BOOST_TEST(!AdminApi::authorized("Bearer ab", "abc"));
  BOOST_TEST(!AdminApi::authorized("Basic abc", "abc"));
  BOOST_TEST(!AdminApi::authorized("Bearer ", ""));
}

BOOST_FIXTURE_TEST_CASE(everything_but_healthz_needs_the_token, ApiFixture) {
  BOOST_TEST(call("GET", "/healthz", "", "").status == 200);
  BOOST_TEST(call("GET", "/api/v1/rules", "", "").status == 401);
  BOOST_TEST(call("GET", "/api/v1/rules", "", "wrong").status == 401);
  BOOST_TEST(call("GET", "/metrics", "", "").status == 401);
  BOOST_TEST(call("GET", "/api/v1/rules").status == 200);
}

BOOST_FIXTURE_TEST_CASE(rule_errors_name_the_field_and_the_quota, ApiFixture) {
  auto bad = call("POST", "/api/v1/rules", rule("a", 99));
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(contains(bad.body, "\"field\":\"policy.latest_n\""));
  BOOST_TEST(call("POST", "/api/v1/rules", rule("a")).status == 201);
  BOOST_TEST(call("POST", "/api/v1/rules", rule("a")).status == 409);
  BOOST_TEST(call("POST", "/api/v1/rules", rule("b")).status == 201);
  auto over = call("POST", "/api/v1/rules", rule("c"));
  BOOST_TEST(over.status == 403);
  BOOST_TEST(contains(over.body, "quota_exceeded"));
  BOOST_TEST(contains(over.body, "edition `basic` allows 2 rules"));
  BOOST_TEST(call("PUT", "/api/v1/rules/a", rule("b")).status == 409);
  BOOST_TEST(call("PUT", "/api/v1/rules/a", rule("a2")).status == 200);
  BOOST_TEST(call("GET", "/api/v1/rules/a2").status == 200);
  BOOST_TEST(call("DELETE", "/api/v1/rules/a2").status == 200);
  BOOST_TEST(call("GET", "/api/v1/rules/a2").status == 404);
}

// `{name}` segments are decoded once and refused when they could mean a path elsewhere; none
// of these requests creates, changes or deletes anything.
BOOST_FIXTURE_TEST_CASE(path_tricks_in_names_are_refused, ApiFixture) {
  BOOST_TEST_REQUIRE(call("POST", "/api/v1/rules", rule("good")).status == 201);
  for (const char* path :
       {"/api/v1/rules/..", "/api/v1/rules/.", "/api/v1/rules/%2e%2e", "/api/v1/rules/%2E%2e",
        "/api/v1/rules/a%2fb", "/api/v1/rules/a%2Fb", "/api/v1/rules/good%00",
        "/api/v1/rules/a%5cb", "/api/v1/rules/a%0ab", "/api/v1/rules/%zz", "/api/v1/rules/%4",
        "/api/v1/rules/..%2f..%2fetc/execute", "/api/v1/repositories/..%2f..%2fetc/tags",
        "/api/v1/repositories/%2e%2e/%2e%2e/tags", "/api/v1/tasks/%00"}) {
    BOOST_TEST_INFO(path);
    for (const char* method : {"GET", "PUT", "DELETE", "POST"}) {
      auto r = call(method, path, rule("evil"));
      BOOST_TEST(r.status == 400);
      BOOST_TEST(contains(r.body, "\"field\":\"path\""), r.body);
    }
  }
  // Decoded once: a double-encoded dot-dot is a (missing) rule name, not a relative path.
  BOOST_TEST(call("PUT", "/api/v1/rules/%252e%252e", rule("evil")).status == 404);
  BOOST_TEST(call("GET", "/api/v1/rules/GOOD").status == 404);
  BOOST_TEST(call("DELETE", "/api/v1/rules/" + std::string(5000, 'a')).status == 404);
  BOOST_TEST(call("GET", "/api/v1/rules/good/").status == 404);
  BOOST_TEST(call("PUT", "/api/v1/rules/good/", rule("evil")).status == 404);
  BOOST_TEST(call("GET", "/api/v1/rules//execute").status == 404);
  BOOST_TEST(call("GET", "/api/v1/repositories/Mirror/tags").status == 400);
  auto list = call("GET", "/api/v1/rules");
  BOOST_TEST(contains(list.body, "\"name\":\"good\""));
  BOOST_TEST(!contains(list.body, "evil"));
  BOOST_TEST(call("GET", "/api/v1/rules/good").status == 200);
}

// Found by fuzz_admin_api: an error quoting a path with a byte that is not UTF-8 (0xC1 here)
// was not valid JSON. Such bytes are now answered as U+FFFD.
BOOST_FIXTURE_TEST_CASE(errors_quoting_the_request_stay_valid_utf8_json, ApiFixture) {
  for (const std::string& path : {std::string("/pi/v1/rules/\xc1nginx/plan"),
                                 std::string("/api/v1/rules/a%C1b"),
                                 std::string("/api/v1/rules/%ED%A0%80"),  // a surrogate
                                 std::string("/api/v1/rules/%F4%90%80%80"),  // > U+10FFFF
                                 std::string("/api/v1/tasks?%FF=1")}) {
    BOOST_TEST_INFO(path);
    auto r = call("GET", path);
    BOOST_TEST(r.status >= 400);
    BOOST_CHECK_NO_THROW(Poco::JSON::Parser().parse(r.body));
    BOOST_TEST(contains(r.body, "\xEF\xBF\xBD"), r.body);
  }
  auto ok = call("GET", "/api/v1/rules/caf%C3%A9");  // well-formed: quoted as is
  BOOST_TEST(contains(ok.body, "caf\xC3\xA9"), ok.body);
}

BOOST_FIXTURE_TEST_CASE(tokens_in_the_query_are_refused, ApiFixture) {
  BOOST_TEST(call("GET", std::string("/api/v1/rules?access_token=") + kToken, "", "").status ==
             401);
  BOOST_TEST(call("GET", std::string("/api/v1/rules?token=") + kToken, "", "").status == 401);
  auto both = call("GET", "/api/v1/rules?Access_Token=x");
  BOOST_TEST(both.status == 400);
  BOOST_TEST(contains(both.body, "only in the Authorization header"), both.body);
  BOOST_TEST(call("GET", "/metrics?token=x").status == 400);
  BOOST_TEST(call("GET", "/api/v1/tasks?limit=%zz").status == 400);
  BOOST_TEST(call("GET", "/api/v1/schedule?update_period=%").status == 400);
  BOOST_TEST(!AdminApi::needsToken("GET", "/healthz"));
  BOOST_TEST(!AdminApi::needsToken("GET", "/page/app.js"));
  BOOST_TEST(AdminApi::needsToken("POST", "/"));
  BOOST_TEST(AdminApi::needsToken("GET", "/metrics"));
}

BOOST_FIXTURE_TEST_CASE(unknown_routes_methods_and_queries, ApiFixture) {
  BOOST_TEST(call("GET", "/api/v1/nope").status == 404);
  BOOST_TEST(call("PATCH", "/api/v1/rules").status == 405);
  BOOST_TEST(call("GET", "/api/v1/tasks/abc").status == 404);
  BOOST_TEST(call("GET", "/api/v1/tasks?limit=0").status == 400);
  BOOST_TEST(call("GET", "/api/v1/tasks?color=red").status == 400);
  BOOST_TEST(call("POST", "/api/v1/tasks/5/cancel").status == 404);
  auto sources = call("GET", "/api/v1/sources");
  BOOST_TEST(contains(sources.body, "\"source_types\":[{\"type\":\"custom\"}]"));
  BOOST_TEST(call("GET", "/api/v1/repositories/Bad..Name/tags").status == 400);
  BOOST_TEST(call("GET", "/api/v1/repositories/a/b/tags").status == 404);
}

BOOST_FIXTURE_TEST_CASE(stored_tags_answer_from_the_storage_reader, ApiFixture) {
  const std::string manifest =
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
      "\"manifests\":[{\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\","
      "\"variant\":\"v8\"}}]}";
  const std::string digest = DigestHasher::digestOf("sha256", manifest).value();
  BOOST_REQUIRE(storage->putManifest("a/b", digest, manifest).isOk());
  BOOST_REQUIRE(storage->setTag("a/b", "v1", digest).isOk());
  auto tags = call("GET", "/api/v1/repositories/a/b/tags");
  BOOST_TEST(tags.status == 200);
  std::string body = tags.body;
  while (!body.empty() && body.back() == '\n') body.pop_back();
  BOOST_TEST(body ==
             "{\"repository\":\"a/b\",\"tags\":[{\"tag\":\"v1\",\"digest\":\"" + digest +
                 "\",\"media_type\":\"application/vnd.oci.image.index.v1+json\","
                 "\"platforms\":[\"linux/arm64/v8\"]}]}");
  // Storage that cannot be read is an error naming why, never an empty or short list: here a
  // repository directory that is a symlink out of the root.
  std::filesystem::create_directories(dir.path() + "/outside/_manifests/tags/v1/current");
  std::filesystem::create_directory_symlink(dir.path() + "/outside",
                                            storage->v2Root() + "/repositories/a/evil");
  auto refused = call("GET", "/api/v1/repositories/a/evil/tags");
  BOOST_TEST(refused.status == 502);
  BOOST_TEST(contains(refused.body, "\"code\":\"storage_unavailable\""));
  BOOST_TEST(contains(refused.body, "reading the storage"));
}

BOOST_FIXTURE_TEST_CASE(stored_tags_without_a_storage_say_where_to_ask, ApiFixture) {
  // A host that wires no storage (ApiSettings::storage null) must not guess a path to read.
  ApiSettings settings{kToken, "basic", 2, nullptr};
  api = std::make_unique<AdminApi>(*store, tasks, nullptr, ProviderCalls{}, settings);
  auto tags = call("GET", "/api/v1/repositories/a/b/tags");
  BOOST_TEST(tags.status == 501);
  BOOST_TEST(contains(tags.body, "GET /v2/a/b/tags/list"));
}

BOOST_FIXTURE_TEST_CASE(the_page_is_served_without_a_token_under_a_strict_csp, ApiFixture) {
  auto page = call("GET", "/", "", "");
  BOOST_TEST(page.status == 200);
  BOOST_TEST(contains(page.contentType, "text/html"));
  bool csp = false;
  for (const auto& [name, value] : page.headers) {
    if (name == "Content-Security-Policy") csp = contains(value, "script-src 'self'");
  }
  BOOST_TEST(csp);
  BOOST_TEST(call("GET", "/page/app.js", "", "").status == 200);
  BOOST_TEST(call("GET", "/page/nope.js", "", "").status == 404);
  BOOST_TEST(call("GET", "/secret.txt", "", "").status == 401);  // not a page file
}

BOOST_FIXTURE_TEST_CASE(schedule_preview_uses_the_one_grammar, ApiFixture) {
  auto ok = call("GET", "/api/v1/schedule?update_period=0%205%20*%20*%20*&count=3");
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(contains(ok.body, "\"update_period\":\"0 5 * * *\""));
  BOOST_TEST(contains(ok.body, "T05:00:00.000Z\",\""));
  auto manual = call("GET", "/api/v1/schedule?update_period=manual");
  BOOST_TEST(contains(manual.body, "\"next_runs\":[]"));
  auto bad = call("GET", "/api/v1/schedule?update_period=10s");
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(contains(bad.body, "\"field\":\"update_period\""));
  BOOST_TEST(call("GET", "/api/v1/schedule?update_period=1h", "", "").status == 401);
}

BOOST_FIXTURE_TEST_CASE(execute_then_task_shows_the_report, ApiFixture) {
  BOOST_TEST(call("POST", "/api/v1/rules", rule("a")).status == 201);
  auto queued = call("POST", "/api/v1/rules/a/execute");
  BOOST_TEST((queued.status == 202 || queued.status == 200));
  for (int i = 0; i < 200; ++i) {
    auto t = call("GET", "/api/v1/tasks/1");
    if (contains(t.body, "\"status\":\"succeeded\"")) {
      BOOST_TEST(contains(t.body, "\"report\":{\"status\":\"succeeded\"}"));
      BOOST_TEST(contains(t.body, "\"rule\":{\"id\":1,\"name\":\"a\"}"));
      // A list has the summary in its place; only the task itself has the report.
      const std::string summary =
          "\"summary\":{\"counts\":{},\"bytes_fetched\":0,\"blobs_fetched\":0,"
          "\"blobs_reused\":0}";
      BOOST_TEST(contains(t.body, summary));
      auto list = call("GET", "/api/v1/tasks?limit=1000");
      BOOST_TEST(list.status == 200);
      BOOST_TEST(contains(list.body, summary));
      BOOST_TEST(!contains(list.body, "\"report\""));
      BOOST_TEST(!contains(call("GET", "/api/v1/rules").body, "\"report\""));
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BOOST_FAIL("task 1 did not succeed");
}

BOOST_AUTO_TEST_SUITE_END()
