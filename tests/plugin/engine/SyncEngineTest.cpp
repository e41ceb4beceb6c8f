// The sync engine over a fake source registry and fake host storage: publish order, blob
// dedup, platform handling, overwrite, HEAD-only no-op re-runs, per-tag failures, cancel.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <set>

#include "FakeRegistry.h"
#include "FakeSource.h"
#include "FakeStorage.h"
#include "tributary/plugin/engine/Planner.h"
#include "tributary/plugin/config/RuleValidator.h"
#include "tributary/custom/CustomSource.h"
#include "tributary/plugin/engine/SyncEngine.h"
#include "tributary/registry/CachingRegistryReader.h"
#include "tributary/registry/ContentStore.h"

using namespace tributary;
using namespace tributary::plugin;
using testing::FakeRegistry;
using testing::FakeSource;
using testing::FakeStorage;

namespace {

class RecordingTask final : public TaskContext {
 public:
  bool isCancelled() const override { return cancelAfterEvents >= 0 && count >= cancelAfterEvents; }
  void progress(const ProgressEvent& e) override {
    ++count;
    events.push_back(e);
  }
  std::vector<ProgressEvent> events;
  std::atomic<int> count{0};
  int cancelAfterEvents = -1;
};

Rule makeRule(const std::string& policy = "", bool overwrite = false) {
  std::string json =
      R"({"name":"t","source":{"type":"custom","domain":"src.example","repository":"up/app"},)" +
      std::string(policy.empty() ? "" : "\"policy\":" + policy + ",") +
      R"("destination":{"repository":"mirror/app","overwrite":)" + (overwrite ? "true" : "false") +
      "}}";
  auto r = RuleValidator::validate(json);
  BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
  return *r;
}

struct Env {
  FakeRegistry reg;
  FakeStorage storage;
  FakeSource source{reg, "up/app"};
  JsonFileCache choices{""};
  RecordingTask task;
  NullLogger logger;

  RunReport run(const Rule& rule, int concurrency = 4) {
    SyncEngine engine(rule, source, reg, storage, choices, task, logger, concurrency);
    auto r = engine.execute();
    BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
    return *r;
  }
};

const RunReport::TagRow& entryFor(const RunReport& r, const std::string& tag) {
  for (const auto& e : r.rows())
    if (e.tag == tag) return e;
  BOOST_FAIL("no report entry for " << tag);
  return r.rows().front();
}

bool is(TagAction a, TagAction b) { return a == b; }

}  // namespace

BOOST_AUTO_TEST_SUITE(SyncEngineTest)

BOOST_AUTO_TEST_CASE(single_image_publish_order) {
  Env env;
  std::string cfg = env.reg.addConfig("linux", "amd64", "", "2024-01-01T00:00:00Z");
  std::string l1 = env.reg.addBlob("layer-one");
  std::string l2 = env.reg.addBlob("layer-two");
  std::string m = env.reg.addImage(cfg, {l1, l2});
  env.reg.tag("up/app", "v1", m);
  RunReport r = env.run(makeRule());
  BOOST_TEST(r.status() == "succeeded");
  const auto& e = entryFor(r, "v1");
  BOOST_TEST(is(e.action, TagAction::kSynced));
  BOOST_TEST(e.chosenDigest == m);
  BOOST_TEST(e.bytes == env.reg.blobSize(cfg) + env.reg.blobSize(l1) + env.reg.blobSize(l2));
  // Every blob and link precedes the manifest, which precedes the tag (the last event).
  const int manifest = env.storage.indexOf("manifest mirror/app " + m);
  BOOST_REQUIRE(manifest >= 0);
  for (const std::string& b : {cfg, l1, l2}) {
    BOOST_TEST(env.storage.indexOf("blob " + b) >= 0);
    BOOST_TEST(env.storage.indexOf("blob " + b) < env.storage.indexOf("link mirror/app " + b));
    BOOST_TEST(env.storage.indexOf("link mirror/app " + b) < manifest);
  }
  BOOST_TEST(env.storage.events.back() == "tag mirror/app:v1 " + m);
  BOOST_TEST(env.storage.manifests["mirror/app"][m] == env.reg.manifestBytes(m));  // exact bytes
  // Progress: planned first, a tag-done event for v1.
  BOOST_REQUIRE(!env.task.events.empty());
  BOOST_TEST(static_cast<int>(env.task.events.front().kind) ==
             static_cast<int>(ProgressEvent::Kind::kPlanned));
  BOOST_TEST(env.task.events.front().blobsTotal == 3u);
  BOOST_TEST(static_cast<int>(env.task.events.back().kind) ==
             static_cast<int>(ProgressEvent::Kind::kTagDone));
  BOOST_TEST(env.task.events.back().tag == "v1");
}

