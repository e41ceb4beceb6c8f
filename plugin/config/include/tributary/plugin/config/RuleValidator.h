// Turns rule JSON into a Rule, or into every problem found, one per line.
//
// Defaults (documented in the report to the host): policy.tag_regex ".*", policy.latest_n 5
// (the largest value every source type accepts), policy.platforms [] (all), destination.overwrite
// false, acceleration false, update_period "manual" (a rule with no period only runs when
// executed — nothing happens behind the operator's back), source.domain "gcr.io" for gcr.
// A one-component Docker Hub repository gets the `library/` namespace, as docker pull does.
// Unknown fields are problems (a typo must not silently become a default). JSON null counts as
// absent for optional fields.
//
// Thread rules: stateless; any thread.
#pragma once

#include <string>

#include "tributary/Status.h"
#include "tributary/plugin/config/Rule.h"

namespace tributary::plugin {

class RuleValidator {
 public:
  /// kInvalidArgument with one problem per line (no trailing newline) when anything is wrong.
  static Result<Rule> validate(const std::string& ruleJson);
};

}  // namespace tributary::plugin
