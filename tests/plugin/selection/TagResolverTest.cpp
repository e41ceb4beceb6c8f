// TagResolver::resolveAll: on many threads it gives exactly what a serial loop gives (same
// order, actions, digests, manifests and blobs), and over the run's content store each
// manifest is fetched from the source once however many tags share it; cancellation stops it.
#include <boost/test/unit_test.hpp>

#include <set>

#include "FakeRegistry.h"
#include "FakeStorage.h"
#include "StatusPrinting.h"
#include "tributary/plugin/config/RuleValidator.h"
#include "tributary/plugin/selection/TagResolver.h"
#include "tributary/dockerhub/BudgetedRegistryReader.h"
#include "tributary/dockerhub/DockerHubPullBudget.h"
#include "tributary/registry/CachingRegistryReader.h"
#include "tributary/registry/ContentStore.h"

using namespace tributary;
using namespace tributary::plugin;
using testing::FakeRegistry;
using testing::FakeStorage;

namespace {

Rule ruleWith(const std::string& policy) {
  std::string json =
      R"({"name":"t","source":{"type":"custom","domain":"src.example","repository":"up/app"},)" +
      std::string(policy.empty() ? "" : "\"policy\":" + policy + ",") +
      R"("destination":{"repository":"mirror/app","overwrite":false}})";
  auto r = RuleValidator::validate(json);
  BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
  return *r;
}

class CancelledTask final : public TaskContext {
 public:
  bool isCancelled() const override { return true; }
  void progress(const ProgressEvent&) override {}
};

// The same source content in every Env (digests are content hashes): 5 distinct top-level
// manifests (3 two-platform indexes, 2 single images) shared by 20 tags, one tag whose
// manifest is missing, one already at the destination, one differing there (kept).
struct Env {
  FakeRegistry reg;
  FakeStorage storage;
  JsonFileCache choices{""};
  registry::ContentStore store;
  registry::CachingRegistryReader cached{reg, store};
  std::vector<registry::TagInfo> tags;
  std::set<std::string> tops;

