#include "tributary/plugin/selection/OverwritePolicy.h"

namespace tributary::plugin {

OverwritePolicy::Decision OverwritePolicy::decide(
    const std::optional<std::string>& destinationDigest, const std::string& targetDigest) const {
  if (!destinationDigest) return Decision::kWrite;
  if (*destinationDigest == targetDigest) return Decision::kUnchanged;
  return overwrite_ ? Decision::kReplace : Decision::kKeep;
}

}  // namespace tributary::plugin
