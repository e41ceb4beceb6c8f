// A subscription rule (DESIGN §2) after validation: every default applied, every name
// checked. Produced only by RuleValidator.
#pragma once

#include <string>
#include <vector>

#include "tributary/plugin/config/Platform.h"

namespace tributary::plugin {

struct RuleSource {
  std::string type;        // dockerhub | gcr | quay | custom
  std::string domain;      // host[:port]; custom (required) and gcr (default gcr.io); else ""
  std::string repository;  // <namespace>/<repository> ("nginx" on dockerhub -> library/nginx)
  std::string credential;  // name of a host secret; "" = anonymous
};

struct RulePolicy {
  std::string tagRegex = ".*";
  int latestN = 5;
  std::vector<Platform> platforms;  // empty = all platforms
};

struct RuleDestination {
  std::string repository;
  bool overwrite = false;
};

struct Rule {
  std::string name;
  RuleSource source;
  RulePolicy policy;
  RuleDestination destination;
  bool acceleration = false;
  std::string updatePeriod = "manual";

  /// The normalised JSON (keys in the order of DESIGN §2; `domain` and `credential` only when
  /// set; `platforms` always, [] = all).
  std::string toJson() const;
};

}  // namespace tributary::plugin
