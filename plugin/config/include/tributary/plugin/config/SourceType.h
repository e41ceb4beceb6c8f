// The source types a rule may name and their limits (DESIGN §2 "Limits").
#pragma once

#include <string_view>

namespace tributary::plugin {

struct SourceType {
  const char* name;
  int maxLatestN;           // 5 for Docker Hub (pull rate limits), 30 for the others
  bool requiresDomain;      // custom: the registry host is the rule's business
  bool allowsDomain;        // gcr: gcr.io / *.gcr.io / <region>-docker.pkg.dev
  const char* defaultHost;  // registry host when the rule gives none ("" = none)

  /// nullptr when unknown.
  static const SourceType* find(std::string_view name);
  /// All types, for info() and error messages; ends with a {nullptr,...} sentinel.
  static const SourceType* all();
  /// "dockerhub, gcr, quay, custom".
  static const char* namesList();
};

}  // namespace tributary::plugin
