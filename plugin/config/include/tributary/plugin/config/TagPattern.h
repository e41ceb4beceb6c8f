// A compiled tag_regex: PCRE2, matching the WHOLE tag (anchored at both ends, so `1.2` does
// not match `1.25`), JIT-compiled when the platform supports it, with match and depth limits
// so a pathological pattern fails a match instead of hanging a worker.
//
// Thread rules: a TagPattern may be used from one thread at a time (it owns match data).
#pragma once

#include <memory>
#include <string>

#include "tributary/Status.h"

namespace tributary::plugin {

class TagPattern {
 public:
  static constexpr uint32_t kMatchLimit = 1000000;
  static constexpr uint32_t kDepthLimit = 10000;

  /// kInvalidArgument: "tag regex `(` is invalid: missing closing parenthesis at offset 1".
  static Result<TagPattern> compile(const std::string& pattern);

  TagPattern(TagPattern&&) noexcept;
  TagPattern& operator=(TagPattern&&) noexcept;
  ~TagPattern();

  /// True when the whole tag matches. A match that hits a limit counts as no match.
  bool matches(const std::string& tag) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Handles;
  TagPattern(std::string pattern, std::unique_ptr<Handles> handles);

  std::string pattern_;
  std::unique_ptr<Handles> handles_;
};

}  // namespace tributary::plugin
