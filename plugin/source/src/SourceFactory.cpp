#include "tributary/plugin/source/SourceFactory.h"

#include <chrono>

#include "tributary/registry/CachingRegistryReader.h"
#include "tributary/registry/ClientRegistryReader.h"
#include "tributary/custom/CustomSource.h"
#include "tributary/plugin/source/MirroredRegistryReader.h"
#include "tributary/plugin/config/SourceType.h"

namespace tributary::plugin {

Result<std::unique_ptr<SourceSession>> SourceFactory::open(const Rule& rule,
                                                           const ProviderConfig& config,
                                                           registry::Credentials credentials,
                                                           std::function<bool()> isCancelled,
                                                           JsonFileCache& createdCache,
                                                           Logger& logger) {
  if (rule.source.type != "custom")
    return unimplementedError("source type " + rule.source.type +
                              " is not available in this build yet (only custom)");
  const SourceType* type = SourceType::find(rule.source.type);
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
    return o;
  };
  const std::string host =
      rule.source.domain.empty() && type ? type->defaultHost : rule.source.domain;
  registry::RegistryClientOptions options = optionsFor(host);
  options.credentials = std::move(credentials);
  auto session = std::make_unique<SourceSession>();
  session->client = std::make_unique<registry::RegistryClient>(std::move(options));
  session->originReader = std::make_unique<registry::ClientRegistryReader>(*session->client);
  session->endpoints = std::make_unique<SourceEndpoints>(*session->originReader, host, logger);
  auto mirrors = config.mirrors.find(host);
  if (rule.acceleration && mirrors != config.mirrors.end()) {
    for (const std::string& mirror : mirrors->second) {
      registry::RegistryClientOptions m = optionsFor(mirror);
      m.maxAttempts = 1;
      session->mirrorClients.push_back(std::make_unique<registry::RegistryClient>(std::move(m)));
      session->mirrorReaders.push_back(
          std::make_unique<registry::ClientRegistryReader>(*session->mirrorClients.back()));
      session->endpoints->addMirror(mirror, *session->mirrorReaders.back());
    }
  }
  if (session->endpoints->hasMirrors())
    session->directReader = std::make_unique<MirroredRegistryReader>(*session->endpoints);
  else
    session->directReader = std::make_unique<registry::ClientRegistryReader>(*session->client);
  session->contents = std::make_unique<registry::ContentStore>();
  session->reader = std::make_unique<registry::CachingRegistryReader>(*session->directReader,
                                                                      *session->contents);
  session->adapter = std::make_unique<custom::CustomSource>(
      *session->reader, rule.source.repository, createdCache,
      config.concurrency);
  return session;
}

}  // namespace tributary::plugin