BOOST_AUTO_TEST_CASE(shared_blob_fetched_once_per_run) {
  Env env;
  std::string shared = env.reg.addBlob("base-layer");
  std::string a = env.reg.addImage(env.reg.addConfig("linux", "amd64", "", "", "a"),
                                   {shared, env.reg.addBlob("a-layer")});
  std::string b = env.reg.addImage(env.reg.addConfig("linux", "amd64", "", "", "b"),
                                   {shared, env.reg.addBlob("b-layer")});
  env.reg.tag("up/app", "a", a);
  env.reg.tag("up/app", "b", b);
  env.source.setTime("a", 2);
  env.source.setTime("b", 1);
  RunReport r = env.run(makeRule());
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.reg.blobFetches[shared] == 1);
  BOOST_TEST(env.reg.totalBlobFetches() == 5);
  // Attributed to the first (newest) tag only.
  BOOST_TEST(entryFor(r, "a").bytes > entryFor(r, "b").bytes);
  BOOST_TEST(r.toJson().find("\"blobs\":5") != std::string::npos);
  // Both tags link it.
  BOOST_TEST(env.storage.indexOf("link mirror/app " + shared) >= 0);
}

BOOST_AUTO_TEST_CASE(second_run_is_head_only_and_reuses_blobs) {
  Env env;
  std::string m = env.reg.addSimpleImage("linux", "amd64", "", "", "x");
  env.reg.tag("up/app", "v1", m);
  env.run(makeRule());
  env.reg.resetCounters();
  RunReport again = env.run(makeRule());
  BOOST_TEST(is(entryFor(again, "v1").action, TagAction::kUnchanged));
  BOOST_TEST(env.reg.getCalls == 0);
  BOOST_TEST(env.reg.headCalls == 1);
  BOOST_TEST(env.reg.totalBlobFetches() == 0);
}

