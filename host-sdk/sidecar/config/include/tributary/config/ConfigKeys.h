// ConfigKeys: every key the host accepts under `replication:` (and under `storage.s3:`, whose
// keys are Distribution's, read strictly) in the registry's config.yml —
// the one table that strict parsing, "did you mean" hints, `tributary config-keys` and the
// documentation test (every key is in docs/reference.md) read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tributary::config {

/// How the value at a key is checked by the table walk (RegistryConfig::parse).
enum class ConfigKeyKind {
  kValue,     // a scalar or list; its type is checked by whoever reads it
  kMapping,   // a mapping whose keys must all be in the table
  kNamedMap,  // a mapping of user-chosen names (credentials); each child is `<path>.*`
  kOpaque,    // a subtree handed on unchecked (the provider checks its own config)
};

struct ConfigKey {
  const char* path;     // "replication.provider.library"; `*` stands for a user-chosen name
  ConfigKeyKind kind;
  const char* usedBy;   // "tributary sync", "tributary serve", "publishing mode"
  const char* summary;  // one line, as in docs/reference.md
};

/// The table, parents before children. To accept a new key: add one row here and a line in
/// docs/reference.md (the `config_keys_documented` test checks every row is documented).
const std::vector<ConfigKey>& configKeys();

/// The row for `path` (`*` segments matched literally), or nullptr.
const ConfigKey* findConfigKey(std::string_view path);

/// Names of the direct children of `parentPath` in the table ("provider", "state_dir", …).
std::vector<std::string> childKeyNames(std::string_view parentPath);

/// Levenshtein distance (insert, delete, substitute; a swap of neighbours counts 1).
size_t editDistance(std::string_view a, std::string_view b);

/// The candidate closest to `word` when close enough to be a typo (distance <= 2, and less
/// than half the word's length), else "".
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace tributary::config
