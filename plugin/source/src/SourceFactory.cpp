#include "tributary/plugin/source/SourceFactory.h"

#include <chrono>

#include "tributary/custom/CustomSource.h"
#include "tributary/dockerhub/BudgetedRegistryReader.h"
#include "tributary/dockerhub/DockerHubSource.h"
#include "tributary/gcr/GcrSource.h"
#include "tributary/plugin/source/MirroredRegistryReader.h"
#include "tributary/quay/QuaySource.h"
#include "tributary/registry/CachingRegistryReader.h"
#include "tributary/registry/ClientRegistryReader.h"
#include "tributary/registry/VendorEndpoint.h"

namespace tributary::plugin {
namespace {

// The origin (scheme://host[:port]) of a URL that may carry a path (the Hub token realm).
std::string originOf(const std::string& url) {
  size_t hostStart = url.find("://");
  if (hostStart == std::string::npos) return url;
  return url.substr(0, url.find('/', hostStart + 3));
}

}  // namespace

Result<std::unique_ptr<SourceSession>> SourceFactory::open(const Rule& rule,
                                                           const ProviderConfig& config,
                                                           registry::Credentials credentials,
                                                           std::function<bool()> isCancelled,
                                                           JsonFileCache& createdCache,
                                                           Logger& logger,
                                                           custom::TagListMemory* tagMemory,
                                                           std::shared_ptr<registry::TlsContexts> tls,
                                                           std::shared_ptr<registry::IdleConnections> idle) {
  const std::string& type = rule.source.type;
  if (type != "custom" && type != "dockerhub" && type != "gcr" && type != "quay")
    return unimplementedError("source type " + type + " is not available in this build");
  // Connection settings of any host from the provider config.
  auto optionsFor = [&](const std::string& host) {
    registry::RegistryClientOptions o;
    o.host = host;
    o.plainHttp = config.insecureRegistries.count(host) > 0;
    o.insecureHosts = config.insecureRegistries;
    auto ca = config.caFiles.find(host);
    if (ca != config.caFiles.end()) o.caFile = ca->second;
    o.allowPrivateNetworks = config.allowPrivateNetworks;
    o.timeout = std::chrono::seconds(config.timeoutSeconds);
    o.lowSpeedLimitBytes = config.lowSpeedLimitBytes;
    o.lowSpeedTime = std::chrono::seconds(config.lowSpeedTimeSeconds);
    o.maxTags = static_cast<size_t>(config.maxTags);
    o.maxTagListBytes = config.maxTagListBytes;
    o.isCancelled = isCancelled;
    o.tlsContexts = tls;  // the provider's: the CA store is parsed once, not once per run
    o.idleConnections = idle;  // the provider's: the next run reuses this one's connections
    return o;
  };
  // A configured endpoint: plain http only with the host's consent in insecure_registries.
  auto endpoint = [&](const std::string& url, const std::string& what)
      -> Result<registry::VendorEndpoint> {
    TRIB_ASSIGN_OR_RETURN(registry::VendorEndpoint e, registry::VendorEndpoint::parse(url, what));
    if (e.plainHttp && config.insecureRegistries.count(e.host) == 0)
      return invalidArgumentError(what + " `" + url + "` is plain http; list " + e.host +
                                  " in insecure_registries to allow that");
    return e;
  };

  auto session = std::make_unique<SourceSession>();
  std::string host = rule.source.domain;
  std::string registryOrigin;
  std::string apiUrl;  // vendor REST API (dockerhub, quay)
  if (type == "dockerhub") {
    TRIB_ASSIGN_OR_RETURN(auto e, endpoint(config.endpoints.dockerhubRegistry,
                                           "endpoints.dockerhub.registry"));
    host = e.host;
    registryOrigin = e.origin;
    apiUrl = config.endpoints.dockerhubHubApi;
  } else if (type == "quay") {
    TRIB_ASSIGN_OR_RETURN(auto e, endpoint(config.endpoints.quayRegistry, "endpoints.quay.registry"));
    host = e.host;
    registryOrigin = e.origin;
    apiUrl = config.endpoints.quayApi;
  } else if (type == "gcr") {
    if (host.empty() || host == "gcr.io") {
      TRIB_ASSIGN_OR_RETURN(auto e, endpoint(config.endpoints.gcrRegistry, "endpoints.gcr.registry"));
      host = e.host;
      registryOrigin = e.origin;
    } else {
      registryOrigin = "https://" + host;
    }
  }
  registry::RegistryClientOptions options = optionsFor(host);
  std::string apiUsername, apiSecret, apiToken;
  if (type == "dockerhub") {
    // The Hub API login takes the same username + password/PAT; the registry's token service
    // is the only realm that may see them.
    apiUsername = credentials.username;
    apiSecret = credentials.password;
    credentials.realmOrigins = {originOf(config.endpoints.dockerhubAuth)};
    credentials.token.clear();
    session->budget =
        std::make_unique<dockerhub::DockerHubPullBudget>(config.dockerhubBudgetReserve);
    dockerhub::DockerHubPullBudget* budget = session->budget.get();
    options.onRegistryResponse = [budget](const std::string& method, int status,
                                          const std::map<std::string, std::string>& headers) {
      budget->observe(method, status, headers);
    };
    options.maxAttemptsOn429 = 1;  // a 429 means the quota is spent: defer, never hammer
  } else if (type == "quay") {
    apiToken = credentials.token;  // OAuth token: REST API only
    credentials.token.clear();
    credentials.realmOrigins = {registryOrigin};
  } else if (type == "gcr") {
    credentials.realmOrigins = {registryOrigin};  // gcr.io/v2/token, <loc>-docker.pkg.dev/v2/token
  }
  // Any 401 from the source or a mirror marks the run as challenged (see SourceSession).
  const auto noteChallenge = [flag = session->challenged](
                                 const std::string&, int status,
                                 const std::map<std::string, std::string>&) {
    if (status == 401) flag->store(true);
  };
  if (type == "custom") options.onRegistryResponse = noteChallenge;
  // A vendor endpoint's scheme decides (endpoint() checked insecure_registries for http).
  if (type != "custom") options.plainHttp = registryOrigin.rfind("http://", 0) == 0;
  const auto onIssuedToken = credentials.onIssuedToken;  // the Hub API login's tokens too
  options.credentials = std::move(credentials);
  session->client = std::make_unique<registry::RegistryClient>(std::move(options));
  session->rawOriginReader = std::make_unique<registry::ClientRegistryReader>(*session->client);
  if (session->budget)
    session->originReader = std::make_unique<dockerhub::BudgetedRegistryReader>(
        *session->rawOriginReader, *session->budget);
  else
    session->originReader = std::make_unique<registry::ClientRegistryReader>(*session->client);
  session->endpoints = std::make_unique<SourceEndpoints>(*session->originReader, host, logger);
  auto mirrors = config.mirrors.find(host);
  if (rule.acceleration && mirrors != config.mirrors.end()) {
    for (const std::string& mirror : mirrors->second) {
      registry::RegistryClientOptions m = optionsFor(mirror);
      m.maxAttempts = 1;
      m.onRegistryResponse = noteChallenge;
      session->mirrorClients.push_back(std::make_unique<registry::RegistryClient>(std::move(m)));
      session->mirrorReaders.push_back(
          std::make_unique<registry::ClientRegistryReader>(*session->mirrorClients.back()));
      session->endpoints->addMirror(mirror, *session->mirrorReaders.back());
    }
  }
  if (session->endpoints->hasMirrors())
    session->directReader = std::make_unique<MirroredRegistryReader>(*session->endpoints);
  else if (session->budget)
    session->directReader = std::make_unique<dockerhub::BudgetedRegistryReader>(
        *session->rawOriginReader, *session->budget);
  else
    session->directReader = std::make_unique<registry::ClientRegistryReader>(*session->client);
  session->contents = std::make_unique<registry::ContentStore>();
  session->reader = std::make_unique<registry::CachingRegistryReader>(*session->directReader,
                                                                      *session->contents);
  // Custom sources only: a vendor's fallback listing is rare, and its HEADs may count against a
  // pull budget that a speculative request must not spend.
  custom::ListingMemory memory;
  if (type == "custom" && tagMemory) {
    memory.memory = tagMemory;
    memory.key = host + "/" + rule.source.repository + "\n" + rule.policy.tagRegex + "\n" +
                 rule.source.credential;
    memory.challenged = [flag = session->challenged] { return flag->load(); };
  }
  auto custom = std::make_unique<custom::CustomSource>(*session->reader, rule.source.repository,
                                                       createdCache, config.concurrency,
                                                       std::move(memory));
  if (type == "custom") {
    session->adapter = std::move(custom);
    return session;
  }
  session->fallback = std::move(custom);
  if (type == "gcr") {
    session->adapter = std::make_unique<gcr::GcrSource>(*session->client, rule.source.repository,
                                                        *session->fallback);
    return session;
  }
  TRIB_ASSIGN_OR_RETURN(registry::VendorEndpoint api,
                        endpoint(apiUrl, type == "quay" ? "endpoints.quay.api"
                                                        : "endpoints.dockerhub.hub_api"));
  registry::RegistryClientOptions apiOptions = optionsFor(api.host);
  apiOptions.plainHttp = api.plainHttp;
  apiOptions.maxAttemptsOn429 = 2;  // one wait for Retry-After, then the created-order fallback
  session->apiClient = std::make_unique<registry::RegistryClient>(std::move(apiOptions));
  if (type == "dockerhub") {
    session->adapter = std::make_unique<dockerhub::DockerHubSource>(
        *session->apiClient, api, rule.source.repository, *session->budget,
        *session->fallback, apiUsername, apiSecret, onIssuedToken);
  } else {
    session->adapter = std::make_unique<quay::QuaySource>(
        *session->apiClient, api, rule.source.repository, *session->fallback,
        apiToken);
  }
  return session;
}

}  // namespace tributary::plugin
