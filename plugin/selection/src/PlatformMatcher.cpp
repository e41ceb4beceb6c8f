#include "tributary/plugin/selection/PlatformMatcher.h"

namespace tributary::plugin {

PlatformMatcher::PlatformMatcher(std::vector<Platform> filter) {
  // Normalise again and drop duplicates so callers may pass raw spellings.
  for (const Platform& p : filter) {
    Platform n = Platform::normalised(p.os, p.architecture, p.variant);
    bool seen = false;
    for (const Platform& q : filter_) seen = seen || q == n;
    if (!seen) filter_.push_back(n);
  }
}

bool PlatformMatcher::matches(const std::string& os, const std::string& architecture,
                              const std::string& variant) const {
  if (filter_.empty()) return true;
  const Platform p = Platform::normalised(os, architecture, variant);
  for (const Platform& f : filter_)
    if (f == p) return true;
  return false;
}

std::vector<size_t> PlatformMatcher::select(const std::vector<registry::Descriptor>& children) const {
  std::vector<size_t> out;
  if (filter_.empty()) {
    for (size_t i = 0; i < children.size(); ++i) out.push_back(i);
    return out;
  }
  std::vector<bool> taken(filter_.size(), false);
  for (size_t i = 0; i < children.size(); ++i) {
    const registry::Descriptor& c = children[i];
    if (c.isAttestation() || !c.hasPlatform) continue;
    const Platform p =
        Platform::normalised(c.platform.os, c.platform.architecture, c.platform.variant);
    for (size_t f = 0; f < filter_.size(); ++f) {
      if (!taken[f] && filter_[f] == p) {
        taken[f] = true;
        out.push_back(i);
        break;
      }
    }
  }
  return out;
}

std::string PlatformMatcher::describe() const {
  std::string s = "[";
  for (size_t i = 0; i < filter_.size(); ++i) s += (i ? ", " : "") + filter_[i].toString();
  return s + "]";
}

std::string PlatformMatcher::key() const {
  std::string s;
  for (size_t i = 0; i < filter_.size(); ++i) s += (i ? "," : "") + filter_[i].toString();
  return s;
}

}  // namespace tributary::plugin
