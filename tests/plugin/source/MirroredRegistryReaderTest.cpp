// Mirrors (acceleration): content-addressed fetches go to the mirror first and fall back to
// the origin on 404, on wrong bytes and on a dead mirror; tags and tag->digest always come
// from the origin; SourceFactory only wires mirrors in when the rule has acceleration on.
#include <boost/test/unit_test.hpp>

#include <mutex>

#include "FakeRegistry.h"
#include "FakeHostServices.h"
#include "FakeSource.h"
#include "FakeStorage.h"
#include "StatusPrinting.h"
#include "tributary/plugin/source/MirroredRegistryReader.h"
#include "tributary/plugin/config/RuleValidator.h"
#include "tributary/plugin/source/SourceFactory.h"
#include "tributary/plugin/engine/SyncEngine.h"
#include "tributary/registry/CachingRegistryReader.h"
#include "tributary/registry/ContentStore.h"
#include "tributary/registry/MemoryBlobSink.h"
#include "tributary/registry/ParsedManifest.h"

using namespace tributary;
using namespace tributary::plugin;
using testing::FakeRegistry;
using testing::FakeSource;
using testing::FakeStorage;
using testing::FlagTask;
using testing::RecordingLogger;

namespace {



Rule makeRule(bool acceleration, const std::string& policy = "") {
  auto r = RuleValidator::validate(
      std::string(R"({"name":"t","source":{"type":"custom","domain":"origin.example","repository":"up/app"},)") +
      (policy.empty() ? "" : "\"policy\":" + policy + ",") +
      R"("destination":{"repository":"mirror/app"},"acceleration":)" +
      (acceleration ? "true" : "false") + "}");
  BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
  return *r;
}

// An origin and one mirror holding copies (the test decides which); the engine reads through
// a MirroredRegistryReader like Provider::execute does with acceleration on.
struct MirrorEnv {
  FakeRegistry origin;
  FakeRegistry mirror;
  FakeStorage storage;
  FakeSource source{origin, "up/app"};
  JsonFileCache choices{""};
  FlagTask task;
  RecordingLogger logger;
  SourceEndpoints endpoints{origin, "origin.example", logger};
  MirroredRegistryReader reader{endpoints};

  MirrorEnv() { endpoints.addMirror("mirror.example", mirror); }

  // The same content in both (a seeded mirror); returns the manifest digest, tagged v1 at the
  // origin only.
  std::string seedBoth(const std::string& layerBytes, const std::string& salt = "") {
    std::string m;
    for (FakeRegistry* r : {&origin, &mirror}) {
      m = r->addImage(r->addConfig("linux", "amd64", "", "2024-01-01T00:00:00Z", salt),
                      {r->addBlob(layerBytes)});
    }
    origin.tag("up/app", "v1", m);
    return m;
  }

