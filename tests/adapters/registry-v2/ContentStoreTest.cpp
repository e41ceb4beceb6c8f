// The per-run content store: only bytes matching their digest are kept; hits and misses;
// size limits and budget; single-flight across threads (one fetch, errors shared, retried
// afterwards); manifests and blobs kept apart.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "FakeRegistry.h"
#include "StatusPrinting.h"
#include "tributary/registry/ContentStore.h"

using namespace tributary;
using registry::ContentStore;
using Kind = registry::ContentStore::Kind;

namespace {

ContentStore::Entry entryOf(const std::string& bytes, const std::string& mediaType = "") {
  return ContentStore::Entry{std::make_shared<const std::string>(bytes), mediaType};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ContentStoreTest)

BOOST_AUTO_TEST_CASE(put_keeps_only_bytes_that_match_their_digest) {
  ContentStore store;
  const std::string good = "{\"config\":1}";
  const std::string digest = tributary::testing::sha256(good);
  Status bad = store.put(Kind::kBlob, digest, "{\"config\":2}");
  BOOST_TEST(bad.code() == StatusCode::kDataLoss);
  BOOST_TEST(!store.find(Kind::kBlob, digest).has_value());
  BOOST_TEST(store.put(Kind::kBlob, "sha256:nothex", good).code() ==
             StatusCode::kInvalidArgument);

  BOOST_TEST(store.put(Kind::kBlob, digest, good).isOk());
  auto hit = store.find(Kind::kBlob, digest);
  BOOST_TEST_REQUIRE(hit.has_value());
  BOOST_TEST(*hit->bytes == good);
  BOOST_TEST(store.stats().hits == 1u);
  BOOST_TEST(store.stats().entries == 1u);
  BOOST_TEST(store.stats().bytes == good.size());
}

BOOST_AUTO_TEST_CASE(manifests_and_blobs_are_separate) {
  ContentStore store;
  const std::string bytes = "{\"schemaVersion\":2}";
  const std::string digest = tributary::testing::sha256(bytes);
  BOOST_TEST(store.put(Kind::kManifest, digest, bytes, "application/x-test").isOk());
  BOOST_TEST(!store.find(Kind::kBlob, digest).has_value());
  auto m = store.find(Kind::kManifest, digest);
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->mediaType == "application/x-test");
}

BOOST_AUTO_TEST_CASE(get_or_fetch_fetches_once_then_hits) {
  ContentStore store;
  const std::string bytes = "config bytes";
  const std::string digest = tributary::testing::sha256(bytes);
  int fetches = 0;
  auto fetch = [&]() -> Result<ContentStore::Entry> {
    ++fetches;
    return entryOf(bytes);
  };
  for (int i = 0; i < 3; ++i) {
    auto e = store.getOrFetch(Kind::kBlob, digest, fetch);
    BOOST_TEST_REQUIRE(e.isOk(), e.status().toString());
    BOOST_TEST(*e->bytes == bytes);
  }
  BOOST_TEST(fetches == 1);
  BOOST_TEST(store.stats().fetches == 1u);
  BOOST_TEST(store.stats().hits == 2u);
}

BOOST_AUTO_TEST_CASE(wrong_bytes_from_a_fetch_are_data_loss_and_not_kept) {
  ContentStore store;
  const std::string digest = tributary::testing::sha256("the real bytes");
  int fetches = 0;
  auto e = store.getOrFetch(Kind::kManifest, digest, [&]() -> Result<ContentStore::Entry> {
    ++fetches;
    return entryOf("tampered bytes");
  });
  BOOST_TEST(e.status().code() == StatusCode::kDataLoss);
  BOOST_TEST(!store.find(Kind::kManifest, digest).has_value());
  auto again = store.getOrFetch(Kind::kManifest, digest, [&]() -> Result<ContentStore::Entry> {
    ++fetches;
    return entryOf("the real bytes");
  });
  BOOST_TEST(again.isOk(), again.status().toString());
  BOOST_TEST(fetches == 2);
}

