#include "tributary/plugin/config/SourceType.h"

namespace tributary::plugin {
namespace {
// Trivially destructible table (no static objects with destructors in the .so).
constexpr SourceType kTypes[] = {
    {"dockerhub", 5, false, false, "registry-1.docker.io"},
    {"gcr", 30, false, true, "gcr.io"},
    {"quay", 30, false, false, "quay.io"},
    {"custom", 30, true, true, ""},
    {nullptr, 0, false, false, nullptr},
};
}  // namespace

const SourceType* SourceType::find(std::string_view name) {
  for (const SourceType* t = kTypes; t->name != nullptr; ++t)
    if (name == t->name) return t;
  return nullptr;
}

const SourceType* SourceType::all() { return kTypes; }

const char* SourceType::namesList() { return "dockerhub, gcr, quay, custom"; }

}  // namespace tributary::plugin
