// BlobWriter: streaming, verification before publish, reset, abort, concurrent writers.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "StorageTestSupport.h"
#include "tributary/storage/DistributionStorage.h"

using namespace tributary;
using namespace tributary::storage;
using namespace storage_test;

namespace {

struct WriterFixture {
  TempDir dir;
  UmaskGuard umask{077};
  std::unique_ptr<DistributionStorage> storage;
  std::string v2;

  // fsync off by default for speed; DurableWriterFixture covers the fsync path.
  explicit WriterFixture(bool durable = false) {
    DistributionStorage::Options options;
    options.fsync = durable;
    auto opened = DistributionStorage::open(dir.path(), options);
    BOOST_REQUIRE(opened.isOk());
    storage = std::move(opened).value();
    v2 = storage->v2Root();
  }

  std::unique_ptr<BlobWriter> open(const std::string& digest, uint64_t size) {
    auto writer = storage->openBlobWriter(digest, size);
    BOOST_REQUIRE_MESSAGE(writer.isOk(), writer.status().toString());
    return std::move(writer).value();
  }

  std::string blobDir(const std::string& digest) const {
    std::string alg = digest.substr(0, digest.find(':'));
    std::string hex = digest.substr(digest.find(':') + 1);
    return v2 + "/blobs/" + alg + "/" + hex.substr(0, 2) + "/" + hex;
  }
};

struct DurableWriterFixture : WriterFixture {
  DurableWriterFixture() : WriterFixture(true) {}
};

void expectCode(const Status& status, StatusCode code) {
  BOOST_TEST_CONTEXT(status.toString()) {
    BOOST_TEST(static_cast<int>(status.code()) == static_cast<int>(code));
  }
}

std::string patterned(size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    bytes[i] = static_cast<char>(x);
  }
  return bytes;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(BlobWriterTest, WriterFixture)

BOOST_FIXTURE_TEST_CASE(streams_chunks_and_publishes_on_commit, DurableWriterFixture) {
  std::string blob = patterned(1 << 20, 1);
  std::string digest = sha256Of(blob);
  auto writer = open(digest, blob.size());
  // Nothing visible while writing: only our temp file is in the blob's directory.
  BOOST_TEST(!exists(blobDir(digest) + "/data"));
  for (size_t off = 0; off < blob.size(); off += 100000) {
    size_t n = std::min<size_t>(100000, blob.size() - off);
    BOOST_REQUIRE(writer->write(blob.data() + off, n).isOk());
    BOOST_TEST(writer->offset() == off + n);
  }
  std::vector<std::string> temps = tempEntries(v2);
  BOOST_REQUIRE(temps.size() == 1u);
  BOOST_TEST(temps[0].find(blobDir(digest).substr(v2.size()) + "/.tmp-") == 0u);
  expectCode(storage->statBlob(digest).status(), StatusCode::kNotFound);
  BOOST_REQUIRE(writer->commit().isOk());
  BOOST_TEST(readAll(blobDir(digest) + "/data") == blob);
  BOOST_TEST(permissionsOf(blobDir(digest) + "/data") == 0644u);
  BOOST_TEST(permissionsOf(blobDir(digest)) == 0755u);
  BOOST_TEST(listDir(blobDir(digest)) == std::vector<std::string>{"data"});
  BOOST_TEST(*storage->statBlob(digest) == blob.size());
  // A finished writer refuses more work.
  expectCode(writer->write("x", 1), StatusCode::kFailedPrecondition);
  expectCode(writer->commit(), StatusCode::kFailedPrecondition);
}

BOOST_AUTO_TEST_CASE(empty_and_sha512_blobs) {
  auto empty = open(sha256Of(""), 0);
  BOOST_REQUIRE(empty->commit().isOk());
  BOOST_TEST(*storage->statBlob(sha256Of("")) == 0u);

  std::string blob = patterned(5000, 2);
  std::string digest = sha512Of(blob);
  auto writer = open(digest, blob.size());
  BOOST_REQUIRE(writer->write(blob.data(), blob.size()).isOk());
  BOOST_REQUIRE(writer->commit().isOk());
  BOOST_TEST(readAll(blobDir(digest) + "/data") == blob);
  BOOST_TEST(blobDir(digest).find("/blobs/sha512/") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(size_mismatch_publishes_nothing) {
  std::string blob = patterned(4096, 3);
  std::string digest = sha256Of(blob);
  auto writer = open(digest, blob.size());
  BOOST_REQUIRE(writer->write(blob.data(), blob.size() - 1).isOk());
  Status status = writer->commit();
  expectCode(status, StatusCode::kDataLoss);
  BOOST_TEST(status.message().find("got 4095 bytes, expected 4096") != std::string::npos);
  BOOST_TEST(!exists(blobDir(digest)));
  BOOST_TEST(tempEntries(v2).empty());
}

BOOST_AUTO_TEST_CASE(digest_mismatch_publishes_nothing) {
  std::string blob = patterned(4096, 4);
  std::string digest = sha256Of(blob);
  std::string corrupted = blob;
  corrupted[100] ^= 1;
  auto writer = open(digest, blob.size());
  BOOST_REQUIRE(writer->write(corrupted.data(), corrupted.size()).isOk());
  Status status = writer->commit();
  expectCode(status, StatusCode::kDataLoss);
  BOOST_TEST(status.message().find("content has digest " + sha256Of(corrupted)) != std::string::npos);
  BOOST_TEST(!exists(blobDir(digest)));
  BOOST_TEST(tempEntries(v2).empty());
}

BOOST_AUTO_TEST_CASE(writing_past_the_expected_size_is_data_loss) {
  std::string blob = "0123456789";
  auto writer = open(sha256Of(blob), blob.size());
  BOOST_REQUIRE(writer->write(blob.data(), 6).isOk());
  Status status = writer->write(blob.data() + 6, 5);
  expectCode(status, StatusCode::kDataLoss);
  BOOST_TEST(status.message().find("passes the expected size of 10") != std::string::npos);
  BOOST_TEST(writer->offset() == 6u);  // the refused chunk wrote nothing
  BOOST_REQUIRE(writer->write(blob.data() + 6, 4).isOk());
  BOOST_REQUIRE(writer->commit().isOk());
  BOOST_TEST(readAll(blobDir(sha256Of(blob)) + "/data") == blob);
}

BOOST_AUTO_TEST_CASE(reset_restarts_file_and_hash) {
  std::string blob = patterned(300000, 5);
  std::string digest = sha256Of(blob);
  auto writer = open(digest, blob.size());
  std::string junk = patterned(200000, 6);
  BOOST_REQUIRE(writer->write(junk.data(), junk.size()).isOk());
  BOOST_REQUIRE(writer->reset().isOk());
  BOOST_TEST(writer->offset() == 0u);
  BOOST_REQUIRE(writer->write(blob.data(), blob.size()).isOk());
  BOOST_REQUIRE(writer->commit().isOk());
  BOOST_TEST(readAll(blobDir(digest) + "/data") == blob);
}

BOOST_AUTO_TEST_CASE(abort_and_destructor_remove_the_temp_file) {
  std::string blob = patterned(1000, 7);
  std::string digest = sha256Of(blob);
  {
    auto writer = open(digest, blob.size());
    BOOST_REQUIRE(writer->write(blob.data(), 500).isOk());
    BOOST_TEST(tempEntries(v2).size() == 1u);
  }  // destroyed without commit
  BOOST_TEST(tempEntries(v2).empty());
  BOOST_TEST(!exists(blobDir(digest)));
  auto writer = open(digest, blob.size());
  writer->abort();
  writer->abort();  // idempotent
  BOOST_TEST(tempEntries(v2).empty());
  expectCode(writer->commit(), StatusCode::kFailedPrecondition);
}

BOOST_AUTO_TEST_CASE(second_writer_of_a_published_blob_keeps_the_first_file) {
  std::string blob = patterned(2000, 8);
  std::string digest = sha256Of(blob);
  auto first = open(digest, blob.size());
  auto second = open(digest, blob.size());
  BOOST_REQUIRE(first->write(blob.data(), blob.size()).isOk());
  BOOST_REQUIRE(second->write(blob.data(), blob.size()).isOk());
  BOOST_REQUIRE(first->commit().isOk());
  struct stat before;
  BOOST_REQUIRE(::stat((blobDir(digest) + "/data").c_str(), &before) == 0);
  BOOST_REQUIRE(second->commit().isOk());
  struct stat after;
  BOOST_REQUIRE(::stat((blobDir(digest) + "/data").c_str(), &after) == 0);
  BOOST_TEST(before.st_ino == after.st_ino);  // published once, never replaced
  BOOST_TEST(listDir(blobDir(digest)) == std::vector<std::string>{"data"});
  // A writer with bad bytes for an already published digest still fails and changes nothing.
  auto bad = open(digest, blob.size());
  std::string corrupted = blob;
  corrupted[0] ^= 1;
  BOOST_REQUIRE(bad->write(corrupted.data(), corrupted.size()).isOk());
  expectCode(bad->commit(), StatusCode::kDataLoss);
  BOOST_TEST(readAll(blobDir(digest) + "/data") == blob);
  BOOST_TEST(tempEntries(v2).empty());
}

BOOST_AUTO_TEST_CASE(concurrent_writers_of_one_blob) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 10; ++round) {
    std::string blob = patterned(256 * 1024 + static_cast<size_t>(round), 100 + round);
    std::string digest = sha256Of(blob);
    std::atomic<int> ready{0};
    std::atomic<int> failures{0};
    std::mutex errorMutex;
    std::string lastError;
    auto fail = [&](const Status& status) {
      ++failures;
      std::lock_guard<std::mutex> lock(errorMutex);
      lastError = status.toString();
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        ++ready;
        while (ready.load() < kThreads) std::this_thread::yield();
        auto writer = storage->openBlobWriter(digest, blob.size());
        if (!writer.isOk()) return fail(writer.status());
        for (size_t off = 0; off < blob.size(); off += 32768) {
          Status s = (*writer)->write(blob.data() + off, std::min<size_t>(32768, blob.size() - off));
          if (!s.isOk()) return fail(s);
        }
        // Odd writers give up: their cleanup (rmdir of an empty blob dir) races the others.
        if (i % 2) {
          (*writer)->abort();
        } else if (Status s = (*writer)->commit(); !s.isOk()) {
          fail(s);
        }
      });
    }
    for (auto& t : threads) t.join();
    BOOST_TEST(failures.load() == 0, lastError);
    BOOST_TEST(readAll(blobDir(digest) + "/data") == blob);
    BOOST_TEST(listDir(blobDir(digest)) == std::vector<std::string>{"data"});
  }
  BOOST_TEST(tempEntries(v2).empty());
}

BOOST_FIXTURE_TEST_CASE(large_blob_streams_fast, DurableWriterFixture) {
  constexpr size_t kChunk = 1 << 20;
  constexpr size_t kSize = 64 * kChunk;
  std::string chunk = patterned(kChunk, 9);
  // Digest of 64 copies of `chunk`, computed independently.
  std::string whole;
  whole.reserve(kSize);
  for (size_t i = 0; i < kSize / kChunk; ++i) whole += chunk;
  std::string digest = sha256Of(whole);
  whole.clear();
  whole.shrink_to_fit();

  auto start = std::chrono::steady_clock::now();
  auto writer = open(digest, kSize);
  for (size_t i = 0; i < kSize / kChunk; ++i) BOOST_REQUIRE(writer->write(chunk.data(), kChunk).isOk());
  BOOST_REQUIRE(writer->commit().isOk());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST_MESSAGE("64 MiB blob written, hashed, fsynced in " << seconds << " s ("
                     << (64 / seconds) << " MiB/s)");
  BOOST_TEST(*storage->statBlob(digest) == kSize);
  BOOST_TEST(seconds < 5.0);  // generous: hashing + writing runs at hundreds of MiB/s
}

BOOST_AUTO_TEST_SUITE_END()
