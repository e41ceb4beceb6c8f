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
  /// The tag cannot be fetched this run (as a spent pull budget says).
  void defer(const std::string& tag, registry::FetchDeferral why) { deferred_[tag] = std::move(why); }
  void setBudget(registry::PullBudget budget) { budget_ = budget; }
  void addNote(std::string note) { notes_.push_back(std::move(note)); }

  registry::TimestampKind timestampKind() const override { return registry::TimestampKind::kPushed; }
  std::optional<registry::FetchDeferral> deferFetch(const registry::TagInfo& tag,
                                                    const registry::FetchAsk&) override {
    auto it = deferred_.find(tag.tag);
    if (it == deferred_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<registry::PullBudget> budget() const override { return budget_; }
  std::vector<std::string> notes() const override { return notes_; }

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
  std::map<std::string, registry::FetchDeferral> deferred_;  // read-only while resolving
  std::optional<registry::PullBudget> budget_;
  std::vector<std::string> notes_;
};

}  // namespace tributary::testing
