// A SourceAdapter over a FakeRegistry whose tag times the test sets directly, so engine tests
// do not depend on any one adapter's timestamp rule.
#pragma once

#include <cstdlib>
#include <map>
#include <optional>

#include "FakeRegistry.h"
#include "tributary/registry/SourceAdapter.h"

namespace tributary::testing {

class FakeSource final : public registry::SourceAdapter {
 public:
  FakeSource(FakeRegistry& reg, std::string repository)
      : reg_(reg), repository_(std::move(repository)) {}

  void setTime(const std::string& tag, int64_t ms) { times_[tag] = ms; }
  /// The tag is listed with this error (as an adapter does when it cannot read one tag).
  void setError(const std::string& tag, Status error) { errors_[tag] = std::move(error); }

  const std::string& repository() const override { return repository_; }
  Result<std::vector<registry::TagInfo>> listTags(
      const std::function<bool(const std::string&)>& wanted) override {
    TRIB_ASSIGN_OR_RETURN(std::vector<std::string> tags, reg_.listTags(repository_));
    std::vector<registry::TagInfo> out;
    for (const std::string& t : tags) {
      if (wanted && !wanted(t)) continue;
      registry::TagInfo info;
      info.tag = t;
      auto it = times_.find(t);
      if (it != times_.end()) info.pushedAtMs = it->second;
      info.timestampSource = "test";
      if (auto e = errors_.find(t); e != errors_.end()) {
        info.error = e->second;
        info.pushedAtMs.reset();
        info.timestampSource.clear();
      }
      out.push_back(info);
    }
    return out;
  }

 private:
  FakeRegistry& reg_;
  std::string repository_;
  std::map<std::string, int64_t> times_;
  std::map<std::string, Status> errors_;
};

}  // namespace tributary::testing
