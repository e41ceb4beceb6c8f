// CustomSource: tags via tags/list, times from config `created`, cached by digest in memory
// and in a JSON file (a later process pays nothing but a HEAD per tag).
#define BOOST_TEST_MODULE custom_adapter_tests
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

#include "FakeRegistry.h"
#include "ForwardingReader.h"
#include "tributary/custom/CustomSource.h"
#include "tributary/custom/TagListMemory.h"
#include "tributary/JsonFileCache.h"
#include "tributary/registry/Rfc3339.h"

using namespace tributary;
using namespace tributary::custom;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/custom-source-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Fixture {
  testing::FakeRegistry reg;
  std::string v1, v2;
  Fixture() {
    v1 = reg.addSimpleImage("linux", "amd64", "", "2024-01-01T00:00:00Z", "one");
    v2 = reg.addSimpleImage("linux", "amd64", "", "2024-06-01T00:00:00.5Z", "two");
    reg.tag("lib/app", "1.0", v1);
    reg.tag("lib/app", "2.0", v2);
    reg.tag("lib/app", "dev", v2);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(CustomSourceTest)

BOOST_AUTO_TEST_CASE(lists_wanted_tags_with_created_times) {
  Fixture f;
  JsonFileCache cache("");
  CustomSource source(f.reg, "lib/app", cache);
  auto tags = source.listTags([](const std::string& t) { return t != "dev"; });
  BOOST_REQUIRE(tags.isOk());
  BOOST_REQUIRE(tags->size() == 2u);
  BOOST_TEST((*tags)[0].tag == "1.0");
  BOOST_TEST((*tags)[0].digest == f.v1);
  BOOST_TEST(registry::Rfc3339::formatMs(*(*tags)[0].pushedAtMs) == "2024-01-01T00:00:00Z");
  BOOST_TEST((*tags)[0].timestampSource == "config.created");
  BOOST_TEST(registry::Rfc3339::formatMs(*(*tags)[1].pushedAtMs) == "2024-06-01T00:00:00.500Z");
  // The unwanted tag cost nothing: 2 HEADs, 2 manifest GETs.
  BOOST_TEST(f.reg.headCalls == 2);
  BOOST_TEST(f.reg.getCalls == 2);
}

BOOST_AUTO_TEST_CASE(cache_hit_costs_a_head_and_no_get) {
  Fixture f;
  JsonFileCache cache("");
  CustomSource source(f.reg, "lib/app", cache);
  BOOST_REQUIRE(source.listTags(nullptr).isOk());
  // dev and 2.0 share a digest: the second already hits the cache within the first run.
  BOOST_TEST(f.reg.getCalls == 2);
  f.reg.resetCounters();
  auto again = source.listTags(nullptr);
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST(f.reg.headCalls == 3);
  BOOST_TEST(f.reg.getCalls == 0);
  BOOST_TEST(f.reg.totalBlobFetches() == 0);
  BOOST_TEST((*again)[0].timestampSource == "config.created (cached)");
  BOOST_TEST(registry::Rfc3339::formatMs(*(*again)[0].pushedAtMs) == "2024-01-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(cache_file_round_trip_warms_a_new_process) {
  Fixture f;
  TempDir dir;
  const std::string path = dir.path + "/custom-created.json";
  {
    JsonFileCache cache(path);
    CustomSource source(f.reg, "lib/app", cache);
    BOOST_REQUIRE(source.listTags(nullptr).isOk());
  }
  BOOST_TEST(std::filesystem::exists(path));
  f.reg.resetCounters();
  JsonFileCache fresh(path);  // as a later process would
  BOOST_TEST(fresh.size() == 2u);
  CustomSource source(f.reg, "lib/app", fresh);
  auto tags = source.listTags(nullptr);
  BOOST_REQUIRE(tags.isOk());
  BOOST_TEST(f.reg.getCalls == 0);
  BOOST_TEST(registry::Rfc3339::formatMs(*(*tags)[1].pushedAtMs) == "2024-06-01T00:00:00.500Z");
}

BOOST_AUTO_TEST_CASE(unknown_created_is_cached_too) {
  testing::FakeRegistry reg;
  reg.tag("lib/app", "x", reg.addSimpleImage("linux", "amd64", "", "", "x"));
  JsonFileCache cache("");
  CustomSource source(reg, "lib/app", cache);
  auto first = source.listTags(nullptr);
  BOOST_REQUIRE(first.isOk());
  BOOST_TEST(!(*first)[0].pushedAtMs.has_value());
  reg.resetCounters();
  BOOST_REQUIRE(source.listTags(nullptr).isOk());
  BOOST_TEST(reg.getCalls == 0);
}

BOOST_AUTO_TEST_CASE(listing_failure_is_returned) {
  Fixture f;
  f.reg.failList = true;
  JsonFileCache cache("");
  CustomSource source(f.reg, "lib/app", cache);
  auto tags = source.listTags(nullptr);
  BOOST_TEST(!tags.isOk());
  BOOST_TEST(static_cast<int>(tags.status().code()) == static_cast<int>(StatusCode::kUnavailable));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(JsonFileCacheTest)

BOOST_AUTO_TEST_CASE(corrupt_file_is_a_cold_cache_and_gets_replaced) {
  TempDir dir;
  const std::string path = dir.path + "/c.json";
  { std::ofstream(path) << "{not json"; }
  JsonFileCache cache(path);
  BOOST_TEST(cache.size() == 0u);
  cache.put("k", "v");
  BOOST_TEST(cache.flush().isOk());
  JsonFileCache again(path);
  BOOST_TEST(again.get("k").value_or("") == "v");
  // No temp files are left beside it.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) (void)e, ++files;
  BOOST_TEST(files == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(CustomSourceParallelTest)

namespace {

// FakeRegistry with chosen HEADs, manifest GETs or config fetches failing, to check what a
// parallel listing does with broken tags.
class FailingReader final : public testing::ForwardingReader {
 public:
  explicit FailingReader(testing::FakeRegistry& reg) : ForwardingReader(reg) {}
  Result<registry::ManifestDescriptor> headManifest(const std::string& r,
                                                    const std::string& ref) override {
    if (failHeads.count(ref)) return unavailableError("HEAD of " + ref + " failed (test)");
    return inner_.headManifest(r, ref);
  }
  Result<registry::Manifest> getManifest(const std::string& r, const std::string& ref) override {
    if (failManifests.count(ref)) return unavailableError("manifest " + ref + " failed (test)");
    return inner_.getManifest(r, ref);
  }
  Status fetchBlob(const std::string& r, const std::string& d, uint64_t size,
                   registry::BlobSink& sink) override {
    if (failBlobs.count(d)) return unavailableError("blob " + d + " failed (test)");
    return inner_.fetchBlob(r, d, size, sink);
  }
  std::set<std::string> failHeads, failBlobs, failManifests;
};

// 40 tags over 4 images (one an index), tags in listing order t10..t49.
struct ManyTags {
  testing::FakeRegistry reg;
  std::vector<std::string> images, configs;
  ManyTags() {
    for (int i = 0; i < 3; ++i) {
      const std::string n = std::to_string(i);
      std::string cfg = reg.addConfig("linux", "amd64", "", "2024-0" + std::to_string(i + 1) +
                                                                "-01T00:00:00Z", n);
      configs.push_back(cfg);
      images.push_back(reg.addImage(cfg, {reg.addBlob("layer" + n)}));
    }
    std::string armCfg = reg.addConfig("linux", "arm64", "", "2024-09-01T00:00:00Z", "arm");
    configs.push_back(armCfg);
    std::string arm = reg.addImage(armCfg, {reg.addBlob("arm-layer")});
    images.push_back(reg.addIndex({{images[0], "linux", "amd64", ""}, {arm, "linux", "arm64", ""}}));
    for (int i = 0; i < 40; ++i) reg.tag("lib/app", "t" + std::to_string(10 + i), images[i % 4]);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(parallel_listing_equals_serial_and_looks_each_digest_up_once) {
  ManyTags serial, parallel;
  JsonFileCache serialCache(""), parallelCache("");
  CustomSource one(serial.reg, "lib/app", serialCache, 1);
  CustomSource many(parallel.reg, "lib/app", parallelCache, 8);
  auto a = one.listTags(nullptr);
  auto b = many.listTags(nullptr);
  BOOST_REQUIRE(a.isOk());
  BOOST_REQUIRE(b.isOk());
  BOOST_REQUIRE(a->size() == 40u);
  BOOST_REQUIRE(b->size() == 40u);
  for (size_t i = 0; i < 40; ++i) {
    const registry::TagInfo &x = (*a)[i], &y = (*b)[i];
    BOOST_TEST(y.tag == "t" + std::to_string(10 + i));
    BOOST_TEST(x.tag == y.tag);
    BOOST_TEST(x.digest == y.digest);
    BOOST_TEST((x.pushedAtMs == y.pushedAtMs), x.tag);
    BOOST_TEST(x.timestampSource == y.timestampSource, x.tag);
  }
  // The first tag of each digest looked it up; the rest read what it cached.
  for (size_t i = 0; i < 40; ++i)
    BOOST_TEST((*b)[i].timestampSource ==
               (i < 4 ? CustomSource::kTimestampSource : CustomSource::kCachedTimestampSource));
  BOOST_TEST(registry::Rfc3339::formatMs(*(*b)[3].pushedAtMs) == "2024-09-01T00:00:00Z");
  // One HEAD per tag; one manifest GET per distinct digest (+ the index's 2 children, one of
  // which is also tagged on its own but read again as a child); one GET per config.
  BOOST_TEST(parallel.reg.headCalls == 40);
  BOOST_TEST(parallel.reg.getCalls == serial.reg.getCalls);
  BOOST_TEST(parallel.reg.getCalls == 4 + 2);
  for (const std::string& cfg : parallel.configs) BOOST_TEST(parallel.reg.blobFetches[cfg] <= serial.reg.blobFetches[cfg]);
  BOOST_TEST(parallel.reg.totalBlobFetches() == serial.reg.totalBlobFetches());
}

BOOST_AUTO_TEST_CASE(a_broken_tag_is_listed_with_its_error_and_the_others_with_times) {
  for (int workers : {1, 8}) {
    // HEAD of t27 and t41 fails (a 500 after retries); the config of images[2] (tags t12,
    // t16, ..., t48) cannot be fetched; the manifest GET of images[1] (t11, t15, ...) fails.
    ManyTags m;
    FailingReader reader(m.reg);
    reader.failHeads = {"t27", "t41"};
    reader.failBlobs = {m.configs[2]};
    reader.failManifests = {m.images[1]};
    JsonFileCache cache("");
    CustomSource source(reader, "lib/app", cache, workers);
    auto tags = source.listTags(nullptr);
    BOOST_REQUIRE_MESSAGE(tags.isOk(), tags.status().toString());
    BOOST_REQUIRE(tags->size() == 40u);
    for (size_t i = 0; i < 40; ++i) {
      const registry::TagInfo& t = (*tags)[i];
      BOOST_TEST(t.tag == "t" + std::to_string(10 + i));
      if (t.tag == "t27" || t.tag == "t41") {
        BOOST_TEST((t.error.code() == StatusCode::kUnavailable));
        BOOST_TEST(t.error.message().find("HEAD of " + t.tag) != std::string::npos,
                   t.error.message());
        BOOST_TEST(!t.pushedAtMs.has_value());
      } else if (i % 4 == 2) {
        BOOST_TEST(t.digest == m.images[2]);
        BOOST_TEST(t.error.message().find(m.configs[2]) != std::string::npos,
                   t.error.message());
        BOOST_TEST(!t.pushedAtMs.has_value());
        BOOST_TEST(t.timestampSource.empty());
      } else if (i % 4 == 1) {
        BOOST_TEST(t.digest == m.images[1]);
        BOOST_TEST(t.error.message().find("manifest " + m.images[1]) != std::string::npos,
                   t.error.message());
        BOOST_TEST(!t.pushedAtMs.has_value());
      } else {
        BOOST_TEST(t.error.isOk(), t.tag + ": " + t.error.toString());
        BOOST_REQUIRE(t.pushedAtMs.has_value());
        BOOST_TEST(registry::Rfc3339::formatMs(*t.pushedAtMs) ==
                   (i % 4 == 0 ? "2024-01-01T00:00:00Z" : "2024-09-01T00:00:00Z"));
      }
    }
    // A failed lookup is not cached as "no time": the next run tries again.
    BOOST_TEST(!cache.get(m.images[2]).has_value());
    BOOST_TEST(cache.get(m.images[0]).has_value());
  }
}

BOOST_AUTO_TEST_CASE(listing_fails_when_every_wanted_tag_failed) {
  for (int workers : {1, 8}) {
    ManyTags m;
    FailingReader reader(m.reg);
    for (int i = 10; i < 50; ++i) reader.failHeads.insert("t" + std::to_string(i));
    reader.failHeads.erase("t33");  // wanted by nobody below, so it does not save the listing
    JsonFileCache cache("");
    CustomSource source(reader, "lib/app", cache, workers);
    auto tags = source.listTags([](const std::string& t) { return t != "t33"; });
    BOOST_REQUIRE(!tags.isOk());
    // The first error in tag order.
    BOOST_TEST(tags.status().message().find("t10") != std::string::npos, tags.status().message());
    // With t33 wanted too, one good tag is enough for the listing to succeed.
    auto some = source.listTags(nullptr);
    BOOST_REQUIRE(some.isOk());
    BOOST_TEST(some->size() == 40u);
  }
}

BOOST_AUTO_TEST_CASE(tags_deleted_since_listing_are_left_out_in_parallel_too) {
  ManyTags m;
  JsonFileCache cache("");
  m.reg.tag("lib/app", "zz-dangling", testing::sha256("nothing"));  // HEAD answers 404
  CustomSource source(m.reg, "lib/app", cache, 8);
  auto tags = source.listTags(nullptr);
  BOOST_REQUIRE(tags.isOk());
  BOOST_TEST(tags->size() == 40u);
  BOOST_TEST(tags->back().tag == "t49");
}

namespace {

// Holds tags/list until `waitForHeads` HEADs have arrived (or 5 s passed), so a test can tell
// whether the HEADs went out while the list was still in flight.
class SlowListReader final : public testing::ForwardingReader {
 public:
  explicit SlowListReader(testing::FakeRegistry& reg) : ForwardingReader(reg) {}
  Result<std::vector<std::string>> listTags(const std::string& r) override {
    std::unique_lock<std::mutex> lock(m_);
    headsBeforeList = heads_;
    listWaitedForHeads = cv_.wait_for(lock, patience,
                                      [&] { return heads_ >= waitForHeads; });
    headsBeforeList = heads_;
    lock.unlock();
    return inner_.listTags(r);
  }
  Result<registry::ManifestDescriptor> headManifest(const std::string& r,
                                                    const std::string& ref) override {
    counted(ref, false);
    return inner_.headManifest(r, ref);
  }
  Result<registry::ManifestDescriptor> headManifestIfChanged(const std::string& r,
                                                             const std::string& ref,
                                                             const std::string& known) override {
    counted(ref, true);
    return inner_.headManifestIfChanged(r, ref, known);
  }
  int waitForHeads = 0;
  std::chrono::milliseconds patience{5000};
  int conditionalHeads = 0;
  int headsBeforeList = 0;
  bool listWaitedForHeads = false;
  std::vector<std::string> headed;

 private:
  void counted(const std::string& ref, bool conditional) {
    {
      std::lock_guard<std::mutex> lock(m_);
      ++heads_;
      if (conditional) ++conditionalHeads;
      headed.push_back(ref);
    }
    cv_.notify_all();
  }
  std::mutex m_;
  std::condition_variable cv_;
  int heads_ = 0;
};

std::vector<std::string> namesOf(const std::vector<TagListMemory::Tag>& tags) {
  std::vector<std::string> out;
  for (const auto& t : tags) out.push_back(t.name);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_remembered_listing_is_headed_while_the_list_is_in_flight) {
  ManyTags m;
  TagListMemory memory;
  JsonFileCache cache("");
  ListingMemory remember{&memory, "src/lib/app\n.*\n", [] { return false; }};
  CustomSource first(m.reg, "lib/app", cache, 8, remember);
  auto cold = first.listTags(nullptr);
  BOOST_REQUIRE(cold.isOk());
  BOOST_TEST(memory.recall(remember.key).size() == 40u);

  // Next run: t10 deleted at the source, t99 new. The 40 remembered tags are HEADed before
  // tags/list answers; t99 after it; t10's 404 drops it as before.
  m.reg.untag("lib/app", "t10");
  m.reg.tag("lib/app", "t99", m.images[0]);
  SlowListReader slow(m.reg);
  slow.waitForHeads = 40;
  m.reg.resetCounters();
  CustomSource second(slow, "lib/app", cache, 8, remember);
  auto warm = second.listTags(nullptr);
  BOOST_REQUIRE(warm.isOk());
  BOOST_TEST(slow.listWaitedForHeads);
  BOOST_TEST(slow.headsBeforeList == 40);
  BOOST_TEST(slow.headed.size() == 41u);  // 40 remembered (t10 among them) + t99 after the list
  // The remembered ones asked "still this digest?"; the 39 unchanged answered 304 (t10 is
  // gone: 404); t99, never seen, a plain HEAD.
  BOOST_TEST(slow.conditionalHeads == 40);
  BOOST_TEST(m.reg.notModifiedAnswers == 39);
  BOOST_TEST(slow.headed.back() == "t99");
  BOOST_REQUIRE(warm->size() == 40u);  // t11..t49 and t99
  BOOST_TEST(warm->front().tag == "t11");
  BOOST_TEST(warm->back().tag == "t99");
  BOOST_TEST(warm->back().digest == m.images[0]);
  // The same answer as a listing without memory.
  JsonFileCache coldCache("");
  CustomSource plain(m.reg, "lib/app", coldCache, 8);
  auto expected = plain.listTags(nullptr);
  BOOST_REQUIRE(expected.isOk());
  for (size_t i = 0; i < 40; ++i) {
    BOOST_TEST((*warm)[i].tag == (*expected)[i].tag);
    BOOST_TEST((*warm)[i].digest == (*expected)[i].digest);
    BOOST_TEST(((*warm)[i].pushedAtMs == (*expected)[i].pushedAtMs));
  }
  // What it remembers now: the tags present in this listing, with their digests.
  auto recalled = memory.recall(remember.key);
  BOOST_REQUIRE(recalled.size() == 40u);
  BOOST_TEST(recalled.back().name == "t99");
  BOOST_TEST(recalled.back().digest == m.images[0]);
  for (size_t i = 0; i < 40; ++i) BOOST_TEST(recalled[i].digest == (*expected)[i].digest);
  auto now = namesOf(recalled);
  BOOST_TEST((std::find(now.begin(), now.end(), "t10") == now.end()));
  BOOST_TEST((std::find(now.begin(), now.end(), "t99") != now.end()));
}

BOOST_AUTO_TEST_CASE(a_challenged_or_serial_listing_does_not_speculate) {
  ManyTags m;
  TagListMemory memory;
  JsonFileCache cache("");
  bool challenged = true;
  ListingMemory remember{&memory, "k", [&] { return challenged; }};
  memory.remember("k", {{"t10", ""}, {"t11", ""}});
  // A source that answered 401 this run: its listing is forgotten, not remembered.
  CustomSource source(m.reg, "lib/app", cache, 8, remember);
  BOOST_REQUIRE(source.listTags(nullptr).isOk());
  BOOST_TEST(memory.recall("k").empty());

  // One request at a time (concurrency 1): the list goes first, whatever is remembered.
  challenged = false;
  memory.remember("k", {{"t10", ""}, {"t11", ""}});
  SlowListReader slow(m.reg);
  slow.waitForHeads = 1;
  slow.patience = std::chrono::milliseconds(300);  // no HEAD may come before the list
  CustomSource serial(slow, "lib/app", cache, 1, remember);
  BOOST_REQUIRE(serial.listTags(nullptr).isOk());
  BOOST_TEST(slow.headsBeforeList == 0);
  BOOST_TEST(!slow.listWaitedForHeads);
}

BOOST_AUTO_TEST_CASE(a_failed_list_waits_for_its_early_heads_and_fails) {
  ManyTags m;
  TagListMemory memory;
  memory.remember("k", {{"t10", ""}, {"t11", ""}, {"t12", ""}});
  m.reg.failList = true;
  JsonFileCache cache("");
  CustomSource source(m.reg, "lib/app", cache, 4, {&memory, "k", [] { return false; }});
  auto tags = source.listTags(nullptr);
  BOOST_TEST(!tags.isOk());
  BOOST_TEST(m.reg.headCalls == 3);  // the early HEADs went out, and were joined
  BOOST_TEST((memory.recall("k").size() == 3u));  // a failed listing changes nothing
}

BOOST_AUTO_TEST_SUITE_END()