BOOST_AUTO_TEST_CASE(blobs_already_in_store_are_reused_not_fetched) {
  Env env;
  std::string layer = env.reg.addBlob("big-layer");
  std::string m = env.reg.addImage(env.reg.addConfig("linux", "amd64", "", ""), {layer});
  env.reg.tag("up/app", "v1", m);
  env.storage.blobs[layer] = "big-layer";  // from another repository
  RunReport r = env.run(makeRule());
  BOOST_TEST(env.reg.blobFetches.count(layer) == 0u);
  BOOST_TEST(env.storage.indexOf("link mirror/app " + layer) >= 0);
  BOOST_TEST(r.toJson().find("\"blobs_reused\":1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(index_without_filter_copied_whole) {
  Env env;
  std::string amd = env.reg.addSimpleImage("linux", "amd64", "", "", "amd");
  std::string arm = env.reg.addSimpleImage("linux", "arm64", "v8", "", "arm");
  std::string att = env.reg.addSimpleImage("unknown", "unknown", "", "", "att");
  std::string idx = env.reg.addIndex({{amd, "linux", "amd64", ""}, {arm, "linux", "arm64", "v8"},
                                      {att, "unknown", "unknown", "", true}});
  env.reg.tag("up/app", "multi", idx);
  RunReport r = env.run(makeRule());
  BOOST_TEST(is(entryFor(r, "multi").action, TagAction::kSynced));
  BOOST_TEST(env.storage.tags["mirror/app:multi"] == idx);
  const int index = env.storage.indexOf("manifest mirror/app " + idx);
  for (const std::string& c : {amd, arm, att}) {
    BOOST_TEST(env.storage.indexOf("manifest mirror/app " + c) >= 0);
    BOOST_TEST(env.storage.indexOf("manifest mirror/app " + c) < index);
  }
  BOOST_TEST(env.storage.manifests["mirror/app"][idx] == env.reg.manifestBytes(idx));
}

BOOST_AUTO_TEST_CASE(single_platform_tags_the_child_and_reruns_without_get) {
  Env env;
  std::string amd = env.reg.addSimpleImage("linux", "amd64", "", "", "amd");
  std::string arm = env.reg.addSimpleImage("linux", "arm64", "v8", "", "arm");
  std::string idx = env.reg.addIndex({{amd, "linux", "amd64", ""}, {arm, "linux", "arm64", "v8"}});
  env.reg.tag("up/app", "v1", idx);
  const Rule rule = makeRule(R"({"platforms":["linux/arm64"]})");
  RunReport r = env.run(rule);
  BOOST_TEST(is(entryFor(r, "v1").action, TagAction::kSynced));
  BOOST_TEST(entryFor(r, "v1").chosenDigest == arm);
  BOOST_TEST(env.storage.tags["mirror/app:v1"] == arm);  // upstream child digest preserved
  BOOST_TEST(env.storage.manifests["mirror/app"].count(idx) == 0u);
  BOOST_TEST(env.storage.manifests["mirror/app"].count(amd) == 0u);
  env.reg.resetCounters();
  RunReport again = env.run(rule);
  BOOST_TEST(is(entryFor(again, "v1").action, TagAction::kUnchanged));
  BOOST_TEST(env.reg.getCalls == 0);  // index -> child choice remembered
  BOOST_TEST(env.reg.totalBlobFetches() == 0);
}

BOOST_AUTO_TEST_CASE(several_platforms_store_a_sparse_index) {
  Env env;
  std::string amd = env.reg.addSimpleImage("linux", "amd64", "", "", "amd");
  std::string v6 = env.reg.addSimpleImage("linux", "arm", "v6", "", "v6");
  std::string v7 = env.reg.addSimpleImage("linux", "arm", "v7", "", "v7");
  std::string arm64 = env.reg.addSimpleImage("linux", "arm64", "", "", "arm64");
  std::string idx = env.reg.addIndex({{amd, "linux", "amd64", ""}, {v6, "linux", "arm", "v6"},
                                      {v7, "linux", "arm", "v7"}, {arm64, "linux", "arm64", ""}},
                                     true);
  env.reg.tag("up/app", "v1", idx);
  RunReport r = env.run(makeRule(R"({"platforms":["linux/amd64","linux/arm/v7"]})"));
  BOOST_TEST(is(entryFor(r, "v1").action, TagAction::kSynced));
  auto& stored = env.storage.manifests["mirror/app"];
  BOOST_TEST(stored.count(amd) == 1u);
  BOOST_TEST(stored.count(v7) == 1u);
  BOOST_TEST(stored.count(v6) == 0u);
  BOOST_TEST(stored.count(arm64) == 0u);
  BOOST_TEST(stored[idx] == env.reg.manifestBytes(idx));  // original bytes and digest
  BOOST_TEST(env.storage.tags["mirror/app:v1"] == idx);
}

BOOST_AUTO_TEST_CASE(single_arch_image_with_other_platform_is_skipped) {
  Env env;
  env.reg.tag("up/app", "arm", env.reg.addSimpleImage("linux", "arm64", "", "", "x"));
  RunReport r = env.run(makeRule(R"({"platforms":["linux/amd64"]})"));
  const auto& e = entryFor(r, "arm");
  BOOST_TEST(is(e.action, TagAction::kSkipped));
  BOOST_TEST(e.reason == "image platform linux/arm64 does not match platforms [linux/amd64]");
  BOOST_TEST(env.storage.events.empty());
  BOOST_TEST(r.status() == "succeeded");
}

BOOST_AUTO_TEST_CASE(single_arch_matching_image_reuses_the_fetched_config) {
  Env env;
  std::string cfg = env.reg.addConfig("linux", "amd64", "", "");
  std::string m = env.reg.addImage(cfg, {env.reg.addBlob("l")});
  env.reg.tag("up/app", "v1", m);
  RunReport r = env.run(makeRule(R"({"platforms":["linux/amd64"]})"));
  BOOST_TEST(is(entryFor(r, "v1").action, TagAction::kSynced));
  BOOST_TEST(env.reg.blobFetches[cfg] == 1);  // read once for the platform check, not again
  BOOST_TEST(env.storage.blobs.count(cfg) == 1u);
}

BOOST_AUTO_TEST_CASE(overwrite_false_keeps_a_different_destination) {
  Env env;
  std::string m = env.reg.addSimpleImage("linux", "amd64", "", "", "new");
  env.reg.tag("up/app", "v1", m);
  // The destination already has another image under v1.
  std::string other = env.reg.addSimpleImage("linux", "amd64", "", "", "other");
  env.storage.manifests["mirror/app"][other] = env.reg.manifestBytes(other);
  env.storage.tags["mirror/app:v1"] = other;
  RunReport kept = env.run(makeRule());
  BOOST_TEST(is(entryFor(kept, "v1").action, TagAction::kKept));
  BOOST_TEST(entryFor(kept, "v1").reason == "kept: destination differs (set destination.overwrite: true to replace it)");
  BOOST_TEST(env.storage.tags["mirror/app:v1"] == other);
  BOOST_TEST(env.reg.getCalls == 0);
  RunReport replaced = env.run(makeRule("", true));
  BOOST_TEST(is(entryFor(replaced, "v1").action, TagAction::kSynced));
  BOOST_TEST(env.storage.tags["mirror/app:v1"] == m);
}

BOOST_AUTO_TEST_CASE(a_failing_tag_does_not_stop_the_others) {
  Env env;
  std::string good = env.reg.addSimpleImage("linux", "amd64", "", "", "good");
  std::string missing = env.reg.addBlob("missing-layer");
  std::string bad = env.reg.addImage(env.reg.addConfig("linux", "amd64", "", "", "bad"), {missing});
  env.reg.removeBlob(missing);
  env.reg.tag("up/app", "good", good);
  env.reg.tag("up/app", "bad", bad);
  RunReport r = env.run(makeRule());
  BOOST_TEST(r.status() == "partial");
  BOOST_TEST(is(entryFor(r, "good").action, TagAction::kSynced));
  const auto& e = entryFor(r, "bad");
  BOOST_TEST(is(e.action, TagAction::kFailed));
  BOOST_TEST(e.reason.find(missing) != std::string::npos);
  BOOST_TEST(env.storage.tags.count("mirror/app:bad") == 0u);
  BOOST_TEST(env.storage.manifests["mirror/app"].count(bad) == 0u);
}

BOOST_AUTO_TEST_CASE(a_tag_the_source_cannot_read_is_failed_and_the_others_synced) {
  Env env;
  for (int i = 1; i <= 3; ++i) {
    std::string t = "1." + std::to_string(i);
    env.reg.tag("up/app", t, env.reg.addSimpleImage("linux", "amd64", "", "", t));
    env.source.setTime(t, i);
  }
  std::string broken = env.reg.addSimpleImage("linux", "amd64", "", "", "broken");
  env.reg.tag("up/app", "1.9", broken);
  env.source.setError("1.9", unavailableError("HEAD up/app:1.9: HTTP 500"));
  // latest_n = 2 picks among the readable tags; the broken one is reported after them.
  RunReport r = env.run(makeRule(R"({"tag_regex":"1\\.[0-9]+","latest_n":2})"));
  BOOST_TEST(r.status() == "partial");
  BOOST_REQUIRE(r.rows().size() == 4u);  // the selected tags, then the one latest_n left out
  BOOST_TEST(r.rows()[3].tag == "1.1");
  BOOST_TEST(is(r.rows()[3].action, TagAction::kBeyondLatestN));
  BOOST_TEST(r.rows()[0].tag == "1.3");
  BOOST_TEST(r.rows()[1].tag == "1.2");
  BOOST_TEST(is(r.rows()[0].action, TagAction::kSynced));
  BOOST_TEST(is(r.rows()[1].action, TagAction::kSynced));
  const auto& e = r.rows()[2];
  BOOST_TEST(e.tag == "1.9");
  BOOST_TEST(is(e.action, TagAction::kFailed));
  BOOST_TEST(e.reason == "reading the tag at the source: HEAD up/app:1.9: HTTP 500",
             e.reason);
  BOOST_TEST(env.storage.tags.count("mirror/app:1.3") == 1u);
  BOOST_TEST(env.storage.tags.count("mirror/app:1.9") == 0u);
  BOOST_TEST(env.storage.manifests["mirror/app"].count(broken) == 0u);
  BOOST_TEST(r.toJson().find("\"status\":\"partial\"") != std::string::npos, r.toJson());
}

BOOST_AUTO_TEST_CASE(schema1_and_foreign_layers) {
  Env env;
  std::string s1 = env.reg.addManifest(
      R"({"schemaVersion":1,"name":"up/app","tag":"old","fsLayers":[],"history":[]})",
      "application/vnd.docker.distribution.manifest.v1+prettyjws");
  env.reg.tag("up/app", "old", s1);
  std::string foreign = testing::sha256("windows-base");
  std::string win = env.reg.addImage(env.reg.addConfig("windows", "amd64", "", ""),
                                     {env.reg.addBlob("win-layer")}, {foreign});
  env.reg.tag("up/app", "win", win);
  RunReport r = env.run(makeRule());
  BOOST_TEST(is(entryFor(r, "old").action, TagAction::kSkipped));
  BOOST_TEST(entryFor(r, "old").reason.find("schema1") != std::string::npos);
  BOOST_TEST(is(entryFor(r, "win").action, TagAction::kSynced));
  BOOST_TEST(env.reg.blobFetches.count(foreign) == 0u);
  BOOST_TEST(env.storage.manifests["mirror/app"][win] == env.reg.manifestBytes(win));
}

BOOST_AUTO_TEST_CASE(foreign_layers_are_listed_and_distributable_layers_with_urls_are_fetched) {
  Env env;
  std::string foreign = testing::sha256("windows-base");
  std::string win = env.reg.addImage(env.reg.addConfig("windows", "amd64", "", ""),
                                     {env.reg.addBlob("win-layer")}, {foreign});
  env.reg.tag("up/app", "win", win);
  // A normal gzip layer that also carries urls: a client of the mirror asks the mirror for
  // it, so it must be stored like any other layer.
  std::string cfg = env.reg.addConfig("linux", "amd64", "", "2024-01-01T00:00:00Z");
  std::string withUrls = env.reg.addBlob("layer-with-urls");
  std::string m = env.reg.addManifest(
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
      R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":)" +
          std::to_string(env.reg.blobSize(cfg)) + R"(,"digest":")" + cfg + R"("},)"
      R"("layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":)" +
          std::to_string(env.reg.blobSize(withUrls)) + R"(,"digest":")" + withUrls +
          R"(","urls":["https://example.invalid/l"]}]})",
      "application/vnd.docker.distribution.manifest.v2+json");
  env.reg.tag("up/app", "urls", m);
  RunReport r = env.run(makeRule());
  BOOST_TEST(is(entryFor(r, "urls").action, TagAction::kSynced));
  BOOST_TEST(env.storage.blobs.count(withUrls) == 1u);
  BOOST_TEST(env.storage.layers["mirror/app"].count(withUrls) == 1u);
  BOOST_TEST(entryFor(r, "urls").foreignLayers.empty());
  BOOST_TEST(is(entryFor(r, "win").action, TagAction::kSynced));
  BOOST_REQUIRE(entryFor(r, "win").foreignLayers.size() == 1u);
  BOOST_TEST(entryFor(r, "win").foreignLayers[0].find(foreign) == 0u);
  BOOST_TEST(r.toJson().find("\"foreign_layers\":[\"" + foreign) != std::string::npos, r.toJson());
}

