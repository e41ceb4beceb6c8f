#include "tributary/plugin/SourceFactory.h"

#include "tributary/registry/ClientRegistryReader.h"
#include "tributary/custom/CustomSource.h"
#include "tributary/plugin/SourceType.h"

namespace tributary::plugin {

Result<std::unique_ptr<SourceSession>> SourceFactory::open(const Rule& rule,
                                                           const ProviderConfig& config,
                                                           registry::Credentials credentials,
                                                           std::function<bool()> isCancelled,
                                                           registry::JsonFileCache& createdCache) {
  if (rule.source.type != "custom")
    return unimplementedError("source type " + rule.source.type +
                              " is not available in this build yet (only custom)");
  const SourceType* type = SourceType::find(rule.source.type);
  registry::RegistryClientOptions options;
  options.host = rule.source.domain.empty() && type ? type->defaultHost : rule.source.domain;
  options.plainHttp = config.insecureRegistries.count(options.host) > 0;
  auto ca = config.caFiles.find(options.host);
  if (ca != config.caFiles.end()) options.caFile = ca->second;
  options.credentials = std::move(credentials);
  options.allowPrivateNetworks = config.allowPrivateNetworks;
  options.isCancelled = std::move(isCancelled);
  auto session = std::make_unique<SourceSession>();
  session->client = std::make_unique<registry::RegistryClient>(std::move(options));
  session->reader = std::make_unique<registry::ClientRegistryReader>(*session->client);
  session->adapter = std::make_unique<custom::CustomSource>(
      session->client.get(), *session->reader, rule.source.repository, createdCache);
  return session;
}

}  // namespace tributary::plugin
