// RegistryApiPublisher and RegistryApiStorageTable against a fake registry on 127.0.0.1.
#define BOOST_TEST_MODULE storage_publish_tests
#include <boost/test/unit_test.hpp>

#include "tributary/storage/RegistryApiPublisher.h"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Base64Decoder.h>
#include <Poco/URI.h>

#include "FakeServer.h"
#include "StatusPrinting.h"
#include "StorageTestSupport.h"
#include "tributary/rp/StatusMapping.h"
#include "tributary/storage/DistributionStorage.h"
#include "tributary/storage/HostStorage.h"
#include "tributary/storage/RegistryApiStorageTable.h"
#include "tributary/storage/StorageTable.h"

using tributary::StatusCode;
using tributary::registry::testing::FakeServer;
using tributary::registry::testing::readBody;
using tributary::registry::testing::reply;
using tributary::registry::testing::sha256Digest;
using namespace tributary::storage;

namespace tributary::storage {
inline std::ostream& operator<<(std::ostream& os, PublishMode mode) {
  return os << publishModeName(mode);
}
}  // namespace tributary::storage

namespace {

constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";

const std::string kChild =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
    R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,)"
    R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},)"
    R"("layers":[]})";
// An OCI index without a mediaType field: pushed as an OCI index because of `manifests`.
const std::string kIndex = R"({"schemaVersion":2,"manifests":[{"mediaType":")" +
                           std::string(kDockerManifest) + R"(","size":)" +
                           std::to_string(kChild.size()) + R"(,"digest":")" + sha256Digest(kChild) +
                           R"(","platform":{"os":"linux","architecture":"amd64"}}]})";

struct Request {
  std::string method;
  std::string path;
  std::string contentType;
  std::string authorization;
};

// A registry that keeps manifests by repository and reference, and can be told to demand
// Basic or Bearer credentials, or to refuse every manifest PUT with a registry error.
class FakeRegistry {
 public:
  enum class Auth { kNone, kBasic, kBearer };
  Auth auth = Auth::kNone;
  std::string password = "secret";
  bool refusePuts = false;

  FakeRegistry()
      : server([this](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
          handle(req, resp);
        }) {}

  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu);
    return log;
  }
  std::vector<std::string> tokenScopes() {
    std::lock_guard<std::mutex> lock(mu);
    return scopes;
  }
  void store(const std::string& key, const std::string& bytes, const std::string& type) {
    std::lock_guard<std::mutex> lock(mu);
    manifests[key] = {bytes, type};
  }
  std::string url() const { return server.url(); }

  FakeServer server;

 private:
  static std::string decodeBasic(const std::string& header) {
    std::istringstream in(header.substr(6));
    Poco::Base64Decoder decoder(in);
    std::string out;
    std::getline(decoder, out);
    return out;
  }

  bool authorized(const std::string& header) {
    switch (auth) {
      case Auth::kNone: return true;
      case Auth::kBasic:
        return header.rfind("Basic ", 0) == 0 && decodeBasic(header) == "robot:" + password;
      case Auth::kBearer: return header == "Bearer good-token";
    }
    return false;
  }

  void challenge(Poco::Net::HTTPServerResponse& resp) {
    if (auth == Auth::kBasic) {
      resp.set("WWW-Authenticate", "Basic realm=\"fake\"");
    } else {
      resp.set("WWW-Authenticate",
               "Bearer realm=\"" + server.url() + "/token\",service=\"fake-registry\"");
    }
    reply(resp, 401,
          R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
  }

  void handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    const std::string body = readBody(req);
    Poco::URI uri(req.getURI());
    if (uri.getPath() == "/token") {
      // GET only, like Harbor's /service/token: the OAuth2 POST gets a 404 (the client then
      // falls back to GET with Basic credentials).
      if (req.getMethod() == "POST") return reply(resp, 404, "");
      std::string scope;
      for (const auto& [k, v] : uri.getQueryParameters())
        if (k == "scope") scope = v;
      const bool good = req.get("Authorization", "").rfind("Basic ", 0) == 0 &&
                        decodeBasic(req.get("Authorization", "")) == "robot:" + password;
      {
        std::lock_guard<std::mutex> lock(mu);
        scopes.push_back(scope);
      }
      if (!good) return reply(resp, 401, R"({"errors":[{"code":"DENIED","message":"bad robot"}]})");
      return reply(resp, 200, R"({"token":"good-token","expires_in":300})");
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      log.push_back({req.getMethod(), uri.getPath(), req.get("Content-Type", ""),
                     req.get("Authorization", "")});
    }
    if (!authorized(req.get("Authorization", ""))) return challenge(resp);
    // /v2/<repo>/manifests/<ref>
    const std::string path = uri.getPath();
    const auto at = path.find("/manifests/");
    if (path.rfind("/v2/", 0) != 0 || at == std::string::npos)
      return reply(resp, 404, R"({"errors":[{"code":"NAME_UNKNOWN"}]})");
    const std::string key = path.substr(4, at - 4) + "@" + path.substr(at + 11);
    if (req.getMethod() == "PUT") {
      if (refusePuts)
        return reply(resp, 400,
                     R"({"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:44"}]})");
      const std::string digest = sha256Digest(body);
      {
        std::lock_guard<std::mutex> lock(mu);
        manifests[key] = {body, req.get("Content-Type", "")};
        manifests[path.substr(4, at - 4) + "@" + digest] = {body, req.get("Content-Type", "")};
      }
      resp.set("Docker-Content-Digest", digest);
      return reply(resp, 201, "");
    }
    std::pair<std::string, std::string> found;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = manifests.find(key);
      if (it == manifests.end()) {
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
        resp.setContentLength(0);
        resp.send();
        return;
      }
      found = it->second;
    }
    resp.set("Docker-Content-Digest", sha256Digest(found.first));
    if (req.getMethod() == "HEAD") {
      resp.setContentType(found.second);
      resp.setContentLength(static_cast<std::streamsize>(found.first.size()));
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
      resp.send();
      return;
    }
    reply(resp, 200, found.first, found.second);
  }

  std::mutex mu;
  std::vector<Request> log;
  std::vector<std::string> scopes;
  std::map<std::string, std::pair<std::string, std::string>> manifests;
};

