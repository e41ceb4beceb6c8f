// The registry's config.yml (YAML, then the replication: section to JSON): never crashes;
// every refusal is a Status with a message, never an escaped exception.
#include "FuzzInput.h"
#include "tributary/config/RegistryConfig.h"

using tributary::config::RegistryConfig;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = tributary::fuzz::asString(data, size);
  auto config = RegistryConfig::parse(text, "fuzz.yml", "/nonexistent");
  if (!config.isOk() && config.status().message().empty())
    tributary::fuzz::propertyFailed("refusal without a message", text);
  return 0;
}
