// BlobTransfer's re-fetch of a blob whose bytes fail the host's verification (kDataLoss at
// commit): corrupted once -> fetched again and the tag syncs; corrupted every time -> the blob
// fails after kFetchAttempts rounds, saying so; the same for ranged fetches and for a blob a
// mirror served; other errors are not retried here.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "FakeRegistry.h"
#include "ForwardingReader.h"
#include "FakeHostServices.h"
#include "FakeSource.h"
#include "FakeStorage.h"
#include "StatusPrinting.h"
#include "tributary/plugin/transfer/BlobTransfer.h"
#include "tributary/plugin/config/RuleValidator.h"
#include "tributary/plugin/engine/SyncEngine.h"

using namespace tributary;
using namespace tributary::plugin;
using testing::FakeRegistry;
using testing::ForwardingReader;
using testing::FakeSource;
using testing::FakeStorage;
using testing::FlagTask;
using testing::RecordingLogger;

namespace {



// Passes bytes on, with the first byte of the first write flipped (size unchanged, so only the
// digest check at commit can tell).
class FlippingSink final : public registry::BlobSink {
 public:
  explicit FlippingSink(registry::BlobSink& inner) : inner_(inner) {}
  Status write(const char* data, size_t len) override {
    if (flipped_ || len == 0) return inner_.write(data, len);
    flipped_ = true;
    std::string copy(data, len);
    copy[0] = static_cast<char>(copy[0] ^ 0xff);
    return inner_.write(copy.data(), copy.size());
  }
  Status reset() override { return inner_.reset(); }
  uint64_t offset() const override { return inner_.offset(); }

 private:
  registry::BlobSink& inner_;
  bool flipped_ = false;
};

// A FakeRegistry whose deliveries of one digest are corrupted a set number of times (a whole
// fetch, or the first part of a ranged round), or fail with a set error; counts deliveries.
class FlakyReader final : public ForwardingReader {
 public:
  FlakyReader(FakeRegistry& inner, std::string digest)
      : ForwardingReader(inner), digest_(std::move(digest)) {}

  Status fetchBlob(const std::string& repository, const std::string& digest, uint64_t size,
                   registry::BlobSink& sink) override {
    if (digest != digest_) return inner_.fetchBlob(repository, digest, size, sink);
    if (!startDelivery()) return failure;
    if (!corruptThisDelivery()) return inner_.fetchBlob(repository, digest, size, sink);
    FlippingSink flipping(sink);
    return inner_.fetchBlob(repository, digest, size, flipping);
  }
  Status fetchBlobRange(const std::string& repository, const std::string& digest,
                        uint64_t offset, uint64_t length, registry::BlobSink& sink) override {
    // A ranged round starts with the part at offset 0; corrupting that part spoils the round.
    if (digest != digest_ || offset != 0)
      return inner_.fetchBlobRange(repository, digest, offset, length, sink);
    if (!startDelivery()) return failure;
    if (!corruptThisDelivery()) return inner_.fetchBlobRange(repository, digest, offset, length, sink);
    FlippingSink flipping(sink);
    return inner_.fetchBlobRange(repository, digest, offset, length, flipping);
  }

  int deliveries() {
    std::lock_guard<std::mutex> lock(mu_);
    return deliveries_;
  }

  int corruptions = 0;  // deliveries to corrupt; -1 = every one
  Status failure;       // non-OK: every delivery fails with it

 private:
  bool startDelivery() {
    std::lock_guard<std::mutex> lock(mu_);
    ++deliveries_;
    return failure.isOk();
  }
  bool corruptThisDelivery() {
    std::lock_guard<std::mutex> lock(mu_);
    if (corruptions == 0) return false;
    if (corruptions > 0) --corruptions;
    return true;
  }

  const std::string digest_;
  std::mutex mu_;
  int deliveries_ = 0;  // guarded by mu_
};

// A reader whose blob fetches hold until `release`, then answer kCancelled, as a real fetch
// that sees the task's cancellation does.
class HoldingReader final : public ForwardingReader {
 public:
  explicit HoldingReader(FakeRegistry& inner) : ForwardingReader(inner) {}
  Status fetchBlob(const std::string&, const std::string&, uint64_t,
                   registry::BlobSink&) override {
    started = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ended = true;
    return cancelledError("task cancelled");
  }
  Status fetchBlobRange(const std::string&, const std::string&, uint64_t, uint64_t,
                        registry::BlobSink&) override {
    return unimplementedError("no ranges here");
  }
  std::atomic<bool> started{false}, release{false}, ended{false};

};

std::string randomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

Rule makeRule() {
  auto r = RuleValidator::validate(
      R"({"name":"t","source":{"type":"custom","domain":"src.example","repository":"up/app"},)"
      R"("destination":{"repository":"mirror/app"}})");
  BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
  return *r;
}

// One image (config + `layer`) tagged v1; the layer's deliveries go through a FlakyReader.
struct Env {
  FakeRegistry reg;
  const std::string layerBytes = randomBytes(50000, 3);
  const std::string layer = reg.addBlob(layerBytes);
  const std::string manifest =
      reg.addImage(reg.addConfig("linux", "amd64", "", "2024-01-01T00:00:00Z"), {layer});
  FlakyReader flaky{reg, layer};
  FakeStorage storage;
  FakeSource source{reg, "up/app"};
  JsonFileCache choices{""};
  FlagTask task;
  RecordingLogger logger;
  SourceEndpoints endpoints{flaky, "src.example", logger};

