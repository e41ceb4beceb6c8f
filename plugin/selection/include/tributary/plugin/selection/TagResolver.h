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

#include <chrono>

#include <functional>
#include <optional>

#include "tributary/JsonFileCache.h"
#include "tributary/registry/ParsedManifest.h"
#include "tributary/registry/RegistryReader.h"
#include "tributary/plugin/selection/OverwritePolicy.h"
#include "tributary/plugin/selection/PlatformMatcher.h"
#include "tributary/plugin/selection/ResolvedTag.h"
#include "tributary/plugin/config/Rule.h"
#include "tributary/plugin/host/Storage.h"
#include "tributary/plugin/host/TaskContext.h"

namespace tributary::plugin {

class TagResolver {
 public:
  TagResolver(const Rule& rule, const std::string& sourceRepository,
              registry::RegistryReader& reader, Storage& storage, JsonFileCache& choiceCache);

  /// Asked right before a tag's first manifest GET, with the GETs it needs; a deferral makes
  /// the tag kDeferred (see registry::SourceAdapter::deferFetch). Set before resolving.
  using FetchGate = std::function<std::optional<registry::FetchDeferral>(
      const registry::TagInfo&, const registry::FetchAsk&)>;
  /// `serialAdmission` (the source has a pull budget): tags are resolved one at a time in the
  /// order given (newest first), so an older tag never takes the pulls a newer one needed.
  /// Each tag then asks for all its GETs before the first (1 for an image, 1 + the children to
  /// copy for an index, counted from the listing's platforms when it has them, else asked for
  /// once the index is read). `countOnly` (a plan): admitted GETs are counted, never made, so
  /// such a tag's blobs (and byte counts) are unknown.
  void setFetchGate(FetchGate gate, bool serialAdmission = false, bool countOnly = false) {
    fetchGate_ = std::move(gate);
    serialAdmission_ = serialAdmission;
    countOnly_ = countOnly;
  }

  /// Never fails as a whole: problems become kSkipped (the tag can't be synced as the rule
  /// asks) or kFailed (an error that may go away) in the result.
  ResolvedTag resolve(const registry::TagInfo& info);

  /// resolve() for every tag, on up to `concurrency` threads (the tags' HEADs and GETs are
  /// independent); the results are in the order of `tags`, exactly as a serial loop gives
  /// them. kCancelled when the task is cancelled (checked before each tag starts).
  /// Tags that need no request (decidedLocally) are decided first on the calling thread,
  /// for at most kLocalBudget: a scheduled run of an unchanged source starts no thread for
  /// them, and a storage whose tag reads are slow (S3) still gets the pool for the rest.
  static constexpr std::chrono::microseconds kLocalBudget{500};
  Result<std::vector<ResolvedTag>> resolveAll(const std::vector<registry::TagInfo>& tags,
                                              int concurrency, const TaskContext& task);

 private:
  /// The digest a destination tag names; nullopt when there is no such tag.
  using DestinationTag = std::optional<std::string>;
  /// resolve() with the destination's tag already read (`known`), or read here (nullptr).
  ResolvedTag resolve(const registry::TagInfo& info, const DestinationTag* known);
  /// resolve()'s answer for a tag settled without a request to the source: its digest was
  /// listed, its target is known (no platform to pick, or the pick cached) and the overwrite
  /// policy leaves the destination as it is (unchanged or kept), or the destination's tag
  /// could not be read (failed, as resolve() says: a storage is asked once per tag, since a
  /// second answer can differ — a registry API client that saw its credentials refused says
  /// so without the server's words). false (and `out` untouched) for anything else:
  /// resolve() then handles the tag as before, given what was read into `read` (so the
  /// destination is asked once per tag either way).
  bool decidedLocally(const registry::TagInfo& info, ResolvedTag& out,
                      std::optional<DestinationTag>& read);
  Status resolveInto(ResolvedTag& out, const DestinationTag* known);
  /// resolve()'s ending: deferral by the fetch gate, or the failure `s` (when not OK).
  void finish(ResolvedTag& out, const Status& s);
  Status addImage(ResolvedTag& out, const std::string& digest, const std::string& bytes,
                  const registry::ParsedManifest& parsed, bool checkPlatform, bool& platformOk);
  std::string choiceKey(const std::string& sourceDigest) const;
  /// Asks the fetch gate for `pulls` GETs (`more`: for the tag asked last). true when `out`
  /// is done without them: deferred, or (countOnly) counted and marked to be synced.
  bool deferred(ResolvedTag& out, int64_t pulls, bool more) const;
  /// Applies the overwrite policy; true when the tag needs no manifest work.
  bool decide(ResolvedTag& out, const std::optional<std::string>& destination);

  const Rule& rule_;
  const std::string sourceRepository_;
  registry::RegistryReader& reader_;
  Storage& storage_;
  JsonFileCache& choiceCache_;
  PlatformMatcher matcher_;
  OverwritePolicy overwrite_;
  FetchGate fetchGate_;
  bool serialAdmission_ = false;
  bool countOnly_ = false;
};

}  // namespace tributary::plugin