BOOST_AUTO_TEST_CASE(a_manifest_distribution_cannot_decode_fails_its_tag_only) {
  Env env;
  std::string good = env.reg.addSimpleImage("linux", "amd64", "", "2024-01-01T00:00:00Z", "g");
  env.reg.tag("up/app", "good", good);
  std::string cfg = env.reg.addConfig("linux", "amd64", "", "2024-01-02T00:00:00Z");
  std::string layer = env.reg.addBlob("fractional");
  std::string bad = env.reg.addManifest(
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
      R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":)" +
          std::to_string(env.reg.blobSize(cfg)) + R"(,"digest":")" + cfg + R"("},)"
      R"("layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":)" +
          std::to_string(env.reg.blobSize(layer)) + R"(.5,"digest":")" + layer + R"("}]})",
      "application/vnd.docker.distribution.manifest.v2+json");
  env.reg.tag("up/app", "bad", bad);
  RunReport r = env.run(makeRule());
  BOOST_TEST(is(entryFor(r, "good").action, TagAction::kSynced));
  BOOST_TEST(is(entryFor(r, "bad").action, TagAction::kFailed));
  BOOST_TEST(entryFor(r, "bad").reason.find("layers[0].size") != std::string::npos,
             entryFor(r, "bad").reason);
  BOOST_TEST(entryFor(r, "bad").reasonCode == "invalid_manifest");
  BOOST_TEST(env.storage.tags.count("mirror/app:bad") == 0u);
}