std::unique_ptr<RegistryApiPublisher> publisherFor(const FakeRegistry& registry,
                                                   const std::string& password = "secret") {
  RegistryApiOptions options;
  options.url = registry.url();
  options.username = "robot";
  options.password = password;
  options.timeout = std::chrono::milliseconds(5000);
  auto opened = RegistryApiPublisher::open(options);
  BOOST_REQUIRE_MESSAGE(opened.isOk(), opened.status().toString());
  return std::move(opened).value();
}

std::string describe(const std::vector<Request>& requests) {
  std::string out;
  for (const auto& r : requests) out += r.method + " " + r.path + " [" + r.contentType + "]\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(RegistryApiPublisherTest)

BOOST_AUTO_TEST_CASE(children_then_index_by_digest_then_the_tag_each_with_its_media_type) {
  FakeRegistry registry;
  auto publisher = publisherFor(registry);
  const std::string child = sha256Digest(kChild), index = sha256Digest(kIndex);
  BOOST_TEST(publisher->putManifest("mirror/app", child, kChild).isOk());
  BOOST_TEST(publisher->putManifest("mirror/app", index, kIndex).isOk());
  BOOST_TEST(publisher->setTag("mirror/app", "v1", index).isOk());

  auto requests = registry.requests();
  BOOST_TEST_INFO(describe(requests));
  BOOST_REQUIRE(requests.size() == 3u);
  BOOST_TEST(requests[0].method == "PUT");
  BOOST_TEST(requests[0].path == "/v2/mirror/app/manifests/" + child);
  BOOST_TEST(requests[0].contentType == kDockerManifest);
  BOOST_TEST(requests[1].path == "/v2/mirror/app/manifests/" + index);
  BOOST_TEST(requests[1].contentType == kOciIndex);
  BOOST_TEST(requests[2].method == "PUT");
  BOOST_TEST(requests[2].path == "/v2/mirror/app/manifests/v1");
  BOOST_TEST(requests[2].contentType == kOciIndex);

  auto tag = publisher->getTag("mirror/app", "v1");
  BOOST_REQUIRE(tag.isOk());
  BOOST_TEST(*tag == index);
  BOOST_TEST(publisher->manifestExists("mirror/app", child).isOk());
  BOOST_TEST(publisher->getTag("mirror/app", "v2").status().code() == StatusCode::kNotFound);
  BOOST_TEST(publisher->manifestExists("mirror/app", sha256Digest("other")).code() ==
             StatusCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(a_refused_put_reports_the_registrys_code_and_message_and_no_upload) {
  FakeRegistry registry;
  registry.refusePuts = true;
  auto publisher = publisherFor(registry);
  tributary::Status s = publisher->putManifest("mirror/app", sha256Digest(kChild), kChild);
  BOOST_TEST(!s.isOk());
  BOOST_TEST_INFO(s.toString());
  BOOST_TEST(s.message().find("HTTP 400") != std::string::npos);
  BOOST_TEST(s.message().find("MANIFEST_BLOB_UNKNOWN: blob unknown to registry") !=
             std::string::npos);
  BOOST_TEST(s.message().find("same storage root") != std::string::npos);
  for (const auto& r : registry.requests()) BOOST_TEST(r.path.find("/blobs/") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(basic_credentials_answer_the_challenge_and_a_wrong_password_is_unauthenticated) {
  FakeRegistry registry;
  registry.auth = FakeRegistry::Auth::kBasic;
  auto good = publisherFor(registry);
  BOOST_TEST(good->putManifest("mirror/app", sha256Digest(kChild), kChild).isOk());
  BOOST_TEST(registry.requests().back().authorization.rfind("Basic ", 0) == 0);

  auto bad = publisherFor(registry, "wrong");
  tributary::Status s = bad->setTag("mirror/app", "v1", sha256Digest(kChild));
  BOOST_TEST(s.code() == StatusCode::kUnauthenticated);
  BOOST_TEST_INFO(s.message());
  BOOST_TEST(s.message().find("UNAUTHORIZED: authentication required") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(concurrent_first_requests_all_learn_basic_instead_of_failing) {
  // The provider resolves tags in parallel, so the first requests to the registry go out
  // together, before any of them has learned that it wants Basic.
  FakeRegistry registry;
  registry.auth = FakeRegistry::Auth::kBasic;
  const std::string child = sha256Digest(kChild);
  registry.store("mirror/app@v1", kChild, kDockerManifest);
  for (int round = 0; round < 5; ++round) {
    auto publisher = publisherFor(registry);
    std::vector<tributary::Status> results(8);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < results.size(); ++i)
      threads.emplace_back([&, i] { results[i] = publisher->getTag("mirror/app", "v1").status(); });
    for (auto& t : threads) t.join();
    for (const auto& r : results) BOOST_TEST(r.isOk(), r.toString());
  }
}

BOOST_AUTO_TEST_CASE(bearer_tokens_are_asked_for_with_pull_and_push_scope) {
  FakeRegistry registry;
  registry.auth = FakeRegistry::Auth::kBearer;
  auto publisher = publisherFor(registry);
  tributary::Status s = publisher->putManifest("mirror/app", sha256Digest(kChild), kChild);
  BOOST_TEST(s.isOk(), s.toString());
  auto scopes = registry.tokenScopes();
  BOOST_REQUIRE(!scopes.empty());
  BOOST_TEST(scopes.back() == "repository:mirror/app:pull,push");
  BOOST_TEST(registry.requests().back().authorization == "Bearer good-token");
}

BOOST_AUTO_TEST_CASE(a_rejected_token_request_fails_with_the_realms_answer) {
  FakeRegistry registry;
  registry.auth = FakeRegistry::Auth::kBearer;
  auto publisher = publisherFor(registry, "wrong");
  tributary::Status s = publisher->putManifest("mirror/app", sha256Digest(kChild), kChild);
  BOOST_TEST(!s.isOk());
  BOOST_TEST(rp::toRpStatus(s) == RP_ERR_UNAUTHENTICATED);
}

BOOST_AUTO_TEST_CASE(tagging_a_revision_pushed_earlier_fetches_its_bytes_by_digest) {
  FakeRegistry registry;
  const std::string child = sha256Digest(kChild);
  registry.store("mirror/app@" + child, kChild, kDockerManifest);
  auto publisher = publisherFor(registry);  // a fresh publisher: nothing cached
  BOOST_TEST(publisher->setTag("mirror/app", "latest", child).isOk());
  auto requests = registry.requests();
  BOOST_TEST_INFO(describe(requests));
  BOOST_REQUIRE(requests.size() == 2u);
  BOOST_TEST(requests[0].method == "GET");
  BOOST_TEST(requests[0].path == "/v2/mirror/app/manifests/" + child);
  BOOST_TEST(requests[1].method == "PUT");
  BOOST_TEST(requests[1].path == "/v2/mirror/app/manifests/latest");
  BOOST_TEST(requests[1].contentType == kDockerManifest);
}

BOOST_AUTO_TEST_CASE(tagging_a_manifest_the_registry_lacks_is_a_failed_precondition) {
  FakeRegistry registry;
  auto publisher = publisherFor(registry);
  tributary::Status s = publisher->setTag("mirror/app", "v1", sha256Digest(kChild));
  BOOST_TEST(s.code() == StatusCode::kFailedPrecondition);
  BOOST_TEST(s.message().find("put the manifest first") != std::string::npos);
  for (const auto& r : registry.requests()) BOOST_TEST(r.method != "PUT");
}

BOOST_AUTO_TEST_CASE(bytes_that_do_not_match_the_digest_are_refused_before_any_request) {
  FakeRegistry registry;
  auto publisher = publisherFor(registry);
  tributary::Status s = publisher->putManifest("mirror/app", sha256Digest(kIndex), kChild);
  BOOST_TEST(s.code() == StatusCode::kDataLoss);
  BOOST_TEST(publisher->putManifest("Bad/Name", sha256Digest(kChild), kChild).code() ==
             StatusCode::kInvalidArgument);
  BOOST_TEST(registry.requests().empty());
}

BOOST_AUTO_TEST_CASE(media_type_comes_from_the_manifest_or_its_shape) {
  BOOST_TEST(RegistryApiPublisher::mediaTypeOf(kChild) == kDockerManifest);
  BOOST_TEST(RegistryApiPublisher::mediaTypeOf(kIndex) == kOciIndex);
  BOOST_TEST(RegistryApiPublisher::mediaTypeOf(R"({"schemaVersion":2,"config":{},"layers":[]})") ==
             "application/vnd.oci.image.manifest.v1+json");
  BOOST_TEST(RegistryApiPublisher::mediaTypeOf(R"({"schemaVersion":1,"fsLayers":[]})") ==
             "application/vnd.docker.distribution.manifest.v1+prettyjws");
}

BOOST_AUTO_TEST_CASE(the_url_must_be_an_http_or_https_origin) {
  auto open = [](const std::string& url, const std::string& ca = "") {
    RegistryApiOptions o;
    o.url = url;
    o.caFile = ca;
    return RegistryApiPublisher::open(o).status();
  };
  BOOST_TEST(open("https://harbor.example.org").isOk());
  BOOST_TEST(open("http://127.0.0.1:5000/").isOk());
  BOOST_TEST(open("https://harbor.example.org", "/etc/ca.crt").isOk());
  BOOST_TEST(open("ftp://harbor.example.org").code() == StatusCode::kInvalidArgument);
  BOOST_TEST(open("https://harbor.example.org/v2").code() == StatusCode::kInvalidArgument);
  BOOST_TEST(open("https://robot:pw@harbor.example.org").code() == StatusCode::kInvalidArgument);
  BOOST_TEST(open("http://127.0.0.1:5000", "/etc/ca.crt").code() == StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(the_table_writes_blobs_into_storage_and_manifests_through_the_api) {
  storage_test::TempDir root;
  FakeRegistry registry;
  auto storage = DistributionStorage::open(root.path(), {0644, 0755, false});
  BOOST_REQUIRE(storage.isOk());
  auto publisher = publisherFor(registry);
  RegistryApiStorageTable composed(**storage, *publisher);
  const rp_storage_v1& t = *composed.table();
  auto str = [](const std::string& s) { return rp_str{s.data(), s.size()}; };

  const std::string layer = "layer bytes";
  const std::string layerDigest = sha256Digest(layer);
  rp_blob_writer_host_ptr* writer = nullptr;
  BOOST_REQUIRE(t.blob_writer_open(t.user_data, str(layerDigest), layer.size(), &writer, nullptr) ==
                RP_OK);
  BOOST_TEST(t.blob_writer_write(t.user_data, writer,
                                 rp_bytes{reinterpret_cast<const uint8_t*>(layer.data()),
                                          layer.size()},
                                 nullptr) == RP_OK);
  BOOST_TEST(t.blob_writer_offset(t.user_data, writer) == layer.size());
  BOOST_TEST(t.blob_writer_commit(t.user_data, writer, nullptr) == RP_OK);
  BOOST_TEST(t.link_blob(t.user_data, str("mirror/app"), str(layerDigest), nullptr) == RP_OK);
  uint64_t size = 0;
  BOOST_TEST(t.blob_stat(t.user_data, str(layerDigest), &size, nullptr) == RP_OK);
  BOOST_TEST(size == layer.size());
  BOOST_TEST(registry.requests().empty());  // blobs never go over HTTP

  const std::string child = sha256Digest(kChild);
  rp_bytes bytes{reinterpret_cast<const uint8_t*>(kChild.data()), kChild.size()};
  BOOST_TEST(t.put_manifest(t.user_data, str("mirror/app"), str(child), bytes, nullptr) == RP_OK);
  BOOST_TEST(t.tag_set(t.user_data, str("mirror/app"), str("v1"), str(child), nullptr) == RP_OK);
  char digest[RP_DIGEST_BUF_SIZE];
  BOOST_TEST(t.tag_get(t.user_data, str("mirror/app"), str("v1"), digest, nullptr) == RP_OK);
  BOOST_TEST(std::string(digest) == child);
  BOOST_TEST(t.manifest_exists(t.user_data, str("mirror/app"), str(child), nullptr) == RP_OK);
  // The registry, not Tributary, writes manifests into storage.
  BOOST_TEST((*storage)->manifestExists("mirror/app", child).code() == StatusCode::kNotFound);

  // A refusal reaches the provider as the registry's words, without a status-code name.
  registry.refusePuts = true;
  rp_host_owned_str error{nullptr, 0};
  BOOST_TEST(t.tag_set(t.user_data, str("mirror/app"), str("v2"), str(child), &error) ==
             RP_ERR_FAILED_PRECONDITION);
  BOOST_REQUIRE(error.ptr != nullptr);
  const std::string message(error.ptr, error.len);
  freeHostString(nullptr, &error);
  BOOST_TEST_INFO(message);
  BOOST_TEST(message.rfind("putting manifest mirror/app:v2 to 127.0.0.1:", 0) == 0);
  BOOST_TEST(message.find("MANIFEST_BLOB_UNKNOWN") != std::string::npos);
  BOOST_TEST(t.tag_get(t.user_data, str("mirror/app"), str("v2"), digest, nullptr) ==
             RP_ERR_NOT_FOUND);
}

BOOST_AUTO_TEST_CASE(host_storage_picks_the_table_for_the_mode) {
  storage_test::TempDir root;
  HostStorageOptions plain;
  plain.rootDirectory = root.path();
  auto storageMode = HostStorage::open(plain);
  BOOST_REQUIRE(storageMode.isOk());
  BOOST_TEST((*storageMode)->mode() == PublishMode::kStorage);
  BOOST_TEST((*storageMode)->describe().rfind("storage (", 0) == 0);

  HostStorageOptions api = plain;
  api.mode = PublishMode::kRegistryApi;
  api.registryApi.url = "http://127.0.0.1:5999";
  auto apiMode = HostStorage::open(api);
  BOOST_REQUIRE(apiMode.isOk());
  BOOST_TEST((*apiMode)->describe() ==
             "registry_api (blobs into storage, manifests and tags through "
             "http://127.0.0.1:5999)");
  BOOST_TEST((*apiMode)->table() != (*storageMode)->table());
  BOOST_TEST((*apiMode)->table()->struct_size == sizeof(rp_storage_v1));

  api.registryApi.url = "harbor.example.org";
  BOOST_TEST(HostStorage::open(api).status().code() == StatusCode::kInvalidArgument);
  BOOST_TEST((parsePublishMode("registry_api") == PublishMode::kRegistryApi));
  BOOST_TEST(!parsePublishMode("http").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
