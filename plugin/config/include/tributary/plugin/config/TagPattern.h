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

  /// True when the whole tag matches. A match that hits a limit (PCRE2's match, depth or JIT
  /// stack limit: a catastrophically backtracking pattern) counts as no match, and is kept
  /// for limitError().
  bool matches(const std::string& tag) const;

  /// OK, or kResourceExhausted naming the pattern, the first tag on which a match hit a limit
  /// and the limit: "tag regex `(a+)+$` hit PCRE2's match limit (1000000) on tag `aaa…b`;
  /// simplify the pattern". A listing that saw one fails the rule's run with it.
  Status limitError() const { return limitError_; }

  const std::string& pattern() const { return pattern_; }

 private:
  struct Handles;
  TagPattern(std::string pattern, std::unique_ptr<Handles> handles);

  std::string pattern_;
  std::unique_ptr<Handles> handles_;
  mutable Status limitError_;  // the first limit hit (same thread rules as matches)
};

}  // namespace tributary::plugin