  RunReport run(const Rule& rule) {
    BlobTransferOptions o;
    o.concurrency = 2;
    SyncEngine engine(rule, source, reader, endpoints, storage, choices, task, logger, o);
    auto r = engine.execute();
    BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
    return *r;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(MirroredRegistryReaderTest)

BOOST_AUTO_TEST_CASE(blobs_come_from_the_mirror_tags_from_the_origin) {
  MirrorEnv env;
  std::string m = env.seedBoth("layer-bytes");
  RunReport r = env.run(makeRule(true));
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.storage.tags["mirror/app:v1"] == m);
  BOOST_TEST(env.origin.totalBlobFetches() == 0);
  BOOST_TEST(env.mirror.totalBlobFetches() == 2);  // config + layer
  BOOST_TEST(env.origin.headCalls == 1);            // tag -> digest at the origin
  BOOST_TEST(env.origin.getCalls == 0);             // the manifest by digest came from the mirror
  BOOST_TEST(env.mirror.getCalls == 1);
  BOOST_TEST(env.mirror.headCalls == 0);
  BOOST_TEST(env.mirror.listCalls == 0);
  BOOST_TEST(env.mirror.getByTagCalls == 0);
  BOOST_TEST(r.toJson().find("\"mirror_blobs\":2") != std::string::npos, r.toJson());
}

BOOST_AUTO_TEST_CASE(tag_resolution_never_asks_the_mirror) {
  MirrorEnv env;
  std::string fresh = env.seedBoth("new-layer", "new");
  // The mirror is stale: its v1 (and everything a tag lookup there would say) is older.
  std::string stale = env.mirror.addSimpleImage("linux", "amd64", "", "", "old-layer");
  env.mirror.tag("up/app", "v1", stale);
  RunReport r = env.run(makeRule(true, R"({"platforms":["linux/amd64"]})"));
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.storage.tags["mirror/app:v1"] == fresh);
  BOOST_TEST(env.mirror.headCalls == 0);
  BOOST_TEST(env.mirror.listCalls == 0);
  BOOST_TEST(env.mirror.getByTagCalls == 0);
  // Direct calls too: by tag always the origin.
  auto byTag = env.reader.getManifest("up/app", "v1");
  BOOST_TEST_REQUIRE(byTag.isOk());
  BOOST_TEST(byTag->digest == fresh);
  BOOST_TEST(env.mirror.getByTagCalls == 0);
}

BOOST_AUTO_TEST_CASE(a_blob_missing_on_the_mirror_comes_from_the_origin) {
  MirrorEnv env;
  std::string m = env.seedBoth("shared-layer");
  std::string extra = env.origin.addBlob("only-at-origin");
  std::string m2 = env.origin.addImage(env.origin.addConfig("linux", "amd64", "", "", "2"),
                                       {env.origin.addBlob("shared-layer"), extra});
  env.mirror.putManifestAs(m2, env.origin.manifestBytes(m2), env.origin.mediaTypeOf(m2));
  env.origin.tag("up/app", "v2", m2);
  RunReport r = env.run(makeRule(true));
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.storage.tags["mirror/app:v2"] == m2);
  BOOST_TEST(env.storage.tags["mirror/app:v1"] == m);
  // The mirror said 404 for `extra` and the config of v2; the origin served just those.
  BOOST_TEST(env.mirror.blobFetches[extra] == 1);
  BOOST_TEST(env.origin.blobFetches[extra] == 1);
  BOOST_TEST(env.origin.totalBlobFetches() == 2);
  BOOST_TEST(env.logger.count(LogLevel::kDebug, "blob " + extra + " from mirror mirror.example failed (") == 1);
}

BOOST_AUTO_TEST_CASE(wrong_bytes_on_the_mirror_fall_back_to_the_origin) {
  MirrorEnv env;
  const std::string layerBytes = "the-real-layer";
  std::string m = env.seedBoth(layerBytes);
  const std::string layer = testing::sha256(layerBytes);
  env.mirror.putBlobAs(layer, "the-fake-layer");  // same size: only the digest tells
  RunReport r = env.run(makeRule(true));
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.storage.blobs[layer] == layerBytes);
  BOOST_TEST(env.origin.blobFetches[layer] == 1);
  BOOST_TEST(env.logger.count(LogLevel::kDebug, "blob " + layer + " from mirror mirror.example failed (") == 1);
  BOOST_TEST(r.toJson().find("\"mirror_blobs\":1") != std::string::npos, r.toJson());  // the config
}

BOOST_AUTO_TEST_CASE(wrong_manifest_or_config_bytes_on_the_mirror_fall_back) {
  MirrorEnv env;
  std::string cfg = env.origin.addConfig("linux", "amd64", "", "");
  env.mirror.addConfig("linux", "amd64", "", "");
  std::string m = env.origin.addImage(cfg, {env.origin.addBlob("l")});
  env.mirror.putManifestAs(m, env.origin.manifestBytes(m) + " ", env.origin.mediaTypeOf(m));
  env.mirror.putBlobAs(cfg, "{\"os\":\"linux\",\"architecture\":\"arm64\"}");
  // Through the reader directly: the digest decides, not the mirror.
  auto got = env.reader.getManifest("up/app", m);
  BOOST_TEST_REQUIRE(got.isOk(), got.status().toString());
  BOOST_TEST(got->bytes == env.origin.manifestBytes(m));
  BOOST_TEST(env.origin.getCalls == 1);
  registry::MemoryBlobSink sink(1 << 20);
  Status s = env.reader.fetchBlob("up/app", cfg, env.origin.blobSize(cfg), sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST(sink.verify(cfg).isOk());
  BOOST_TEST(env.origin.blobFetches[cfg] == 1);
}

BOOST_AUTO_TEST_CASE(a_dead_mirror_is_tried_once_per_run) {
  MirrorEnv env;
  env.seedBoth("a");
  std::string b = env.origin.addSimpleImage("linux", "amd64", "", "", "b");
  env.origin.tag("up/app", "v2", b);
  env.mirror.unreachable = true;
  RunReport r = env.run(makeRule(true));
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.storage.tags.size() == 2u);
  const int mirrorRequests = env.mirror.getCalls + env.mirror.totalBlobFetches();
  BOOST_TEST(mirrorRequests == 1);
  BOOST_TEST(env.logger.count(LogLevel::kInfo, "mirror mirror.example is not usable") == 1);
}

