// CachingRegistryReader over the in-memory FakeRegistry: a manifest or config read twice costs
// one source request (also when the first read was by tag), layers and HEADs pass through,
// and bytes that do not match their digest never reach the caller's sink.
#include <boost/test/unit_test.hpp>

#include "FakeRegistry.h"
#include "MemorySink.h"
#include "StatusPrinting.h"
#include "tributary/registry/CachingRegistryReader.h"

using namespace tributary;
using registry::CachingRegistryReader;
using registry::ContentStore;
using tributary::testing::FakeRegistry;
using Sink = tributary::registry::testing::MemorySink;

namespace {

struct Env {
  FakeRegistry reg;
  ContentStore store;
  CachingRegistryReader reader{reg, store};
  std::string config, layer, image;
  Env() {
    config = reg.addConfig("linux", "amd64", "", "2024-01-01T00:00:00Z");
    layer = reg.addBlob(std::string(4096, 'L'));
    image = reg.addImage(config, {layer});
    reg.tag("up/app", "v1", image);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(CachingRegistryReaderTest)

BOOST_AUTO_TEST_CASE(manifest_by_digest_is_fetched_once) {
  Env env;
  for (int i = 0; i < 3; ++i) {
    auto m = env.reader.getManifest("up/app", env.image);
    BOOST_TEST_REQUIRE(m.isOk(), m.status().toString());
    BOOST_TEST(m->digest == env.image);
    BOOST_TEST(m->bytes == env.reg.manifestBytes(env.image));
    BOOST_TEST(m->mediaType == "application/vnd.docker.distribution.manifest.v2+json");
  }
  BOOST_TEST(env.reg.getCalls == 1);
}

BOOST_AUTO_TEST_CASE(manifest_by_tag_always_asks_but_fills_the_store) {
  Env env;
  for (int i = 0; i < 2; ++i) BOOST_TEST(env.reader.getManifest("up/app", "v1").isOk());
  BOOST_TEST(env.reg.getByTagCalls == 2);  // a tag may move: never answered from memory
  auto m = env.reader.getManifest("up/app", env.image);
  BOOST_TEST_REQUIRE(m.isOk());
  BOOST_TEST(env.reg.getCalls == 2);  // the by-digest read was a hit
}

BOOST_AUTO_TEST_CASE(small_blob_is_fetched_once_and_written_to_each_sink) {
  Env env;
  const uint64_t size = env.reg.blobSize(env.config);
  for (int i = 0; i < 3; ++i) {
    Sink sink;
    BOOST_TEST_REQUIRE(env.reader.fetchBlob("up/app", env.config, size, sink).isOk());
    BOOST_TEST(tributary::testing::sha256(sink.bytes) == env.config);
  }
  BOOST_TEST(env.reg.blobFetches[env.config] == 1);
  BOOST_TEST(env.store.find(ContentStore::Kind::kBlob, env.config).has_value());
}

BOOST_AUTO_TEST_CASE(blobs_over_the_limit_stream_through_every_time) {
  FakeRegistry reg;
  ContentStore::Limits limits;
  limits.maxBlobBytes = 1024;
  ContentStore store(limits);
  CachingRegistryReader reader(reg, store);
  const std::string big = reg.addBlob(std::string(4096, 'B'));
  for (int i = 0; i < 2; ++i) {
    Sink sink;
    BOOST_TEST_REQUIRE(reader.fetchBlob("up/app", big, 4096, sink).isOk());
    BOOST_TEST(sink.bytes.size() == 4096u);
  }
  BOOST_TEST(reg.blobFetches[big] == 2);
  BOOST_TEST(store.stats().entries == 0u);
}

BOOST_AUTO_TEST_CASE(corrupt_blob_is_data_loss_and_reaches_no_sink) {
  Env env;
  const std::string claimed = env.reg.addBlob("genuine config");
  env.reg.putBlobAs(claimed, "forged config!");
  Sink sink;
  Status s = env.reader.fetchBlob("up/app", claimed, 14, sink);
  BOOST_TEST(s.code() == StatusCode::kDataLoss);
  BOOST_TEST(sink.bytes.empty());
  BOOST_TEST(!env.store.find(ContentStore::Kind::kBlob, claimed).has_value());
}

BOOST_AUTO_TEST_CASE(corrupt_blob_is_fetched_three_times_before_data_loss) {
  Env env;
  const std::string claimed = env.reg.addBlob("genuine config");
  env.reg.putBlobAs(claimed, "forged config!");
  Sink sink;
  Status s = env.reader.fetchBlob("up/app", claimed, 14, sink);
  BOOST_TEST(s.code() == StatusCode::kDataLoss);
  BOOST_TEST(s.message().find("after 3 fetch attempts") != std::string::npos, s.message());
  BOOST_TEST(env.reg.blobFetches[claimed] == 3);
}

BOOST_AUTO_TEST_CASE(config_damaged_in_transit_once_is_fetched_again) {
  // The soak test's proxy flips a byte of every 10th blob answer: a config read for `created`
  // or the platform check must ride that out like a layer does.
  Env env;
  const uint64_t size = env.reg.blobSize(env.config);
  env.reg.damageNextFetches[env.config] = 2;
  Sink sink;
  Status s = env.reader.fetchBlob("up/app", env.config, size, sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST(tributary::testing::sha256(sink.bytes) == env.config);
  BOOST_TEST(env.reg.blobFetches[env.config] == 3);
  BOOST_TEST(env.store.find(ContentStore::Kind::kBlob, env.config).has_value());
}

BOOST_AUTO_TEST_CASE(heads_and_listing_pass_through) {
  Env env;
  for (int i = 0; i < 2; ++i) {
    auto h = env.reader.headManifest("up/app", "v1");
    BOOST_TEST_REQUIRE(h.isOk());
    BOOST_TEST(h->digest == env.image);
  }
  BOOST_TEST(env.reg.headCalls == 2);
  BOOST_TEST(env.reader.listTags("up/app").isOk());
  BOOST_TEST(env.reg.listCalls == 1);
}

BOOST_AUTO_TEST_SUITE_END()
