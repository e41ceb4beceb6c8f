// Decides, for one selected tag, what the destination tag should point at and what must be
// stored for it (DESIGN §2 "Platforms" and "Overwrite"), with as few source requests as
// possible: HEAD the tag; when the destination already holds the target digest, stop there
// (no manifest GET). With a single-platform filter the target is a child of the index, so the
// index-digest -> chosen-child choice is remembered in `choiceCache` to keep a no-op re-run
// HEAD-only as well.
//
// Thread rules: one resolver per task. resolve() only reads the resolver's own state, so it
// may run on several threads at once (resolveAll does that); the reader, storage and choice
// cache it borrows allow concurrent calls.
#pragma once

#include "tributary/registry/JsonFileCache.h"
#include "tributary/registry/ParsedManifest.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/plugin/OverwritePolicy.h"
#include "tributary/plugin/PlatformMatcher.h"
#include "tributary/plugin/ResolvedTag.h"
#include "tributary/plugin/Rule.h"
#include "tributary/plugin/Storage.h"
#include "tributary/plugin/TaskContext.h"

namespace tributary::plugin {

class TagResolver {
 public:
  TagResolver(const Rule& rule, const std::string& sourceRepository,
              registry::RegistryReader& reader, Storage& storage, registry::JsonFileCache& choiceCache);

  /// Never fails as a whole: problems become kSkipped (the tag can't be synced as the rule
  /// asks) or kFailed (an error that may go away) in the result.
  ResolvedTag resolve(const registry::TagInfo& info);

  /// With a pull budget (Docker Hub): every tag asks it for the manifest GETs it needs before
  /// the first one (1 for an image, 1 + the children to copy for an index, counted from the
  /// listing's platforms when it has them, else asked for once the index is read) and is
  /// deferred when refused; tags are then resolved one at a time. `dryRun`: the GETs are only
  /// counted, never made (a plan spends no pulls; its byte counts are then unknown).
  void setPullBudget(registry::PullBudget* budget, bool dryRun) {
    budget_ = budget;
    dryRun_ = dryRun;
  }

  /// resolve() for every tag, on up to `concurrency` threads (the tags' HEADs and GETs are
  /// independent); the results are in the order of `tags`, exactly as a serial loop gives
  /// them. kCancelled when the task is cancelled (checked before each tag starts).
  Result<std::vector<ResolvedTag>> resolveAll(const std::vector<registry::TagInfo>& tags,
                                              int concurrency, const TaskContext& task);

 private:
  Status resolveInto(ResolvedTag& out);
  Status addImage(ResolvedTag& out, const std::string& digest, const std::string& bytes,
                  const registry::ParsedManifest& parsed, bool checkPlatform, bool& platformOk);
  std::string choiceKey(const std::string& sourceDigest) const;
  /// Applies the overwrite policy; true when the tag needs no manifest work.
  bool decide(ResolvedTag& out, const std::optional<std::string>& destination);
  /// Asks the budget for `pulls` GETs (the first ask of a tag begins it). false: `out` is
  /// deferred (or, dry run, counted and done).
  bool askBudget(ResolvedTag& out, int64_t pulls, bool first);

  const Rule& rule_;
  const std::string sourceRepository_;
  registry::RegistryReader& reader_;
  Storage& storage_;
  registry::JsonFileCache& choiceCache_;
  PlatformMatcher matcher_;
  OverwritePolicy overwrite_;
  registry::PullBudget* budget_ = nullptr;
  bool dryRun_ = false;
};

}  // namespace tributary::plugin
