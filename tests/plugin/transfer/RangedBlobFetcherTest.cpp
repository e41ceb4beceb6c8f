// Parallel ranged fetch of one blob: in-order assembly whatever order parts finish in, the
// memory bound (parts buffered at once), part retries, "Range ignored", cancellation; and
// BlobTransfer's use of it (threshold, fallback to one whole fetch, report totals).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "FakeRegistry.h"
#include "FakeHostServices.h"
#include "FakeSource.h"
#include "FakeStorage.h"
#include "StatusPrinting.h"
#include "tributary/plugin/transfer/RangedBlobFetcher.h"
#include "tributary/plugin/config/RuleValidator.h"
#include "tributary/plugin/engine/SyncEngine.h"

using namespace tributary;
using namespace tributary::plugin;
using testing::FakeRegistry;
using testing::FakeSource;
using testing::FakeStorage;
using testing::FlagTask;

namespace {

std::string randomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}


// The writer side: appends in call order and publishes how much it holds, so a part fetch
// running on another thread can see how far ahead of the writer it is.
class OrderedSink final : public registry::BlobSink {
 public:
  Status write(const char* data, size_t len) override {
    bytes.append(data, len);
    written = bytes.size();
    return Status();
  }
  Status reset() override {
    bytes.clear();
    written = 0;
    ++resets;
    return Status();
  }
  uint64_t offset() const override { return bytes.size(); }
  std::string bytes;
  std::atomic<uint64_t> written{0};
  int resets = 0;
};

// A source that serves ranges of one blob, with a hook that runs before each part is served
// (to delay it, fail it or block it) and a record of the order parts completed in.
class PartReader final : public registry::RegistryReader {
 public:
  explicit PartReader(std::string blob) : blob_(std::move(blob)) {}

  Result<std::vector<std::string>> listTags(const std::string&) override { return notFound(); }
  Result<registry::ManifestDescriptor> headManifest(const std::string&, const std::string&) override {
    return notFound();
  }
  Result<registry::Manifest> getManifest(const std::string&, const std::string&) override {
    return notFound();
  }
  Status fetchBlob(const std::string&, const std::string&, uint64_t, registry::BlobSink& sink) override {
    ++wholeFetches;
    return sink.write(blob_.data(), blob_.size());
  }
  Status fetchBlobRange(const std::string&, const std::string&, uint64_t offset, uint64_t length,
                        registry::BlobSink& sink) override {
    ++rangeCalls;
    if (stallUntilAbandoned && stallUntilAbandoned(offset)) {
      // What the client's watchdog does to a stalled request whose sink is abandoned.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!sink.abandoned() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return cancelledError("request cut: its part was abandoned (fake)");
    }
    if (beforePart) {
      Status s = beforePart(offset, length);
      if (!s.isOk()) return s;
    }
    // Two writes, so a part is not a single call.
    const size_t half = static_cast<size_t>(length / 2);
    Status s = sink.write(blob_.data() + offset, half);
    if (s.isOk()) s = sink.write(blob_.data() + offset + half, static_cast<size_t>(length) - half);
    {
      std::lock_guard<std::mutex> lock(mu);
      completed.push_back(offset);
    }
    done.notify_all();
    return s;
  }

  std::function<Status(uint64_t offset, uint64_t length)> beforePart;
  /// Parts (by offset) whose source stalls until the fetcher abandons them.
  std::function<bool(uint64_t offset)> stallUntilAbandoned;
  std::mutex mu;
  std::condition_variable done;
  std::vector<uint64_t> completed;  // offsets, in completion order; guarded by mu
  std::atomic<int> rangeCalls{0};
  std::atomic<int> wholeFetches{0};

 private:
  static Status notFound() { return notFoundError("not in this fake"); }
  std::string blob_;
};

RangedFetchOptions partsOf(uint64_t partSize, int parallelism, int attempts = 3) {
  RangedFetchOptions o;
  o.partSize = partSize;
  o.parallelism = parallelism;
  o.partAttempts = attempts;
  o.retryDelay = std::chrono::milliseconds(1);
  return o;
}