  Env() { reg.tag("up/app", "v1", manifest); }

  RunReport run() {
    BlobTransferOptions o;
    o.concurrency = 2;
    SyncEngine engine(makeRule(), source, flaky, endpoints, storage, choices, task, logger, o);
    auto r = engine.execute();
    BOOST_REQUIRE_MESSAGE(r.isOk(), r.status().toString());
    return *r;
  }

  // The layer alone through a BlobTransfer.
  BlobOutcome transferLayer(BlobTransferOptions o) {
    ProgressReporter progress(task);
    BlobTransfer transfer(endpoints, storage, "up/app", o, task, progress, logger);
    transfer.start({{layer, layerBytes.size(), nullptr}});
    BOOST_REQUIRE(transfer.waitFor({layer}).isOk());
    return transfer.outcome(layer);
  }
};

BlobTransferOptions rangedOptions() {
  BlobTransferOptions o;
  o.ranged = true;
  o.rangeThreshold = 10000;
  o.parts.partSize = 4096;
  o.parts.parallelism = 3;
  o.parts.retryDelay = std::chrono::milliseconds(1);
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(BlobTransferTest)

BOOST_AUTO_TEST_CASE(bytes_corrupted_once_are_fetched_again_and_the_tag_syncs) {
  Env env;
  env.flaky.corruptions = 1;
  RunReport r = env.run();
  BOOST_TEST(r.status() == "succeeded", r.toJson());
  BOOST_TEST(env.storage.tags["mirror/app:v1"] == env.manifest);
  BOOST_TEST(env.storage.blobs[env.layer] == env.layerBytes);
  BOOST_TEST(env.flaky.deliveries() == 2);
  BOOST_TEST(env.logger.count(LogLevel::kInfo, "blob " + env.layer +
                                                   ": fetch attempt 1 of 3 failed (") == 1);
}

BOOST_AUTO_TEST_CASE(bytes_corrupted_every_time_fail_the_tag_after_three_attempts) {
  Env env;
  env.flaky.corruptions = -1;
  RunReport r = env.run();
  BOOST_TEST(r.status() != "succeeded");
  BOOST_REQUIRE(r.rows().size() == 1u);
  const RunReport::TagRow& e = r.rows().front();
  BOOST_TEST(static_cast<int>(e.action) == static_cast<int>(TagAction::kFailed));
  BOOST_TEST(e.reason.find(env.layer + " (after 3 fetch attempts)") != std::string::npos, e.reason);
  BOOST_TEST(e.reason.find("digest or size mismatch") != std::string::npos, e.reason);  // the last error
  // The exact text, as it crosses the ABI: context once ("<verb>ing <object>: <cause>"), no
  // status-code names.
  BOOST_TEST(e.reason == "fetching blob " + env.layer + " (after 3 fetch attempts): digest or size "
                         "mismatch for " + env.layer + " (fake)",
             e.reason);
  BOOST_TEST(e.reasonCode == "digest_mismatch");
  BOOST_TEST(env.flaky.deliveries() == BlobTransfer::kFetchAttempts);
  BOOST_TEST(env.storage.blobs.count(env.layer) == 0u);
  BOOST_TEST(env.storage.tags.count("mirror/app:v1") == 0u);
}

BOOST_AUTO_TEST_CASE(a_ranged_fetch_corrupted_once_is_fetched_again_ranged) {
  Env env;
  env.reg.honourRange = true;
  env.flaky.corruptions = 1;
  BlobOutcome o = env.transferLayer(rangedOptions());
  BOOST_TEST(o.status.isOk(), o.status.toString());
  BOOST_TEST(o.ranged);
  BOOST_TEST(env.flaky.deliveries() == 2);  // two ranged rounds
  BOOST_TEST(env.reg.rangeFetches[env.layer] == 2 * 13);  // ceil(50000 / 4096) parts each
  BOOST_TEST(env.reg.blobFetches.count(env.layer) == 0u);
  BOOST_TEST(env.storage.blobs[env.layer] == env.layerBytes);
}

BOOST_AUTO_TEST_CASE(a_ranged_fetch_corrupted_every_time_fails_after_three_attempts) {
  Env env;
  env.reg.honourRange = true;
  env.flaky.corruptions = -1;
  BlobOutcome o = env.transferLayer(rangedOptions());
  BOOST_TEST(o.status.code() == StatusCode::kDataLoss, o.status.toString());
  BOOST_TEST(o.status.message().find("after 3 fetch attempts") != std::string::npos,
             o.status.message());
  BOOST_TEST(!o.ranged);
  BOOST_TEST(env.flaky.deliveries() == 3);
  BOOST_TEST(env.storage.blobs.count(env.layer) == 0u);
}

BOOST_AUTO_TEST_CASE(a_blob_a_mirror_corrupted_once_is_fetched_again_from_the_mirror) {
  // Only the mirror has the layer; its first delivery is corrupt, the origin says 404.
  FakeRegistry origin;
  FakeRegistry mirrorContent;
  const std::string bytes = randomBytes(3000, 5);
  const std::string layer = mirrorContent.addBlob(bytes);
  FlakyReader mirror(mirrorContent, layer);
  mirror.corruptions = 1;
  RecordingLogger logger;
  SourceEndpoints endpoints(origin, "origin.example", logger);
  endpoints.addMirror("mirror.example", mirror);
  FakeStorage storage;
  FlagTask task;
  ProgressReporter progress(task);
  BlobTransfer transfer(endpoints, storage, "up/app", BlobTransferOptions{}, task, progress,
                        logger);
  transfer.start({{layer, bytes.size(), nullptr}});
  BOOST_REQUIRE(transfer.waitFor({layer}).isOk());
  BlobOutcome o = transfer.outcome(layer);
  BOOST_TEST(o.status.isOk(), o.status.toString());
  BOOST_TEST(o.fromMirror);
  BOOST_TEST(mirror.deliveries() == 2);
  BOOST_TEST(origin.blobFetches[layer] == 1);  // round 1 still fell back to the origin
  BOOST_TEST(storage.blobs[layer] == bytes);
  BOOST_TEST(logger.count(LogLevel::kDebug, "from mirror mirror.example failed (") == 1);
}

BOOST_AUTO_TEST_CASE(a_mirror_corrupting_every_time_still_falls_back_to_the_origin) {
  FakeRegistry origin;
  const std::string bytes = randomBytes(3000, 6);
  const std::string layer = origin.addBlob(bytes);
  FakeRegistry mirrorContent;
  mirrorContent.addBlob(bytes);
  FlakyReader mirror(mirrorContent, layer);
  mirror.corruptions = -1;
  NullLogger logger;
  SourceEndpoints endpoints(origin, "origin.example", logger);
  endpoints.addMirror("mirror.example", mirror);
  FakeStorage storage;
  FlagTask task;
  ProgressReporter progress(task);
  BlobTransfer transfer(endpoints, storage, "up/app", BlobTransferOptions{}, task, progress,
                        logger);
  transfer.start({{layer, bytes.size(), nullptr}});
  BOOST_REQUIRE(transfer.waitFor({layer}).isOk());
  BlobOutcome o = transfer.outcome(layer);
  BOOST_TEST(o.status.isOk(), o.status.toString());
  BOOST_TEST(!o.fromMirror);
  BOOST_TEST(mirror.deliveries() == 1);  // the origin served round 1: no second round
  BOOST_TEST(origin.blobFetches[layer] == 1);
}

BOOST_AUTO_TEST_CASE(other_errors_are_not_fetched_again) {
  Env env;
  env.flaky.failure = unavailableError("503 Service Unavailable (fake)");
  BlobOutcome o = env.transferLayer(BlobTransferOptions{});
  BOOST_TEST(o.status.code() == StatusCode::kUnavailable, o.status.toString());
  BOOST_TEST(o.status.message().find("attempts") == std::string::npos, o.status.message());
  BOOST_TEST(env.flaky.deliveries() == 1);
}

BOOST_AUTO_TEST_CASE(a_transfer_left_while_a_blob_is_in_flight_joins_it_before_its_state_goes) {
  // The engine leaves (cancelled) while a worker is still fetching; the worker then records
  // its outcome. Under ASan this was a heap-use-after-free of the transfer's own members.
  Env env;
  HoldingReader holding(env.reg);
  SourceEndpoints endpoints{holding, "src.example", env.logger};
  std::thread releaser;
  {
    ProgressReporter progress(env.task);
    BlobTransfer transfer(endpoints, env.storage, "up/app", BlobTransferOptions(), env.task,
                          progress, env.logger);
    transfer.start({{env.layer, env.layerBytes.size(), nullptr}});
    while (!holding.started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    env.task.cancelled = true;
    BOOST_TEST(transfer.waitFor({env.layer}).code() == StatusCode::kCancelled);
    releaser = std::thread([&holding] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      holding.release = true;
    });
  }  // the fetch is still held here: the destructor must wait for it
  BOOST_TEST(holding.ended.load());
  releaser.join();
}

BOOST_AUTO_TEST_SUITE_END()
