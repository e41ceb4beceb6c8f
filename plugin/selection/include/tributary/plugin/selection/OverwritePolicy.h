// What to do with a destination tag (DESIGN §2 "Overwrite"): absent -> write; same digest ->
// unchanged; another digest -> replace only when overwrite is on, else keep it.
#pragma once

#include <optional>
#include <string>

namespace tributary::plugin {

class OverwritePolicy {
 public:
  enum class Decision { kWrite, kUnchanged, kReplace, kKeep };

  explicit OverwritePolicy(bool overwrite) : overwrite_(overwrite) {}

  /// `destinationDigest`: what the destination tag points at now (nullopt = no such tag);
  /// `targetDigest`: what the sync would point it at.
  Decision decide(const std::optional<std::string>& destinationDigest,
                  const std::string& targetDigest) const;

  static constexpr const char* kKeptReason =
      "kept: destination differs (set destination.overwrite: true to replace it)";

 private:
  bool overwrite_;
};

}  // namespace tributary::plugin