BOOST_AUTO_TEST_CASE(a_blob_missing_from_storage_at_publish_time_keeps_the_tag_unpublished) {
  Env env;
  std::string cfg = env.reg.addConfig("linux", "amd64", "", "2024-01-01T00:00:00Z");
  std::string layer = env.reg.addBlob("swept-away");
  std::string m = env.reg.addImage(cfg, {layer});
  env.reg.tag("up/app", "v1", m);
  env.storage.vanished.insert(layer);
  RunReport r = env.run(makeRule());
  BOOST_TEST(is(entryFor(r, "v1").action, TagAction::kFailed));
  BOOST_TEST(entryFor(r, "v1").reason.find("refusing to publish: blob " + layer) != std::string::npos,
             entryFor(r, "v1").reason);
  BOOST_TEST(entryFor(r, "v1").reasonCode == "store_failed");
  BOOST_TEST(env.storage.tags.count("mirror/app:v1") == 0u);
  BOOST_TEST(env.storage.manifests["mirror/app"].count(m) == 0u);
  BOOST_TEST(env.storage.layers["mirror/app"].count(layer) == 0u);  // gated before any link
}

BOOST_AUTO_TEST_CASE(plan_lists_foreign_layers_and_does_not_count_them) {
  Env env;
  std::string foreign = testing::sha256("windows-base");
  std::string layer = env.reg.addBlob("win-layer");
  std::string cfg = env.reg.addConfig("windows", "amd64", "", "");
  std::string win = env.reg.addImage(cfg, {layer}, {foreign});
  env.reg.tag("up/app", "win", win);
  const Rule rule = makeRule();
  Planner planner(rule, env.source, env.reg, env.storage, env.choices, env.task);
  auto plan = planner.dryRun();
  BOOST_REQUIRE_MESSAGE(plan.isOk(), plan.status().toString());
  BOOST_REQUIRE(plan->rows().size() == 1u);
  BOOST_TEST(plan->rows()[0].bytes == env.reg.blobSize(cfg) + env.reg.blobSize(layer));
  BOOST_TEST(plan->totals().bytes == env.reg.blobSize(cfg) + env.reg.blobSize(layer));
  BOOST_REQUIRE(plan->rows()[0].foreignLayers.size() == 1u);
  BOOST_TEST(plan->toJson().find("\"foreign_layers\":[\"" + foreign +
                                 " (application/vnd.docker.image.rootfs.foreign.diff.tar.gzip)\"]") !=
                 std::string::npos,
             plan->toJson());
}