  Env() {
    std::string amdBase = reg.addBlob("amd-base"), armBase = reg.addBlob("arm-base");
    std::vector<std::string> top;
    for (int i = 0; i < 3; ++i) {
      const std::string n = std::to_string(i);
      std::string amd = reg.addImage(reg.addConfig("linux", "amd64", "", "", "amd" + n),
                                     {amdBase, reg.addBlob("amd-app" + n)});
      std::string arm = reg.addImage(reg.addConfig("linux", "arm64", "v8", "", "arm" + n),
                                     {armBase, reg.addBlob("arm-app" + n)});
      top.push_back(reg.addIndex({{amd, "linux", "amd64", ""}, {arm, "linux", "arm64", "v8"}}));
    }
    top.push_back(reg.addSimpleImage("linux", "amd64", "", "", "single-a"));
    top.push_back(reg.addSimpleImage("linux", "amd64", "", "", "single-b"));
    tops.insert(top.begin(), top.end());
    for (int i = 0; i < 20; ++i) {
      registry::TagInfo info;
      info.tag = "t" + std::to_string(100 + i);
      info.digest = top[i % top.size()];
      if (i == 7) info.digest.clear();  // listing did not say: resolved by HEAD
      reg.tag("up/app", info.tag, top[i % top.size()]);
      tags.push_back(info);
    }
    registry::TagInfo missing;
    missing.tag = "gone";
    missing.digest = testing::sha256("no such manifest");
    tags.insert(tags.begin() + 5, missing);
    storage.tags["mirror/app:t103"] = top[3];           // unchanged
    storage.tags["mirror/app:t104"] = top[0];           // differs -> kept
  }
};

std::vector<std::string> digestsOf(const ResolvedTag& r) {
  std::vector<std::string> out;
  for (const ManifestToStore& m : r.manifests) out.push_back("m " + m.digest);
  for (const BlobRef& b : r.blobs) out.push_back("b " + b.digest);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(TagResolverTest)

BOOST_AUTO_TEST_CASE(parallel_resolution_equals_serial_in_tag_order) {
  const Rule rule = ruleWith("");
  Env serialEnv, parallelEnv;
  DetachedTask task;
  TagResolver serial(rule, "up/app", serialEnv.reg, serialEnv.storage, serialEnv.choices);
  TagResolver parallel(rule, "up/app", parallelEnv.cached, parallelEnv.storage,
                       parallelEnv.choices);
  auto a = serial.resolveAll(serialEnv.tags, 1, task);
  auto b = parallel.resolveAll(parallelEnv.tags, 8, task);
  BOOST_TEST_REQUIRE(a.isOk());
  BOOST_TEST_REQUIRE(b.isOk());
  BOOST_TEST_REQUIRE(a->size() == serialEnv.tags.size());
  BOOST_TEST_REQUIRE(b->size() == a->size());
  std::map<TagAction, int> actions;
  for (size_t i = 0; i < a->size(); ++i) {
    const ResolvedTag &x = (*a)[i], &y = (*b)[i];
    BOOST_TEST(y.info.tag == serialEnv.tags[i].tag);
    BOOST_TEST(x.info.tag == y.info.tag);
    BOOST_TEST(static_cast<int>(x.action) == static_cast<int>(y.action), x.info.tag);
    BOOST_TEST(x.sourceDigest == y.sourceDigest);
    BOOST_TEST(x.targetDigest == y.targetDigest);
    BOOST_TEST(x.reason == y.reason);
    BOOST_TEST(digestsOf(x) == digestsOf(y), x.info.tag);
    ++actions[y.action];
  }
  BOOST_TEST(actions[TagAction::kSynced] == 18);
  BOOST_TEST(actions[TagAction::kUnchanged] == 1);
  BOOST_TEST(actions[TagAction::kKept] == 1);
  BOOST_TEST(actions[TagAction::kFailed] == 1);
  BOOST_TEST(static_cast<int>((*b)[5].action) == static_cast<int>(TagAction::kFailed));
  // The destination is asked once per tag, whether a tag was settled before the pool or not.
  BOOST_TEST(serialEnv.storage.tagGets == static_cast<int>(serialEnv.tags.size()));
  BOOST_TEST(parallelEnv.storage.tagGets == static_cast<int>(parallelEnv.tags.size()));
}

BOOST_AUTO_TEST_CASE(tags_settled_by_the_destination_are_decided_on_the_calling_thread) {
  // A scheduled run of an unchanged source: every listed digest is already the destination's.
  const Rule rule = ruleWith("");
  Env env;
  for (const registry::TagInfo& t : env.tags)
    if (!t.digest.empty() && t.tag != "gone") env.storage.tags["mirror/app:" + t.tag] = t.digest;
  env.reg.resetCounters();
  DetachedTask task;
  TagResolver resolver(rule, "up/app", env.reg, env.storage, env.choices);
  auto resolved = resolver.resolveAll(env.tags, 8, task);
  BOOST_TEST_REQUIRE(resolved.isOk());
  std::map<TagAction, int> actions;
  for (const ResolvedTag& r : *resolved) ++actions[r.action];
  BOOST_TEST(actions[TagAction::kUnchanged] == 19);
  BOOST_TEST(actions[TagAction::kFailed] == 1);  // "gone": its HEAD-less GET fails, as before
  BOOST_TEST(actions[TagAction::kSynced] == 1);  // t107: no digest listed, so asked
  BOOST_TEST((*resolved)[8].info.tag == "t107");
  BOOST_TEST(env.reg.headCalls == 1);  // t107's HEAD, nothing for the 19

  // Nothing to ask the source at all: every tag decided here, no worker started.
  Env quiet;
  std::vector<registry::TagInfo> listed;
  for (registry::TagInfo t : quiet.tags) {
    if (t.tag == "gone") continue;
    if (t.digest.empty()) t.digest = (*resolved)[8].sourceDigest;  // t107, as its HEAD said
    quiet.storage.tags["mirror/app:" + t.tag] = t.digest;
    listed.push_back(t);
  }
  quiet.reg.resetCounters();
  TagResolver quietResolver(rule, "up/app", quiet.reg, quiet.storage, quiet.choices);
  auto all = quietResolver.resolveAll(listed, 8, task);
  BOOST_TEST_REQUIRE(all.isOk());
  for (const ResolvedTag& r : *all)
    BOOST_TEST(static_cast<int>(r.action) == static_cast<int>(TagAction::kUnchanged), r.info.tag);
  BOOST_TEST(quiet.reg.headCalls + quiet.reg.getCalls == 0);
  BOOST_TEST(quiet.storage.tagReaders.size() == 1u);
  BOOST_TEST(quiet.storage.tagReaders.count(std::this_thread::get_id()) == 1u);

  // A storage whose tag reads are slow (S3): past the local budget the rest go to the pool,
  // with the same answers.
  Env slow;
  for (const registry::TagInfo& t : slow.tags)
    if (!t.digest.empty() && t.tag != "gone") slow.storage.tags["mirror/app:" + t.tag] = t.digest;
  slow.storage.tagGetDelay = std::chrono::milliseconds(2);
  TagResolver slowResolver(rule, "up/app", slow.reg, slow.storage, slow.choices);
  auto same = slowResolver.resolveAll(slow.tags, 8, task);
  BOOST_TEST_REQUIRE(same.isOk());
  BOOST_TEST_REQUIRE(same->size() == resolved->size());
  for (size_t i = 0; i < same->size(); ++i) {
    BOOST_TEST((*same)[i].info.tag == (*resolved)[i].info.tag);
    BOOST_TEST(static_cast<int>((*same)[i].action) == static_cast<int>((*resolved)[i].action));
    BOOST_TEST((*same)[i].targetDigest == (*resolved)[i].targetDigest);
  }
  BOOST_TEST(slow.storage.tagReaders.size() > 1u);  // not all on the calling thread
}

BOOST_AUTO_TEST_CASE(a_destination_that_cannot_be_read_fails_each_tag_after_one_read) {
  // A registry-API destination refusing the credentials: its client's second answer would not
  // carry the server's words, so each tag is read once and fails with the first answer.
  const Rule rule = ruleWith("");
  Env env;
  env.storage.failTagGet = unauthenticatedError("UNAUTHORIZED: authentication required");
  DetachedTask task;
  TagResolver resolver(rule, "up/app", env.reg, env.storage, env.choices);
  auto resolved = resolver.resolveAll(env.tags, 8, task);
  BOOST_TEST_REQUIRE(resolved.isOk());
  for (const ResolvedTag& r : *resolved) {
    BOOST_TEST(static_cast<int>(r.action) == static_cast<int>(TagAction::kFailed), r.info.tag);
    BOOST_TEST(r.reason.find("authentication required") != std::string::npos, r.reason);
  }
  BOOST_TEST(env.storage.tagGets == static_cast<int>(env.tags.size()));
}

BOOST_AUTO_TEST_CASE(parallel_resolution_fetches_each_manifest_once) {
  const Rule rule = ruleWith("");
  Env env;
  DetachedTask task;
  TagResolver resolver(rule, "up/app", env.cached, env.storage, env.choices);
  auto resolved = resolver.resolveAll(env.tags, 8, task);
  BOOST_TEST_REQUIRE(resolved.isOk());
  std::set<std::string> needed;
  for (const ResolvedTag& r : *resolved)
    for (const ManifestToStore& m : r.manifests) needed.insert(m.digest);
  BOOST_TEST(needed.size() == 5u + 6u);  // 5 tagged manifests + 6 index children
  // Every needed manifest once, plus the one missing manifest (failures are not kept).
  BOOST_TEST(env.reg.getCalls == static_cast<int>(needed.size()) + 1);
  BOOST_TEST(env.reg.headCalls == 1);  // only the tag the listing gave no digest for
  BOOST_TEST(env.reg.totalBlobFetches() == 0);  // no platform filter: configs not read here
}

BOOST_AUTO_TEST_CASE(platform_check_reads_each_config_once_and_hands_it_on) {
  const Rule rule = ruleWith(R"({"platforms":["linux/amd64"]})");
  Env env;
  DetachedTask task;
  TagResolver resolver(rule, "up/app", env.cached, env.storage, env.choices);
  auto resolved = resolver.resolveAll(env.tags, 8, task);
  BOOST_TEST_REQUIRE(resolved.isOk());
  // The two single images are checked by their config; 8 tags share them.
  int configsHeld = 0;
  for (const ResolvedTag& r : *resolved)
    for (const BlobRef& b : r.blobs) configsHeld += b.bytes != nullptr;
  BOOST_TEST(configsHeld >= 2);
  for (const auto& [digest, n] : env.reg.blobFetches) BOOST_TEST(n == 1, digest);
}

BOOST_AUTO_TEST_CASE(cancelled_task_stops_resolution) {
  const Rule rule = ruleWith("");
  Env env;
  CancelledTask task;
  TagResolver resolver(rule, "up/app", env.cached, env.storage, env.choices);
  auto resolved = resolver.resolveAll(env.tags, 4, task);
  BOOST_TEST(resolved.status().code() == StatusCode::kCancelled);
  BOOST_TEST(env.reg.getCalls + env.reg.headCalls == 0);
}

// Docker Hub: each tag asks the pull budget for its manifest GETs before the first one (index
// + children from the listing's platforms); a tag the budget cannot cover is deferred with the
// reset time and costs no GET; a dry run counts without fetching.
BOOST_AUTO_TEST_CASE(tags_the_pull_budget_cannot_cover_are_deferred_before_any_get) {
  const Rule rule = ruleWith("");
  for (bool dryRun : {false, true}) {
    FakeRegistry reg;
    FakeStorage storage;
    JsonFileCache choices{""};
    std::vector<registry::TagInfo> tags;
    auto indexTag = [&](const std::string& name) {
      std::string amd = reg.addSimpleImage("linux", "amd64", "", "", name + "-amd");
      std::string arm = reg.addSimpleImage("linux", "arm64", "v8", "", name + "-arm");
      reg.tag("up/app", name, reg.addIndex({{amd, "linux", "amd64", ""}, {arm, "linux", "arm64", "v8"}}));
      registry::TagInfo info;
      info.tag = name;
      info.platforms = std::vector<registry::DescriptorPlatform>{{"linux", "amd64", ""},
                                                                 {"linux", "arm64", "v8"}};
      tags.push_back(info);
    };
    indexTag("a");
    reg.tag("up/app", "b", reg.addSimpleImage("linux", "amd64", "", "", "single"));
    tags.push_back(registry::TagInfo{});
    tags.back().tag = "b";
    indexTag("c");
    dockerhub::DockerHubPullBudget budget(0, [] { return int64_t{1700000000000}; });
    budget.observe("HEAD", 200, {{"ratelimit-limit", "4;w=60"}, {"ratelimit-remaining", "4;w=60"}});
    dockerhub::BudgetedRegistryReader gated(reg, budget);  // counts the GETs, as in a session
    TagResolver resolver(rule, "up/app", gated, storage, choices);
    // As the planner wires a Docker Hub source: its deferFetch asks the budget.
    resolver.setFetchGate(
        [&budget](const registry::TagInfo&, const registry::FetchAsk& ask) {
          return budget.ask(ask);
        },
        /*serialAdmission=*/true, /*countOnly=*/dryRun);
    DetachedTask task;
    auto resolved = resolver.resolveAll(tags, 4, task);
    BOOST_TEST_REQUIRE(resolved.isOk());
    BOOST_TEST(static_cast<int>((*resolved)[0].action) == static_cast<int>(TagAction::kSynced));
    BOOST_TEST((*resolved)[0].pullsNeeded == 3);
    BOOST_TEST(static_cast<int>((*resolved)[1].action) == static_cast<int>(TagAction::kSynced));
    BOOST_TEST((*resolved)[1].pullsNeeded == 1);
    BOOST_TEST(static_cast<int>((*resolved)[2].action) == static_cast<int>(TagAction::kDeferred));
    BOOST_TEST((*resolved)[2].reasonCode == "budget_exhausted");
    BOOST_TEST((*resolved)[2].reason.find("resets by") != std::string::npos, (*resolved)[2].reason);
    BOOST_TEST(reg.getCalls == (dryRun ? 0 : 4));
    BOOST_TEST(budget.state().pullsNeeded == 4);
    BOOST_TEST(budget.state().pullsSpent == (dryRun ? 0 : 4));
  }
}

BOOST_AUTO_TEST_CASE(a_listed_tag_the_registry_no_longer_has_is_skipped_not_failed) {
  const Rule rule = ruleWith("");
  FakeRegistry reg;
  FakeStorage storage;
  JsonFileCache choices{""};
  registry::TagInfo info;
  info.tag = "deleted-since-listing";  // no digest: the HEAD decides
  TagResolver resolver(rule, "up/app", reg, storage, choices);
  ResolvedTag r = resolver.resolve(info);
  BOOST_TEST(static_cast<int>(r.action) == static_cast<int>(TagAction::kSkipped));
  BOOST_TEST(r.reasonCode == "source_tag_missing");
  BOOST_TEST(r.reason.find("absent from its registry") != std::string::npos, r.reason);
  BOOST_TEST(reg.getCalls == 0);
}

BOOST_AUTO_TEST_SUITE_END()
