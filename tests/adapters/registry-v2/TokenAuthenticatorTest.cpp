// Token auth flows against a fake registry and a fake token service on 127.0.0.1.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>
#include <set>
#include <thread>

#include <Poco/Net/HTMLForm.h>
#include <Poco/URI.h>

#include "FakeServer.h"
#include "StatusPrinting.h"
#include "tributary/registry/RegistryClient.h"

using namespace tributary;
using namespace tributary::registry;
using namespace tributary::registry::testing;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

const std::string kManifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";

struct Recorded {
  std::string method, uri, authorization, body;
};

// A registry that wants Bearer tokens issued by its companion token service.
struct AuthWorld {
  std::mutex mu;
  std::vector<Recorded> tokenRequests;
  std::vector<Recorded> registryRequests;
  std::set<std::string> validTokens;
  int issued = 0;
  // Behaviour knobs.
  int postStatus = 0;  // 0 = serve POST like GET; else answer POST with this status
  std::string expiresIn;  // "" = omit
  std::string issuedAt;   // "" = omit
  std::string tokenField = "token";
  std::string challengeExtra = R"(,service="fake",scope="repository:foo/bar:pull")";
  std::string expectedBasic;  // non-empty: token service demands this Authorization
  bool revokeAfterUse = false;
  bool insufficientScope = false;
  bool basicOnly = false;
  bool acceptTokens = true;

  FakeServer tokens{[this](HTTPServerRequest& rq, HTTPServerResponse& rs) { token(rq, rs); }};
  FakeServer registry{[this](HTTPServerRequest& rq, HTTPServerResponse& rs) { serve(rq, rs); }};

  void token(HTTPServerRequest& rq, HTTPServerResponse& rs) {
    std::string body = readBody(rq);
    std::lock_guard<std::mutex> lock(mu);
    tokenRequests.push_back({rq.getMethod(), rq.getURI(), rq.get("Authorization", ""), body});
    if (rq.getMethod() == "POST" && postStatus != 0) return reply(rs, postStatus, "{}");
    if (!expectedBasic.empty() && rq.get("Authorization", "") != expectedBasic &&
        rq.getMethod() == "GET")
      return reply(rs, 401, R"({"details":"bad credentials"})");
    std::string tok = "tok-" + std::to_string(++issued);
    validTokens.insert(tok);
    std::string json = "{\"" + tokenField + "\":\"" + tok + "\"";
    if (!expiresIn.empty()) json += ",\"expires_in\":" + expiresIn;
    if (!issuedAt.empty()) json += ",\"issued_at\":\"" + issuedAt + "\"";
    json += "}";
    reply(rs, 200, json);
  }