BOOST_AUTO_TEST_CASE(latest_n_and_regex_limit_what_is_synced) {
  Env env;
  for (int i = 1; i <= 4; ++i) {
    std::string t = "1." + std::to_string(i);
    env.reg.tag("up/app", t, env.reg.addSimpleImage("linux", "amd64", "", "", t));
    env.source.setTime(t, i);
  }
  env.reg.tag("up/app", "latest", env.reg.addSimpleImage("linux", "amd64", "", "", "latest"));
  env.source.setTime("latest", 100);
  RunReport r = env.run(makeRule(R"({"tag_regex":"1\\.[0-9]+","latest_n":2})"));
  BOOST_REQUIRE(r.rows().size() == 4u);  // `latest` is excluded by the regex: not listed
  BOOST_TEST(r.rows()[0].tag == "1.4");
  BOOST_TEST(r.rows()[1].tag == "1.3");
  BOOST_TEST(is(r.rows()[1].action, TagAction::kSynced));
  BOOST_TEST(r.rows()[2].tag == "1.2");
  BOOST_TEST(is(r.rows()[2].action, TagAction::kBeyondLatestN));
  BOOST_TEST(r.rows()[2].reasonCode == "not_selected");
  BOOST_TEST(r.rows()[3].tag == "1.1");
  BOOST_TEST(env.storage.tags.count("mirror/app:1.2") == 0u);
}

BOOST_AUTO_TEST_CASE(cancellation_stops_with_cancelled) {
  Env env;
  env.reg.tag("up/app", "v1", env.reg.addSimpleImage("linux", "amd64", "", "", "a"));
  env.reg.tag("up/app", "v2", env.reg.addSimpleImage("linux", "amd64", "", "", "b"));
  env.task.cancelAfterEvents = 1;  // cancelled once the plan event is out
  SyncEngine engine(makeRule(), env.source, env.reg, env.storage, env.choices, env.task,
                    env.logger, 2);
  auto r = engine.execute();
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(static_cast<int>(r.status().code()) == static_cast<int>(StatusCode::kCancelled));
  BOOST_TEST(env.storage.tags.empty());
}

BOOST_AUTO_TEST_CASE(listing_failure_is_an_error_not_a_report) {
  Env env;
  env.reg.failList = true;
  SyncEngine engine(makeRule(), env.source, env.reg, env.storage, env.choices, env.task,
                    env.logger, 2);
  auto r = engine.execute();
  BOOST_TEST(!r.isOk());
  BOOST_TEST(static_cast<int>(r.status().code()) == static_cast<int>(StatusCode::kUnavailable));
}