const std::string kDigest = "sha256:" + std::string(64, 'c');

}  // namespace

BOOST_AUTO_TEST_SUITE(RangedBlobFetcherTest)

BOOST_AUTO_TEST_CASE(parts_finishing_in_reverse_are_written_in_order) {
  const std::string blob = randomBytes(3500, 1);  // 4 parts, the last one short
  PartReader reader(blob);
  // Part k is held back until every later part has completed: completion order 3,2,1,0.
  reader.beforePart = [&](uint64_t offset, uint64_t) {
    const uint64_t later = (3500 - 1) / 1000 - offset / 1000;
    std::unique_lock<std::mutex> lock(reader.mu);
    bool ok = reader.done.wait_for(lock, std::chrono::seconds(5),
                                   [&] { return reader.completed.size() >= later; });
    return ok ? Status() : deadlineExceededError("later parts never completed");
  };
  FlagTask task;
  RangedBlobFetcher fetcher(reader, task, partsOf(1000, 4));
  OrderedSink sink;
  Status s = fetcher.fetch("up/app", kDigest, blob.size(), sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((reader.completed == std::vector<uint64_t>{3000, 2000, 1000, 0}));
  BOOST_TEST(sink.bytes.size() == blob.size());
  BOOST_TEST((sink.bytes == blob));  // in order, so the writer's hash comes out right
  BOOST_TEST(fetcher.stats().parts == 4u);
  BOOST_TEST(reader.wholeFetches == 0);
}

BOOST_AUTO_TEST_CASE(parts_buffered_at_once_stay_within_parallelism_plus_one) {
  const uint64_t part = 1000;
  const std::string blob = randomBytes(12 * part, 2);
  PartReader reader(blob);
  OrderedSink sink;
  std::atomic<int> mostAhead{0};
  // Every third part is slow: without a window the other fetchers would run ahead and buffer
  // the whole blob while the slow part holds up the writer.
  reader.beforePart = [&](uint64_t offset, uint64_t) {
    // Parts alive when this one starts: from the one the writer needs next up to this one.
    const int ahead = static_cast<int>(offset / part - sink.written.load() / part) + 1;
    int seen = mostAhead.load();
    while (ahead > seen && !mostAhead.compare_exchange_weak(seen, ahead)) {
    }
    if ((offset / part) % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(40));
    return Status();
  };
  FlagTask task;
  RangedBlobFetcher fetcher(reader, task, partsOf(part, 3));
  Status s = fetcher.fetch("up/app", kDigest, blob.size(), sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((sink.bytes == blob));
  BOOST_TEST(fetcher.stats().peakLiveBuffers <= 4);  // parallelism + 1
  BOOST_TEST(fetcher.stats().peakLiveBuffers >= 2);  // and parts did overlap
  BOOST_TEST(mostAhead.load() <= 4, "a part started " << mostAhead.load() << " parts ahead");
}

BOOST_AUTO_TEST_CASE(a_failed_part_is_retried) {
  const std::string blob = randomBytes(4000, 3);
  PartReader reader(blob);
  std::atomic<int> failuresLeft{2};
  reader.beforePart = [&](uint64_t offset, uint64_t) {
    if (offset == 2000 && failuresLeft-- > 0) return unavailableError("connection reset (fake)");
    return Status();
  };
  FlagTask task;
  RangedBlobFetcher fetcher(reader, task, partsOf(1000, 2, 3));
  OrderedSink sink;
  Status s = fetcher.fetch("up/app", kDigest, blob.size(), sink);
  BOOST_TEST_REQUIRE(s.isOk(), s.toString());
  BOOST_TEST((sink.bytes == blob));
  BOOST_TEST(fetcher.stats().partRetries == 2u);
  BOOST_TEST(reader.rangeCalls == 6);
}

BOOST_AUTO_TEST_CASE(a_part_that_keeps_failing_fails_the_blob) {
  const std::string blob = randomBytes(4000, 4);
  PartReader reader(blob);
  std::atomic<int> triesOfPart2{0};
  reader.beforePart = [&](uint64_t offset, uint64_t) {
    if (offset == 1000) {
      ++triesOfPart2;
      return unavailableError("HTTP 503 (fake)");
    }
    return Status();
  };
  FlagTask task;
  RangedBlobFetcher fetcher(reader, task, partsOf(1000, 2, 3));
  OrderedSink sink;
  Status s = fetcher.fetch("up/app", kDigest, blob.size(), sink);
  BOOST_TEST(s.code() == StatusCode::kUnavailable);
  BOOST_TEST(s.message().find("part 2/4 failed after 3 tries") != std::string::npos, s.message());
  BOOST_TEST(triesOfPart2.load() == 3);
  BOOST_TEST(sink.bytes.size() < blob.size());
}

// Part 2 fails for good while part 1's source has stalled: part 1 is abandoned (with a real
// client its socket is shut down) rather than waited for, and the blob fails with part 2's
// error, not with part 1's cut nor OK.
BOOST_AUTO_TEST_CASE(a_part_failing_for_good_abandons_its_stalled_sibling) {
  const std::string blob = randomBytes(4000, 9);
  PartReader reader(blob);
  reader.stallUntilAbandoned = [](uint64_t offset) { return offset == 0; };
  reader.beforePart = [](uint64_t offset, uint64_t) {
    if (offset == 1000) return notFoundError("HTTP 404 (fake)");
    return Status();
  };
  FlagTask task;
  RangedBlobFetcher fetcher(reader, task, partsOf(1000, 2, 2));
  OrderedSink sink;
  const auto started = std::chrono::steady_clock::now();
  Status s = fetcher.fetch("up/app", kDigest, blob.size(), sink);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  BOOST_TEST(s.code() == StatusCode::kNotFound, s.toString());
  BOOST_TEST(s.message().find("part 2/4") != std::string::npos, s.message());
  BOOST_TEST(took.count() < 10000);
  BOOST_TEST(sink.bytes.empty());  // part 1 never arrived, so nothing was written
}

BOOST_AUTO_TEST_CASE(range_ignored_is_unimplemented_without_retries) {
  const std::string blob = randomBytes(4000, 5);
  PartReader reader(blob);
  reader.beforePart = [](uint64_t, uint64_t) { return unimplementedError("ignores Range (fake)"); };
  FlagTask task;
  RangedBlobFetcher fetcher(reader, task, partsOf(1000, 2, 3));
  OrderedSink sink;
  Status s = fetcher.fetch("up/app", kDigest, blob.size(), sink);
  BOOST_TEST(s.code() == StatusCode::kUnimplemented);
  BOOST_TEST(reader.rangeCalls <= 2);  // at most the parts in flight, none retried
  BOOST_TEST(fetcher.stats().partRetries == 0u);
}

BOOST_AUTO_TEST_CASE(cancellation_is_noticed_within_a_second) {
  const std::string blob = randomBytes(8000, 6);
  PartReader reader(blob);
  FlagTask task;
  // Parts hang (polling the task like the real client does between chunks).
  reader.beforePart = [&](uint64_t, uint64_t) {
    while (!task.isCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return cancelledError("cancelled (fake)");
  };
  RangedBlobFetcher fetcher(reader, task, partsOf(1000, 4));
  OrderedSink sink;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    task.cancelled = true;
  });
  const auto start = std::chrono::steady_clock::now();
  Status s = fetcher.fetch("up/app", kDigest, blob.size(), sink);
  const auto took = std::chrono::steady_clock::now() - start;
  canceller.join();
  BOOST_TEST(s.code() == StatusCode::kCancelled);
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 1100);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------

namespace {

Rule acceleratedRule() {
  auto r = RuleValidator::validate(
      R"({"name":"t","source":{"type":"custom","domain":"src.example","repository":"up/app"},)"
      R"("destination":{"repository":"mirror/app"},"acceleration":true})");
  BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
  return *r;
}

struct AccelEnv {
  FakeRegistry reg;
  FakeStorage storage;
  FakeSource source{reg, "up/app"};
  JsonFileCache choices{""};
  FlagTask task;
  NullLogger logger;
  SourceEndpoints endpoints{reg, "src.example", logger};

  BlobTransferOptions options() {
    BlobTransferOptions o;
    o.concurrency = 2;
    o.ranged = true;
    o.rangeThreshold = 10000;
    o.parts = partsOf(4096, 3);
    return o;
  }
  RunReport run(BlobTransferOptions o) {
    SyncEngine engine(acceleratedRule(), source, reg, endpoints, storage, choices, task, logger, o);
    auto r = engine.execute();
    BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
    return *r;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(RangedTransferTest)

BOOST_AUTO_TEST_CASE(large_blobs_are_ranged_small_ones_are_not) {
  AccelEnv env;
  env.reg.honourRange = true;
  const std::string bigBytes = randomBytes(50000, 7);
  std::string big = env.reg.addBlob(bigBytes);
  std::string small = env.reg.addBlob(randomBytes(9999, 8));
  std::string cfg = env.reg.addConfig("linux", "amd64", "", "");
  env.reg.tag("up/app", "v1", env.reg.addImage(cfg, {big, small}));
  RunReport r = env.run(env.options());
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.storage.blobs[big] == bigBytes);  // committed: the fake verified the digest
  BOOST_TEST(env.reg.rangeFetches[big] == 13);     // ceil(50000 / 4096)
  BOOST_TEST(env.reg.blobFetches.count(big) == 0u);
  BOOST_TEST(env.reg.rangeFetches.count(small) == 0u);
  BOOST_TEST(env.reg.blobFetches[small] == 1);
  const std::string json = r.toJson();
  BOOST_TEST(json.find("\"ranged_blobs\":1,\"ranged_bytes\":50000") != std::string::npos, json);
}

BOOST_AUTO_TEST_CASE(without_acceleration_nothing_is_ranged) {
  AccelEnv env;
  env.reg.honourRange = true;
  std::string big = env.reg.addBlob(randomBytes(50000, 9));
  env.reg.tag("up/app", "v1", env.reg.addImage(env.reg.addConfig("linux", "amd64", "", ""), {big}));
  BlobTransferOptions o = env.options();
  o.ranged = false;
  RunReport r = env.run(o);
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.reg.rangeFetches.empty());
  BOOST_TEST(env.reg.blobFetches[big] == 1);
  BOOST_TEST(r.toJson().find("\"ranged_blobs\":0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_source_ignoring_range_gets_one_whole_fetch) {
  AccelEnv env;
  env.reg.honourRange = false;  // answers 200 to Range
  const std::string bigBytes = randomBytes(50000, 10);
  std::string big = env.reg.addBlob(bigBytes);
  std::string big2 = env.reg.addBlob(randomBytes(40000, 11));
  env.reg.tag("up/app", "v1",
              env.reg.addImage(env.reg.addConfig("linux", "amd64", "", ""), {big, big2}));
  BlobTransferOptions o = env.options();
  o.concurrency = 1;  // blobs one after the other, so the second sees the first's verdict
  RunReport r = env.run(o);
  BOOST_TEST(r.status() == "succeeded");
  BOOST_TEST(env.storage.blobs[big] == bigBytes);
  BOOST_TEST(env.reg.blobFetches[big] == 1);
  BOOST_TEST(env.reg.blobFetches[big2] == 1);
  BOOST_TEST(env.reg.rangeFetches[big] >= 1);
  BOOST_TEST(env.reg.rangeFetches.count(big2) == 0u);  // remembered: no second try this run
  BOOST_TEST(env.storage.aborts == 0);
  BOOST_TEST(r.toJson().find("\"ranged_blobs\":0") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