BOOST_AUTO_TEST_CASE(config_read_from_a_mirror_is_reported_mirror_served_when_stored_from_memory) {
  MirrorEnv env;
  registry::ContentStore store;
  registry::CachingRegistryReader cached(env.reader, store);
  const std::string onMirror = env.seedBoth("layer-bytes");
  const std::string originOnly = env.origin.addConfig("linux", "arm64", "", "", "origin-only");
  auto parsed = registry::ParsedManifest::parse(env.origin.manifestBytes(onMirror), "");
  BOOST_TEST_REQUIRE(parsed.isOk());
  const std::string mirrored = parsed->config.digest;
  for (const std::string& d : {mirrored, originOnly}) {
    registry::MemoryBlobSink sink(1 << 20);
    BOOST_TEST_REQUIRE(cached.fetchBlob("up/app", d, env.origin.blobSize(d), sink).isOk());
  }
  BOOST_TEST(env.endpoints.servedByMirror(mirrored));
  BOOST_TEST(!env.endpoints.servedByMirror(originOnly));

  // The transfer stores both from memory (no new request) and reports where they came from.
  env.origin.resetCounters();
  env.mirror.resetCounters();
  FakeStorage storage;
  ProgressReporter progress(env.task);
  BlobTransferOptions o;
  o.contents = &store;
  BlobTransfer transfer(env.endpoints, storage, "up/app", o, env.task, progress, env.logger);
  transfer.start({{mirrored, env.origin.blobSize(mirrored), nullptr},
                  {originOnly, env.origin.blobSize(originOnly), nullptr}});
  BOOST_TEST_REQUIRE(transfer.waitFor({mirrored, originOnly}).isOk());
  BOOST_TEST(transfer.outcome(mirrored).fetched);
  BOOST_TEST(transfer.outcome(mirrored).fromMirror);
  BOOST_TEST(!transfer.outcome(originOnly).fromMirror);
  BOOST_TEST(env.origin.totalBlobFetches() + env.mirror.totalBlobFetches() == 0);
  BOOST_TEST(storage.blobs.count(mirrored) == 1u);
  BOOST_TEST(storage.blobs.count(originOnly) == 1u);
}

BOOST_AUTO_TEST_CASE(acceleration_off_uses_no_mirror) {
  ProviderConfig config;
  config.mirrors["origin.example"] = {"mirror.example:5000"};
  JsonFileCache created("");
  NullLogger logger;
  for (bool acceleration : {false, true}) {
    auto session = SourceFactory::open(makeRule(acceleration), config, {}, {}, created, logger);
    BOOST_TEST_REQUIRE(session.isOk(), session.status().toString());
    BOOST_TEST((*session)->endpoints->hasMirrors() == acceleration);
    BOOST_TEST((*session)->mirrorClients.size() == (acceleration ? 1u : 0u));
    BOOST_TEST((dynamic_cast<MirroredRegistryReader*>((*session)->directReader.get()) != nullptr) ==
               acceleration);
    // Either way, manifests and configs go through the run's content store.
    BOOST_TEST(dynamic_cast<registry::CachingRegistryReader*>((*session)->reader.get()) != nullptr);
    BOOST_TEST(((*session)->contents != nullptr));
  }
  // Mirrors of another origin are not this rule's.
  ProviderConfig other;
  other.mirrors["elsewhere.example"] = {"mirror.example"};
  auto session = SourceFactory::open(makeRule(true), other, {}, {}, created, logger);
  BOOST_TEST_REQUIRE(session.isOk());
  BOOST_TEST(!(*session)->endpoints->hasMirrors());
}

BOOST_AUTO_TEST_SUITE_END()