  void serve(HTTPServerRequest& rq, HTTPServerResponse& rs) {
    std::lock_guard<std::mutex> lock(mu);
    std::string auth = rq.get("Authorization", "");
    registryRequests.push_back({rq.getMethod(), rq.getURI(), auth, ""});
    bool ok = false;
    if (basicOnly) {
      ok = auth == "Basic dXNlcjpwYXNz";  // user:pass
      if (!ok) {
        rs.set("WWW-Authenticate", R"(Basic realm="fake")");
        return reply(rs, 401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
      }
    } else if (acceptTokens && auth.rfind("Bearer ", 0) == 0 && validTokens.count(auth.substr(7))) {
      ok = !insufficientScope;
      if (ok && revokeAfterUse) validTokens.erase(auth.substr(7));
      if (!ok) {
        rs.set("WWW-Authenticate", "Bearer realm=\"" + tokens.url() +
                                       "/token\",service=\"fake\",scope=\"repository:foo/bar:pull\",error=\"insufficient_scope\"");
        return reply(rs, 401, R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})");
      }
    }
    if (!ok) {
      rs.set("WWW-Authenticate", "Bearer realm=\"" + tokens.url() + "/token\"" + challengeExtra);
      return reply(rs, 401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
    }
    reply(rs, 200, kManifest, "application/vnd.oci.image.manifest.v1+json");
  }

  RegistryClientOptions options(Credentials c = {}) {
    RegistryClientOptions o;
    o.host = registry.hostPort();
    o.plainHttp = true;
    // Both are plain http, so both are listed as the operator would list them.
    o.insecureHosts = {registry.hostPort(), tokens.hostPort()};
    o.allowPrivateNetworks = true;
    o.credentials = std::move(c);
    o.timeout = std::chrono::milliseconds(5000);
    return o;
  }
  size_t tokenCount() {
    std::lock_guard<std::mutex> lock(mu);
    return tokenRequests.size();
  }
};

std::string isoTime(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
  return buf;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(TokenAuthenticatorTest)

BOOST_AUTO_TEST_CASE(anonymous_token_flow_fetches_once_and_reuses) {
  AuthWorld w;
  RegistryClient c(w.options());
  for (int i = 0; i < 3; ++i) {
    auto m = c.getManifest("foo/bar", "latest");
    BOOST_TEST_REQUIRE(m.isOk(), m.status().toString());
    BOOST_TEST(m->bytes == kManifest);
  }
  BOOST_TEST_REQUIRE(w.tokenRequests.size() == 1u);
  const auto& t = w.tokenRequests[0];
  BOOST_TEST(t.method == "GET");
  BOOST_TEST(t.authorization.empty());
  BOOST_TEST(t.uri.find("service=fake") != std::string::npos);
  BOOST_TEST(t.uri.find("scope=repository%3Afoo%2Fbar%3Apull") != std::string::npos);
  BOOST_TEST(t.uri.find("account=") == std::string::npos);
  BOOST_TEST(w.registryRequests.size() == 4u);  // one 401, then three with the token
  BOOST_TEST(w.registryRequests[3].authorization == "Bearer tok-1");
}

BOOST_AUTO_TEST_CASE(basic_credentials_on_token_get_after_oauth_post_404) {
  AuthWorld w;
  w.postStatus = 404;
  w.expectedBasic = "Basic dXNlcjpwYXNz";
  RegistryClient c(w.options({"user", "pass", ""}));
  auto m = c.getManifest("foo/bar", "latest");
  BOOST_TEST_REQUIRE(m.isOk(), m.status().toString());
  BOOST_TEST_REQUIRE(w.tokenRequests.size() == 2u);
  BOOST_TEST(w.tokenRequests[0].method == "POST");
  BOOST_TEST(w.tokenRequests[1].method == "GET");
  BOOST_TEST(w.tokenRequests[1].authorization == "Basic dXNlcjpwYXNz");
  BOOST_TEST(w.tokenRequests[1].uri.find("account=user") != std::string::npos);
  // The realm said POST is unsupported: the next token fetch goes straight to GET.
  auto other = c.getManifest("foo/other", "latest");
  BOOST_TEST_REQUIRE(w.tokenRequests.size() >= 3u);
  BOOST_TEST(w.tokenRequests.back().method == "GET");
}

BOOST_AUTO_TEST_CASE(oauth_post_with_access_token) {
  AuthWorld w;
  w.tokenField = "access_token";
  RegistryClient c(w.options({"user", "p&ss", ""}));
  auto m = c.getManifest("foo/bar", "latest");
  BOOST_TEST_REQUIRE(m.isOk(), m.status().toString());
  BOOST_TEST_REQUIRE(w.tokenRequests.size() == 1u);
  const auto& t = w.tokenRequests[0];
  BOOST_TEST(t.method == "POST");
  BOOST_TEST(t.authorization.empty());
  Poco::URI parsed("/?" + t.body);
  auto params = parsed.getQueryParameters();
  std::map<std::string, std::string> form(params.begin(), params.end());
  BOOST_TEST(form["grant_type"] == "password");
  BOOST_TEST(form["client_id"] == "tributary");
  BOOST_TEST(form["username"] == "user");
  BOOST_TEST(form["password"] == "p&ss");
  BOOST_TEST(form["service"] == "fake");
  BOOST_TEST(form["scope"] == "repository:foo/bar:pull");
}

BOOST_AUTO_TEST_CASE(expiring_token_is_refetched) {
  AuthWorld w;
  w.expiresIn = "60";
  w.issuedAt = isoTime(std::chrono::system_clock::now() - std::chrono::seconds(55));
  RegistryClient c(w.options());
  BOOST_TEST_REQUIRE(c.getManifest("foo/bar", "latest").isOk());
  BOOST_TEST_REQUIRE(c.getManifest("foo/bar", "latest").isOk());
  BOOST_TEST(w.tokenCount() == 2u);  // 5 s left < refresh margin: fetched again
}

BOOST_AUTO_TEST_CASE(short_expires_in_is_treated_as_sixty_seconds) {
  AuthWorld w;
  w.expiresIn = "1";
  RegistryClient c(w.options());
  BOOST_TEST_REQUIRE(c.getManifest("foo/bar", "latest").isOk());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  BOOST_TEST_REQUIRE(c.getManifest("foo/bar", "latest").isOk());
  BOOST_TEST(w.tokenCount() == 1u);
}

BOOST_AUTO_TEST_CASE(new_challenge_on_401_reauthenticates_once) {
  AuthWorld w;
  w.revokeAfterUse = true;  // every token works once: each later request sees a 401 first
  RegistryClient c(w.options());
  BOOST_TEST_REQUIRE(c.getManifest("foo/bar", "latest").isOk());
  auto second = c.getManifest("foo/bar", "latest");
  BOOST_TEST_REQUIRE(second.isOk(), second.status().toString());
  BOOST_TEST(w.tokenCount() == 2u);
}

BOOST_AUTO_TEST_CASE(rejected_token_is_unauthenticated_after_one_retry) {
  AuthWorld w;
  w.acceptTokens = false;
  RegistryClient c(w.options());
  auto r = c.getManifest("foo/bar", "latest");
  BOOST_TEST(r.status().code() == StatusCode::kUnauthenticated);
  BOOST_TEST(r.status().message().find(w.registry.hostPort()) != std::string::npos);
  BOOST_TEST(w.tokenCount() == 1u);
  BOOST_TEST(w.registryRequests.size() == 2u);  // anonymous, then once with the token
}

BOOST_AUTO_TEST_CASE(insufficient_scope_is_permission_denied) {
  AuthWorld w;
  w.insufficientScope = true;
  RegistryClient c(w.options());
  auto r = c.getManifest("foo/bar", "latest");
  BOOST_TEST(r.status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(r.status().message().find("insufficient_scope") != std::string::npos);
  BOOST_TEST(r.status().message().find(w.registry.hostPort()) != std::string::npos);
  BOOST_TEST(r.status().message().find("foo/bar") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(scope_built_by_client_when_challenge_has_none_and_service_missing) {
  AuthWorld w;
  w.challengeExtra = "";
  RegistryClient c(w.options());
  auto m = c.getManifest("foo/bar", "latest");
  BOOST_TEST_REQUIRE(m.isOk(), m.status().toString());
  BOOST_TEST_REQUIRE(w.tokenRequests.size() == 1u);
  BOOST_TEST(w.tokenRequests[0].uri.find("service=") == std::string::npos);
  BOOST_TEST(w.tokenRequests[0].uri.find("scope=repository%3Afoo%2Fbar%3Apull") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(challenge_scopes_are_merged_one_param_each) {
  AuthWorld w;
  w.challengeExtra = R"(,service="fake",scope="repository:foo/bar:pull repository:extra/thing:pull")";
  RegistryClient c(w.options());
  BOOST_TEST_REQUIRE(c.getManifest("foo/bar", "latest").isOk());
  BOOST_TEST_REQUIRE(w.tokenRequests.size() == 1u);
  const auto& uri = w.tokenRequests[0].uri;
  BOOST_TEST(uri.find("scope=repository%3Afoo%2Fbar%3Apull") != std::string::npos);
  BOOST_TEST(uri.find("&scope=repository%3Aextra%2Fthing%3Apull") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(basic_only_registry) {
  AuthWorld w;
  w.basicOnly = true;
  RegistryClient c(w.options({"user", "pass", ""}));
  for (int i = 0; i < 2; ++i) BOOST_TEST_REQUIRE(c.getManifest("foo/bar", "latest").isOk());
  BOOST_TEST(w.tokenCount() == 0u);
  BOOST_TEST_REQUIRE(w.registryRequests.size() == 3u);
  BOOST_TEST(w.registryRequests[1].authorization == "Basic dXNlcjpwYXNz");
  BOOST_TEST(w.registryRequests[2].authorization == "Basic dXNlcjpwYXNz");

  RegistryClient anonymous(w.options());
  auto r = anonymous.getManifest("foo/bar", "latest");
  BOOST_TEST(r.status().code() == StatusCode::kUnauthenticated);
  BOOST_TEST(r.status().message().find("Basic") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ready_token_is_sent_as_bearer) {
  AuthWorld w;
  w.validTokens.insert("ready-token");
  RegistryClient c(w.options({"", "", "ready-token"}));
  BOOST_TEST_REQUIRE(c.getManifest("foo/bar", "latest").isOk());
  BOOST_TEST(w.tokenCount() == 0u);
  BOOST_TEST_REQUIRE(w.registryRequests.size() == 1u);
  BOOST_TEST(w.registryRequests[0].authorization == "Bearer ready-token");
}

BOOST_AUTO_TEST_CASE(bad_credentials_are_unauthenticated_without_echoing_them) {
  AuthWorld w;
  w.postStatus = 404;
  w.expectedBasic = "Basic something-else";
  RegistryClient c(w.options({"user", "s3cret-pw", ""}));
  auto r = c.getManifest("foo/bar", "latest");
  BOOST_TEST(r.status().code() == StatusCode::kUnauthenticated);
  BOOST_TEST(r.status().message().find("s3cret-pw") == std::string::npos);
  BOOST_TEST(r.status().message().find("dXNlcjpzM2NyZXQtcHc") == std::string::npos);
  BOOST_TEST(r.status().message().find("rejected the configured credentials") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(credentials_never_go_to_a_plain_http_realm_that_is_not_listed_insecure) {
  AuthWorld w;
  auto o = w.options(Credentials{"user", "pass", ""});
  o.insecureHosts = {w.registry.hostPort()};  // the registry is listed, its realm is not
  RegistryClient c(o);
  auto m = c.getManifest("foo/bar", "latest");
  BOOST_TEST(m.status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(m.status().message().find(w.tokens.hostPort() + " is not in insecure_registries") !=
                 std::string::npos,
             m.status().message());
  BOOST_TEST(w.tokenCount() == 0u);  // nothing was sent to it
  // Anonymous token requests carry nothing secret: they still work.
  auto anon = w.options();
  anon.insecureHosts = {w.registry.hostPort()};
  RegistryClient a(anon);
  BOOST_TEST(a.getManifest("foo/bar", "latest").isOk());
}

// Vendors with a fixed token service (Docker Hub) pin it: a registry naming another realm
// gets an anonymous token request, never the password.
BOOST_AUTO_TEST_CASE(pinned_credentials_go_only_to_the_pinned_realm) {
  for (bool pinnedHere : {true, false}) {
    AuthWorld w;
    Credentials c{"user", "pass", ""};
    c.realmOrigins = {pinnedHere ? w.tokens.url() : std::string("https://auth.docker.io")};
    RegistryClient client(w.options(c));
    auto m = client.getManifest("foo/bar", "latest");
    BOOST_TEST_REQUIRE(m.isOk(), m.status().toString());
    BOOST_TEST_REQUIRE(w.tokenRequests.size() >= 1u);
    for (const Recorded& t : w.tokenRequests) {
      const bool leaked = t.authorization.find("Basic") != std::string::npos ||
                          t.body.find("pass") != std::string::npos ||
                          t.uri.find("account=user") != std::string::npos;
      BOOST_TEST(leaked == pinnedHere, t.method << " " << t.uri);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