BOOST_AUTO_TEST_CASE(sha512_digests_are_verified_too) {
  ContentStore store;
  const std::string bytes = "abc";
  const std::string digest =
      "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a8"
      "36ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
  BOOST_TEST(store.put(Kind::kBlob, digest, bytes).isOk());
  BOOST_TEST(store.find(Kind::kBlob, digest).has_value());
  BOOST_TEST(store.put(Kind::kBlob, digest, "abd").code() == StatusCode::kDataLoss);
}

BOOST_AUTO_TEST_CASE(too_large_or_over_budget_is_handed_through_not_kept) {
  ContentStore::Limits limits;
  limits.maxBlobBytes = 8;
  limits.maxTotalBytes = 20;
  ContentStore store(limits);
  BOOST_TEST(store.fits(Kind::kBlob, 8));
  BOOST_TEST(!store.fits(Kind::kBlob, 9));
  BOOST_TEST(store.fits(Kind::kManifest, 9));

  const std::string big = "123456789";  // 9 > maxBlobBytes
  auto e = store.getOrFetch(Kind::kBlob, tributary::testing::sha256(big),
                            [&]() -> Result<ContentStore::Entry> { return entryOf(big); });
  BOOST_TEST_REQUIRE(e.isOk());
  BOOST_TEST(*e->bytes == big);
  BOOST_TEST(!store.find(Kind::kBlob, tributary::testing::sha256(big)).has_value());

  // 12 + 12 > 20: the second manifest is not kept.
  const std::string m1 = "manifest-one", m2 = "manifest-two";
  BOOST_TEST(store.put(Kind::kManifest, tributary::testing::sha256(m1), m1).isOk());
  BOOST_TEST(store.put(Kind::kManifest, tributary::testing::sha256(m2), m2).isOk());
  BOOST_TEST(store.find(Kind::kManifest, tributary::testing::sha256(m1)).has_value());
  BOOST_TEST(!store.find(Kind::kManifest, tributary::testing::sha256(m2)).has_value());
  BOOST_TEST(store.stats().bytes == m1.size());
}

BOOST_AUTO_TEST_CASE(concurrent_callers_share_one_fetch) {
  ContentStore store;
  const std::string bytes = "shared config";
  const std::string digest = tributary::testing::sha256(bytes);
  std::atomic<int> fetches{0};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto e = store.getOrFetch(Kind::kBlob, digest, [&]() -> Result<ContentStore::Entry> {
        ++fetches;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the others queue
        return entryOf(bytes);
      });
      if (e.isOk() && *e->bytes == bytes) ++ok;
    });
  for (std::thread& t : threads) t.join();
  BOOST_TEST(fetches.load() == 1);
  BOOST_TEST(ok.load() == 8);
}

BOOST_AUTO_TEST_CASE(a_failed_fetch_is_shared_with_waiters_and_retried_later) {
  ContentStore store;
  const std::string bytes = "flaky";
  const std::string digest = tributary::testing::sha256(bytes);
  std::atomic<int> fetches{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      auto e = store.getOrFetch(Kind::kBlob, digest, [&]() -> Result<ContentStore::Entry> {
        ++fetches;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return unavailableError("connection reset (test)");
      });
      if (e.status().code() == StatusCode::kUnavailable) ++failures;
    });
  for (std::thread& t : threads) t.join();
  BOOST_TEST(failures.load() == 4);
  BOOST_TEST(fetches.load() >= 1);
  BOOST_TEST(fetches.load() < 4);  // at least some waited for the first instead of asking
  auto later = store.getOrFetch(Kind::kBlob, digest,
                                [&]() -> Result<ContentStore::Entry> { return entryOf(bytes); });
  BOOST_TEST(later.isOk(), later.status().toString());
}

BOOST_AUTO_TEST_CASE(an_exception_in_a_fetch_releases_waiters) {
  ContentStore store;
  const std::string digest = tributary::testing::sha256("x");
  BOOST_CHECK_THROW(store.getOrFetch(Kind::kBlob, digest,
                                     []() -> Result<ContentStore::Entry> {
                                       throw std::runtime_error("boom");
                                     }),
                    std::runtime_error);
  auto e = store.getOrFetch(Kind::kBlob, digest,
                            []() -> Result<ContentStore::Entry> { return entryOf("x"); });
  BOOST_TEST(e.isOk(), e.status().toString());
}

BOOST_AUTO_TEST_SUITE_END()
