// CustomSource: tags via tags/list, times from config `created`, cached by digest in memory
// and in a JSON file (a later process pays nothing but a HEAD per tag).
#define BOOST_TEST_MODULE custom_adapter_tests
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "FakeRegistry.h"
#include "tributary/custom/CustomSource.h"
#include "tributary/registry/JsonFileCache.h"
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
  registry::JsonFileCache cache("");
  CustomSource source(nullptr, f.reg, "lib/app", cache);
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
  registry::JsonFileCache cache("");
  CustomSource source(nullptr, f.reg, "lib/app", cache);
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
    registry::JsonFileCache cache(path);
    CustomSource source(nullptr, f.reg, "lib/app", cache);
    BOOST_REQUIRE(source.listTags(nullptr).isOk());
  }
  BOOST_TEST(std::filesystem::exists(path));
  f.reg.resetCounters();
  registry::JsonFileCache fresh(path);  // as a later process would
  BOOST_TEST(fresh.size() == 2u);
  CustomSource source(nullptr, f.reg, "lib/app", fresh);
  auto tags = source.listTags(nullptr);
  BOOST_REQUIRE(tags.isOk());
  BOOST_TEST(f.reg.getCalls == 0);
  BOOST_TEST(registry::Rfc3339::formatMs(*(*tags)[1].pushedAtMs) == "2024-06-01T00:00:00.500Z");
}

BOOST_AUTO_TEST_CASE(unknown_created_is_cached_too) {
  testing::FakeRegistry reg;
  reg.tag("lib/app", "x", reg.addSimpleImage("linux", "amd64", "", "", "x"));
  registry::JsonFileCache cache("");
  CustomSource source(nullptr, reg, "lib/app", cache);
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
  registry::JsonFileCache cache("");
  CustomSource source(nullptr, f.reg, "lib/app", cache);
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
  registry::JsonFileCache cache(path);
  BOOST_TEST(cache.size() == 0u);
  cache.put("k", "v");
  BOOST_TEST(cache.flush().isOk());
  registry::JsonFileCache again(path);
  BOOST_TEST(again.get("k").value_or("") == "v");
  // No temp files are left beside it.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) (void)e, ++files;
  BOOST_TEST(files == 1);
}

BOOST_AUTO_TEST_SUITE_END()
