#include "tributary/plugin/config/Platform.h"

#include <vector>

namespace tributary::plugin {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool validPart(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Platform Platform::normalised(std::string_view osIn, std::string_view archIn,
                              std::string_view variantIn) {
  Platform p{lower(osIn), lower(archIn), lower(variantIn)};
  if (p.os == "macos") p.os = "darwin";
  // Bare variant numbers ("7") are spelled with a v ("v7").
  if (!p.variant.empty() && p.variant[0] >= '0' && p.variant[0] <= '9') p.variant = "v" + p.variant;
  if (p.architecture == "i386") {
    p.architecture = "386";
    p.variant.clear();
  } else if (p.architecture == "x86_64" || p.architecture == "x86-64" || p.architecture == "amd64") {
    p.architecture = "amd64";
    if (p.variant == "v1") p.variant.clear();
  } else if (p.architecture == "aarch64" || p.architecture == "arm64") {
    p.architecture = "arm64";
    if (p.variant == "v8" || p.variant == "v8.0") p.variant.clear();
  } else if (p.architecture == "armhf") {
    p.architecture = "arm";
    p.variant = "v7";
  } else if (p.architecture == "armel") {
    p.architecture = "arm";
    p.variant = "v6";
  } else if (p.architecture == "arm") {
    if (p.variant.empty()) p.variant = "v7";
  }
  return p;
}

Result<Platform> Platform::parse(std::string_view text) {
  const std::string quoted = "platform `" + std::string(text) + "`";
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                       : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 3)
    return invalidArgumentError(quoted + " is invalid: expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7");
  static constexpr const char* kNames[] = {"os", "architecture", "variant"};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!validPart(parts[i]))
      return invalidArgumentError(quoted + " is invalid: " + kNames[i] +
                                  (parts[i].empty() ? " is empty"
                                                    : " may only contain [a-z0-9._-]"));
  }
  return normalised(parts[0], parts[1], parts.size() == 3 ? parts[2] : std::string_view());
}

std::string Platform::toString() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

}  // namespace tributary::plugin