BOOST_AUTO_TEST_CASE(many_tags_with_one_worker_and_many_workers_agree) {
  for (int workers : {1, 8}) {
    Env env;
    std::string shared = env.reg.addBlob("shared");
    for (int i = 0; i < 12; ++i) {
      std::string t = "t" + std::to_string(i);
      env.reg.tag("up/app", t,
                  env.reg.addImage(env.reg.addConfig("linux", "amd64", "", "", t),
                                   {shared, env.reg.addBlob("own-" + t)}));
    }
    RunReport r = env.run(makeRule(R"({"latest_n":12})"), workers);
    BOOST_TEST(r.status() == "succeeded");
    BOOST_TEST(env.storage.tags.size() == 12u);
    BOOST_TEST(env.reg.blobFetches[shared] == 1);
    BOOST_TEST(env.storage.aborts == 0);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(PlannerTest)

BOOST_AUTO_TEST_CASE(plan_counts_bytes_after_dedup_and_writes_nothing) {
  Env env;
  std::string shared = env.reg.addBlob("shared-layer-bytes");
  std::string cfgA = env.reg.addConfig("linux", "amd64", "", "", "a");
  std::string cfgB = env.reg.addConfig("linux", "amd64", "", "", "b");
  std::string a = env.reg.addImage(cfgA, {shared});
  std::string b = env.reg.addImage(cfgB, {shared});
  env.reg.tag("up/app", "a", a);
  env.reg.tag("up/app", "b", b);
  env.source.setTime("a", 1714558830000LL);
  env.source.setTime("b", 1);
  env.storage.blobs[cfgB] = "present";  // already in the store
  const Rule rule = makeRule();
  Planner planner(rule, env.source, env.reg, env.storage, env.choices, env.task);
  auto plan = planner.dryRun();
  BOOST_REQUIRE_MESSAGE(plan.isOk(), plan.status().toString());
  BOOST_TEST(env.storage.events.empty());
  BOOST_TEST(env.reg.totalBlobFetches() == 0);
  const auto& entries = plan->rows();
  BOOST_REQUIRE(entries.size() == 2u);
  BOOST_TEST(entries[0].tag == "a");
  BOOST_TEST(entries[0].bytes == env.reg.blobSize(cfgA) + env.reg.blobSize(shared));
  BOOST_TEST(entries[1].bytes == 0u);
  const std::string json = plan->toJson();
  BOOST_TEST(json.find("\"totals\":{\"bytes\":" +
                       std::to_string(env.reg.blobSize(cfgA) + env.reg.blobSize(shared)) +
                       ",\"blobs\":2,\"blobs_reused\":1,") != std::string::npos, json);
  BOOST_TEST(json.find("\"dry_run\":true") != std::string::npos, json);
  BOOST_TEST(json.find("\"tag\":\"a\",\"action\":\"synced\"") != std::string::npos, json);
  BOOST_TEST(json.find("\"timestamp\":\"2024-05-01T10:20:30Z\",\"timestamp_kind\":\"pushed\"") !=
             std::string::npos, json);
}

BOOST_AUTO_TEST_CASE(plan_shows_a_tag_the_source_cannot_read_as_failed_with_the_error) {
  Env env;
  std::string good = env.reg.addSimpleImage("linux", "amd64", "", "", "good");
  env.reg.tag("up/app", "bad", env.reg.addSimpleImage("linux", "amd64", "", "", "bad"));
  env.reg.tag("up/app", "good", good);
  env.source.setTime("good", 5);
  env.source.setError("bad", unavailableError("config blob: HTTP 500"));
  const Rule rule = makeRule();
  Planner planner(rule, env.source, env.reg, env.storage, env.choices, env.task);
  auto plan = planner.dryRun();
  BOOST_REQUIRE_MESSAGE(plan.isOk(), plan.status().toString());
  const auto& entries = plan->rows();
  BOOST_REQUIRE(entries.size() == 2u);
  BOOST_TEST(entries[0].tag == "good");
  BOOST_TEST(static_cast<int>(entries[0].action) == static_cast<int>(TagAction::kSynced));
  BOOST_TEST(entries[1].tag == "bad");
  BOOST_TEST(static_cast<int>(entries[1].action) == static_cast<int>(TagAction::kFailed));
  BOOST_TEST(entries[1].reasonCode == "fetch_failed");
  BOOST_TEST(entries[1].reason == "reading the tag at the source: config blob: HTTP 500",
             entries[1].reason);
  BOOST_TEST(entries[1].bytes == 0u);
  BOOST_TEST(env.storage.events.empty());
}

BOOST_AUTO_TEST_CASE(excluded_tags_are_listed_only_when_asked_for) {
  Env env;
  env.reg.tag("up/app", "1.0", env.reg.addSimpleImage("linux", "amd64", "", "", "a"));
  env.reg.tag("up/app", "latest", env.reg.addSimpleImage("linux", "amd64", "", "", "b"));
  env.reg.tag("up/app", "nightly", env.reg.addSimpleImage("linux", "amd64", "", "", "c"));
  const Rule rule = makeRule(R"({"tag_regex":"1\\..*"})");
  Planner quiet(rule, env.source, env.reg, env.storage, env.choices, env.task);
  auto plain = quiet.dryRun();
  BOOST_REQUIRE_MESSAGE(plain.isOk(), plain.status().toString());
  BOOST_TEST(plain->rows().size() == 1u);
  BOOST_TEST(plain->counts().excludedByRegex == 0u);

  Planner verbose(rule, env.source, env.reg, env.storage, env.choices, env.task);
  verbose.listExcludedTags(true);
  auto listed = verbose.dryRun();
  BOOST_REQUIRE_MESSAGE(listed.isOk(), listed.status().toString());
  BOOST_REQUIRE(listed->rows().size() == 3u);
  BOOST_TEST(listed->rows()[0].tag == "1.0");
  BOOST_TEST(is(listed->rows()[1].action, TagAction::kExcludedByRegex));
  BOOST_TEST(listed->rows()[1].reasonCode == "regex_not_matched");
  BOOST_TEST(listed->counts().excludedByRegex == 2u);
  BOOST_TEST(listed->toJson().find("\"dry_run\":true,\"status\":\"succeeded\"") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(excluded_rows_stop_at_the_cap_with_a_note_saying_how_many_were_cut) {
  Env env;
  const std::string image = env.reg.addSimpleImage("linux", "amd64", "", "", "x");
  env.reg.tag("up/app", "1.0", image);
  for (size_t i = 0; i < Planner::kMaxExcludedRows + 2; ++i)
    env.reg.tag("up/app", "other-" + std::to_string(i), image);
  const Rule rule = makeRule(R"({"tag_regex":"1\\..*"})");
  Planner planner(rule, env.source, env.reg, env.storage, env.choices, env.task);
  planner.listExcludedTags(true);
  auto report = planner.dryRun();
  BOOST_REQUIRE_MESSAGE(report.isOk(), report.status().toString());
  BOOST_TEST(report->counts().excludedByRegex == Planner::kMaxExcludedRows);
  BOOST_REQUIRE(report->notes().size() == 1u);
  BOOST_TEST(report->notes()[0] ==
             "2 more tags excluded by tag_regex are not listed (at most 1000 rows)");
}

BOOST_AUTO_TEST_CASE(a_tag_the_source_defers_is_deferred_with_the_budget_reported) {
  Env env;
  env.reg.tag("up/app", "new", env.reg.addSimpleImage("linux", "amd64", "", "", "new"));
  env.reg.tag("up/app", "old", env.reg.addSimpleImage("linux", "amd64", "", "", "old"));
  env.source.setTime("new", 2);
  env.source.setTime("old", 1);
  env.source.defer("old", {"budget_exhausted", "the Docker Hub pull budget is spent until 12:00Z"});
  registry::PullBudget budget;
  budget.limit = 100;
  budget.remaining = 1;
  budget.windowSeconds = 21600;
  budget.pullsNeeded = 2;
  env.source.setBudget(budget);
  env.source.addNote("ordered by image created time");
  RunReport r = env.run(makeRule());
  BOOST_TEST(r.status() == "partial");
  BOOST_TEST(is(entryFor(r, "new").action, TagAction::kSynced));
  const auto& old = entryFor(r, "old");
  BOOST_TEST(is(old.action, TagAction::kDeferred));
  BOOST_TEST(old.reasonCode == "budget_exhausted");
  BOOST_TEST(old.timestampKind == "pushed");
  BOOST_TEST(env.storage.tags.count("mirror/app:old") == 0u);
  const std::string json = r.toJson();
  BOOST_TEST(json.find("\"budget\":{\"limit\":100,\"remaining\":1,\"window_seconds\":21600,"
                       "\"reset_at\":null,\"pulls_needed\":2,\"pulls_spent\":0,\"reserve\":0}") != std::string::npos, json);
  BOOST_TEST(json.find("\"notes\":[\"ordered by image created time\"]") != std::string::npos, json);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ContentStoreRunTest)

namespace {

// A cold run of the custom source (whose listing reads every manifest and config for
// `created`) over multi-arch tags, with or without the run's content store.
struct CustomRun {
  FakeRegistry reg;
  FakeStorage storage;
  JsonFileCache created{""}, choices{""};
  RecordingTask task;
  NullLogger logger;
  registry::ContentStore store;
  registry::CachingRegistryReader cached{reg, store};
  std::vector<std::string> configs, manifests;
  std::set<std::string> blobs;

  CustomRun() {
    std::string amdBase = reg.addBlob("amd-base"), armBase = reg.addBlob("arm-base");
    blobs = {amdBase, armBase};
    for (int i = 0; i < 4; ++i) {
      const std::string n = std::to_string(i);
      const std::string when = "2024-0" + std::to_string(i + 1) + "-01T00:00:00Z";
      std::string amdCfg = reg.addConfig("linux", "amd64", "", when, "amd" + n);
      std::string armCfg = reg.addConfig("linux", "arm64", "v8", when, "arm" + n);
      std::string amdApp = reg.addBlob("amd-app" + n), armApp = reg.addBlob("arm-app" + n);
      std::string amd = reg.addImage(amdCfg, {amdBase, amdApp});
      std::string arm = reg.addImage(armCfg, {armBase, armApp});
      std::string idx = reg.addIndex({{amd, "linux", "amd64", ""}, {arm, "linux", "arm64", "v8"}});
      reg.tag("up/app", "v" + n, idx);
      configs.insert(configs.end(), {amdCfg, armCfg});
      manifests.insert(manifests.end(), {amd, arm, idx});
      blobs.insert({amdCfg, armCfg, amdApp, armApp});
    }
  }

  RunReport run(bool useStore) {
    registry::RegistryReader& reader = useStore ? static_cast<registry::RegistryReader&>(cached)
                                                : static_cast<registry::RegistryReader&>(reg);
    custom::CustomSource source(reader, "up/app", created, 4);
    SourceEndpoints endpoints(reg, "src.example", logger);
    BlobTransferOptions options;
    options.concurrency = 4;
    options.contents = useStore ? &store : nullptr;
    SyncEngine engine(makeRule(R"({"latest_n":10})"), source, reader, endpoints, storage,
                      choices, task, logger, options);
    auto r = engine.execute();
    BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
    return *r;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(every_manifest_and_config_is_fetched_once_per_run) {
  CustomRun env;
  RunReport r = env.run(true);
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.storage.tags.size() == 4u);
  BOOST_TEST(env.reg.getCalls == static_cast<int>(env.manifests.size()));  // 12, not 24
  BOOST_TEST(env.reg.headCalls == 4);
  for (const std::string& b : env.blobs) BOOST_TEST(env.reg.blobFetches[b] == 1, b);
  BOOST_TEST(env.reg.totalBlobFetches() == static_cast<int>(env.blobs.size()));
  // Configs stored from memory went through the host writer (verified at commit) and are
  // reported like any fetched blob.
  for (const std::string& c : env.configs) BOOST_TEST(env.storage.blobs.count(c) == 1u);
  BOOST_TEST(env.storage.aborts == 0);
  BOOST_TEST(r.toJson().find("\"blobs\":" + std::to_string(env.blobs.size())) !=
             std::string::npos, r.toJson());
  // Newest first, by config `created`.
  BOOST_TEST(r.rows().front().tag == "v3");
}

BOOST_AUTO_TEST_CASE(without_the_store_the_same_run_fetches_twice) {
  CustomRun env;
  RunReport r = env.run(false);
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.reg.getCalls == 2 * static_cast<int>(env.manifests.size()));
  for (const std::string& c : env.configs) BOOST_TEST(env.reg.blobFetches[c] == 2, c);
}

BOOST_AUTO_TEST_SUITE_END()
