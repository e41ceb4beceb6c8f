// DistributionS3Storage and S3BlobWriter against FakeS3 on 127.0.0.1: the keys Distribution's
// s3 driver reads, the multipart stream, verification before an object appears, housekeeping.
#include "tributary/storage/s3/DistributionS3Storage.h"

#include <boost/test/unit_test.hpp>

#include "StatusPrinting.h"

#include "FakeS3.h"
#include "tributary/DigestHasher.h"
#include "tributary/storage/StorageTable.h"
#include "tributary/storage/s3/S3BlobWriter.h"

namespace tributary::storage::s3 {
namespace {

using testing::FakeS3;

constexpr uint64_t kMiB = 1u << 20;

std::string digestOf(const std::string& bytes) {
  return DigestHasher::digestOf("sha256", bytes).value();
}

// Bytes that differ at every offset, so a misplaced part shows.
std::string pattern(size_t size) {
  std::string bytes(size, '\0');
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    bytes[i] = static_cast<char>(x);
  }
  return bytes;
}

DistributionS3StorageOptions optionsFor(FakeS3& s3, const std::string& root = "/registry-root") {
  DistributionS3StorageOptions options;
  options.client.region = "us-east-1";
  options.client.regionEndpoint = s3.endpoint();
  options.client.bucket = "registry";
  options.client.accessKey = "test:tester";
  options.client.secretKey = "not-in-any-message";
  options.client.attempts = 2;
  options.rootDirectory = root;
  options.chunkSize = 5 * kMiB;
  options.concurrency = 3;
  return options;
}

std::unique_ptr<DistributionS3Storage> openStorage(FakeS3& s3,
                                                   const std::string& root = "/registry-root") {
  auto opened = DistributionS3Storage::open(optionsFor(s3, root));
  BOOST_REQUIRE_MESSAGE(opened.isOk(), opened.status().message());
  return std::move(opened).value();
}

Status writeBlob(DistributionS3Storage& storage, const std::string& digest,
                 const std::string& bytes, size_t chunk = 256 * 1024) {
  TRIB_ASSIGN_OR_RETURN(auto writer, storage.openWriter(digest, bytes.size()));
  for (size_t at = 0; at < bytes.size(); at += chunk)
    TRIB_RETURN_IF_ERROR(writer->write(bytes.data() + at, std::min(chunk, bytes.size() - at)));
  return writer->commit();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(DistributionS3StorageTest)

BOOST_AUTO_TEST_CASE(keys_follow_the_s3_drivers_s3Path_for_every_rootdirectory_form) {
  const std::string path = "/docker/registry/v2/blobs";
  BOOST_TEST(DistributionS3Storage::keyFor("", path) == "docker/registry/v2/blobs");
  BOOST_TEST(DistributionS3Storage::keyFor("/", path) == "docker/registry/v2/blobs");
  BOOST_TEST(DistributionS3Storage::keyFor("registry", path) == "registry/docker/registry/v2/blobs");
  BOOST_TEST(DistributionS3Storage::keyFor("/registry", path) == "registry/docker/registry/v2/blobs");
  BOOST_TEST(DistributionS3Storage::keyFor("/a/b/", path) == "a/b/docker/registry/v2/blobs");
  BOOST_TEST(DistributionS3Storage::keyFor("//a//", path) == "a/docker/registry/v2/blobs");
  BOOST_TEST(DistributionS3Storage::keyFor("a//b", path) == "a//b/docker/registry/v2/blobs");
}

BOOST_AUTO_TEST_CASE(part_size_is_the_chunk_size_until_s3s_ten_thousand_parts_run_out) {
  BOOST_TEST(S3BlobWriter::partSizeFor(0, 10 * kMiB) == 10 * kMiB);
  BOOST_TEST(S3BlobWriter::partSizeFor(10000 * 10 * kMiB, 10 * kMiB) == 10 * kMiB);
  // One byte more needs bigger parts, rounded up to a whole MiB.
  BOOST_TEST(S3BlobWriter::partSizeFor(10000 * 10 * kMiB + 1, 10 * kMiB) == 11 * kMiB);
  BOOST_TEST(S3BlobWriter::partCountFor(0, 5 * kMiB) == 1u);
  BOOST_TEST(S3BlobWriter::partCountFor(5 * kMiB, 5 * kMiB) == 1u);
  BOOST_TEST(S3BlobWriter::partCountFor(5 * kMiB + 1, 5 * kMiB) == 2u);
  const uint64_t huge = 200000ull * kMiB;  // 195 GiB
  const uint64_t part = S3BlobWriter::partSizeFor(huge, 5 * kMiB);
  BOOST_TEST(S3BlobWriter::partCountFor(huge, part) <= 10000u);
  BOOST_TEST(part % kMiB == 0u);
}

BOOST_AUTO_TEST_CASE(chunksize_outside_distributions_limits_is_refused) {
  FakeS3 s3;
  auto options = optionsFor(s3);
  options.chunkSize = 5 * kMiB - 1;
  auto opened = DistributionS3Storage::open(options);
  BOOST_TEST(opened.status().code() == StatusCode::kInvalidArgument);
  BOOST_TEST(opened.status().message().find("chunksize") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_large_blob_streams_as_parallel_parts_and_appears_only_at_complete) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  const std::string bytes = pattern(17 * kMiB + 123);  // 4 parts at 5 MiB
  const std::string digest = digestOf(bytes);
  const std::string hex = digest.substr(7);
  const std::string key =
      "registry-root/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
  BOOST_TEST(storage->blobKey(parseDigest(digest).value()) == key);

  auto writer = storage->openWriter(digest, bytes.size());
  BOOST_REQUIRE(writer.isOk());
  for (size_t at = 0; at < bytes.size(); at += 1000003)
    BOOST_REQUIRE((*writer)->write(bytes.data() + at, std::min<size_t>(1000003, bytes.size() - at)).isOk());
  {
    std::lock_guard<std::mutex> lock(s3.mutex);
    BOOST_TEST(s3.objects.count(key) == 0u);  // parts are up, the object is not
    BOOST_TEST(s3.uploads.size() == 1u);
  }
  BOOST_REQUIRE((*writer)->commit().isOk());
  std::lock_guard<std::mutex> lock(s3.mutex);
  BOOST_REQUIRE(s3.objects.count(key) == 1u);
  BOOST_TEST((s3.objects[key] == bytes));
  BOOST_TEST(s3.uploads.empty());
  size_t parts = 0;
  for (size_t i = 0; i < s3.requests.size(); ++i) {
    const bool part = s3.requests[i].find("partNumber=") != std::string::npos;
    parts += part;
    // Parts travel UNSIGNED-PAYLOAD; every other request signs its body's sha256.
    if (part) BOOST_TEST(s3.payloadHashes[i] == "UNSIGNED-PAYLOAD");
    else BOOST_TEST(s3.payloadHashes[i].size() == 64u);
  }
  BOOST_TEST(parts == 4u);
}

BOOST_AUTO_TEST_CASE(a_digest_mismatch_aborts_the_upload_and_leaves_no_object) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  std::string bytes = pattern(11 * kMiB);
  const std::string digest = digestOf(bytes);
  bytes[7 * kMiB] ^= 1;  // one flipped bit in the second part
  Status status = writeBlob(*storage, digest, bytes);
  BOOST_TEST(status.code() == StatusCode::kDataLoss);
  BOOST_TEST(status.message().find("content has digest sha256:") != std::string::npos);
  std::lock_guard<std::mutex> lock(s3.mutex);
  BOOST_TEST(s3.objects.count(storage->blobKey(parseDigest(digest).value())) == 0u);
  BOOST_TEST(s3.uploads.empty());  // aborted, not left for housekeeping
  size_t aborts = 0, completes = 0;
  for (const auto& r : s3.requests) {
    aborts += r.rfind("DELETE ", 0) == 0 && r.find("uploadId=") != std::string::npos;
    completes += r.rfind("POST ", 0) == 0 && r.find("uploadId=") != std::string::npos;
  }
  BOOST_TEST(aborts == 1u);
  BOOST_TEST(completes == 0u);
}

BOOST_AUTO_TEST_CASE(a_short_blob_is_data_loss_and_leaves_no_object) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  const std::string bytes = pattern(6 * kMiB);
  auto writer = storage->openWriter(digestOf(bytes), bytes.size() + 1);
  BOOST_REQUIRE(writer.isOk());
  BOOST_REQUIRE((*writer)->write(bytes.data(), bytes.size()).isOk());
  Status status = (*writer)->commit();
  BOOST_TEST(status.code() == StatusCode::kDataLoss);
  std::lock_guard<std::mutex> lock(s3.mutex);
  BOOST_TEST(s3.uploads.empty());
  for (const auto& [key, value] : s3.objects) BOOST_TEST(key.find("/blobs/") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_blob_of_one_part_is_a_single_put_after_verification) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  for (size_t size : {size_t{0}, size_t{71}, size_t{5 * kMiB}}) {
    const std::string bytes = pattern(size);
    const size_t before = s3.count("POST ");
    BOOST_REQUIRE(writeBlob(*storage, digestOf(bytes), bytes).isOk());
    BOOST_TEST(s3.count("POST ") == before);  // no multipart upload
    auto stat = storage->statBlob(digestOf(bytes));
    BOOST_REQUIRE(stat.isOk());
    BOOST_TEST(*stat == size);
  }
  // And a wrong one is never PUT.
  const std::string bytes = pattern(100);
  const size_t puts = s3.count("PUT ");
  BOOST_TEST(writeBlob(*storage, digestOf("other"), bytes).code() == StatusCode::kDataLoss);
  BOOST_TEST(s3.count("PUT ") == puts);
}

BOOST_AUTO_TEST_CASE(a_failed_part_fails_the_blob_and_aborts_the_upload) {
  FakeS3 s3;
  s3.failPartNumber = 2;
  auto storage = openStorage(s3);
  const std::string bytes = pattern(16 * kMiB);
  Status status = writeBlob(*storage, digestOf(bytes), bytes);
  BOOST_TEST(!status.isOk());
  BOOST_TEST(status.message().find("part 2") != std::string::npos);
  BOOST_TEST(status.message().find("InternalError: part store failed") != std::string::npos);
  std::lock_guard<std::mutex> lock(s3.mutex);
  BOOST_TEST(s3.uploads.empty());
  BOOST_TEST(s3.objects.count(storage->blobKey(parseDigest(digestOf(bytes)).value())) == 0u);
}

BOOST_AUTO_TEST_CASE(complete_failing_after_http_200_is_an_error_and_no_object) {
  FakeS3 s3;
  s3.completeFailsWith200 = true;
  auto storage = openStorage(s3);
  const std::string bytes = pattern(6 * kMiB);
  Status status = writeBlob(*storage, digestOf(bytes), bytes);
  BOOST_TEST(!status.isOk());
  BOOST_TEST(status.message().find("InternalError") != std::string::npos);
  std::lock_guard<std::mutex> lock(s3.mutex);
  BOOST_TEST(s3.uploads.empty());
}

BOOST_AUTO_TEST_CASE(reset_starts_the_blob_again_from_offset_zero) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  const std::string bytes = pattern(12 * kMiB);
  auto writer = storage->openWriter(digestOf(bytes), bytes.size());
  BOOST_REQUIRE(writer.isOk());
  BOOST_REQUIRE((*writer)->write(bytes.data(), 7 * kMiB).isOk());
  BOOST_REQUIRE((*writer)->reset().isOk());
  BOOST_TEST((*writer)->offset() == 0u);
  BOOST_REQUIRE((*writer)->write(bytes.data(), bytes.size()).isOk());
  BOOST_REQUIRE((*writer)->commit().isOk());
  std::lock_guard<std::mutex> lock(s3.mutex);
  BOOST_TEST((s3.objects[storage->blobKey(parseDigest(digestOf(bytes)).value())] == bytes));
  BOOST_TEST(s3.uploads.empty());
}

BOOST_AUTO_TEST_CASE(an_image_is_published_at_the_keys_distribution_reads_in_order) {
  FakeS3 s3;
  auto storage = openStorage(s3, "/");
  const std::string layer = pattern(1000);
  const std::string layerDigest = digestOf(layer);
  BOOST_REQUIRE(writeBlob(*storage, layerDigest, layer).isOk());
  BOOST_REQUIRE(storage->linkBlob("mirror/app", layerDigest).isOk());
  const std::string manifest = "{\"schemaVersion\":2,\"layers\":[]}";
  const std::string manifestDigest = digestOf(manifest);
  BOOST_TEST(storage->setTag("mirror/app", "v1", manifestDigest).code() ==
             StatusCode::kFailedPrecondition);  // not a revision yet
  BOOST_REQUIRE(storage->putManifest("mirror/app", manifestDigest, manifest).isOk());
  BOOST_TEST(storage->manifestExists("mirror/app", manifestDigest).isOk());
  BOOST_TEST(storage->getTag("mirror/app", "v1").status().code() == StatusCode::kNotFound);
  BOOST_REQUIRE(storage->setTag("mirror/app", "v1", manifestDigest).isOk());
  auto tag = storage->getTag("mirror/app", "v1");
  BOOST_REQUIRE(tag.isOk());
  BOOST_TEST(*tag == manifestDigest);

  const std::string r = "docker/registry/v2/repositories/mirror/app/";
  const std::string lh = layerDigest.substr(7), mh = manifestDigest.substr(7);
  std::vector<std::string> puts;
  std::lock_guard<std::mutex> lock(s3.mutex);
  for (const auto& request : s3.requests)
    if (request.rfind("PUT /registry/", 0) == 0) puts.push_back(request.substr(14));
  const std::vector<std::string> expected = {
      "docker/registry/v2/blobs/sha256/" + lh.substr(0, 2) + "/" + lh + "/data",
      r + "_layers/sha256/" + lh + "/link",
      "docker/registry/v2/blobs/sha256/" + mh.substr(0, 2) + "/" + mh + "/data",
      r + "_manifests/revisions/sha256/" + mh + "/link",
      r + "_manifests/tags/v1/index/sha256/" + mh + "/link",
      r + "_manifests/tags/v1/current/link",
  };
  BOOST_TEST(puts == expected, boost::test_tools::per_element());
  BOOST_TEST(s3.objects[r + "_manifests/tags/v1/current/link"] == manifestDigest);  // no newline
  BOOST_TEST(s3.objects[r + "_layers/sha256/" + lh + "/link"] == layerDigest);
}

BOOST_AUTO_TEST_CASE(linking_an_absent_blob_is_not_found_and_writes_nothing) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  Status status = storage->linkBlob("mirror/app", digestOf("absent"));
  BOOST_TEST(status.code() == StatusCode::kNotFound);
  BOOST_TEST(s3.count("PUT ") == 0u);
  BOOST_TEST(storage->linkBlob("Bad/Name", digestOf("x")).code() == StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(housekeeping_aborts_our_stale_uploads_only) {
  FakeS3 s3;
  {
    std::lock_guard<std::mutex> lock(s3.mutex);
    s3.uploads["old"] = {"registry-root/docker/registry/v2/blobs/sha256/aa/aa/data", {}, 1000};
    s3.uploads["fresh"] = {"registry-root/docker/registry/v2/blobs/sha256/bb/bb/data", {},
                           static_cast<long long>(std::time(nullptr))};
    s3.uploads["theirs"] = {"other/docker/registry/v2/blobs/x/data", {}, 1000};
  }
  auto storage = openStorage(s3);  // the default: older than a day
  BOOST_TEST(storage->housekeepingNote().find("aborted 1 incomplete") != std::string::npos);
  {
    std::lock_guard<std::mutex> lock(s3.mutex);
    BOOST_TEST(s3.uploads.count("old") == 0u);
    BOOST_TEST(s3.uploads.count("fresh") == 1u);
    BOOST_TEST(s3.uploads.count("theirs") == 1u);
  }
  auto aborted = storage->abortStaleUploads(std::chrono::seconds(0));
  BOOST_REQUIRE(aborted.isOk());
  BOOST_TEST(*aborted == 1u);
  std::lock_guard<std::mutex> lock(s3.mutex);
  BOOST_TEST(s3.uploads.count("fresh") == 0u);
  BOOST_TEST(s3.uploads.count("theirs") == 1u);
}

BOOST_AUTO_TEST_CASE(s3_errors_carry_code_and_message_and_never_the_secret) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  s3.denyEverything = true;
  auto stat = storage->statBlob(digestOf("x"));
  BOOST_TEST(stat.status().code() == StatusCode::kPermissionDenied);
  Status put = storage->putManifest("mirror/app", digestOf("{}"), "{}");
  BOOST_TEST(put.code() == StatusCode::kPermissionDenied);
  BOOST_TEST(put.message().find("HTTP 403") != std::string::npos);
  BOOST_TEST(put.message().find("AccessDenied: Access Denied.") != std::string::npos);
  BOOST_TEST(put.message().find("not-in-any-message") == std::string::npos);
  BOOST_TEST(put.message().find("Signature=") == std::string::npos);

  FakeS3 other("registry", "someone:else");
  auto opened = DistributionS3Storage::open(optionsFor(other));
  BOOST_TEST(opened.status().code() == StatusCode::kUnauthenticated);
  BOOST_TEST(opened.status().message().find("InvalidAccessKeyId") != std::string::npos);
  BOOST_TEST(opened.status().message().find("not-in-any-message") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_read_only_storage_reads_and_refuses_writes) {
  FakeS3 s3;
  auto options = optionsFor(s3);
  options.readOnly = true;
  auto opened = DistributionS3Storage::open(options);
  BOOST_REQUIRE(opened.isOk());
  BOOST_TEST((*opened)->getTag("mirror/app", "v1").status().code() == StatusCode::kNotFound);
  BOOST_TEST((*opened)->openWriter(digestOf("x"), 1).status().code() ==
             StatusCode::kFailedPrecondition);
  BOOST_TEST(s3.count("PUT ") == 0u);
  BOOST_TEST(s3.count("GET /registry?uploads") == 0u);  // no housekeeping in a dry run
}

BOOST_AUTO_TEST_CASE(the_storage_table_drives_s3_like_the_filesystem) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  rp_storage_v1 t = makeStorageTable(*storage);
  const std::string bytes = pattern(7 * kMiB);
  const std::string digest = digestOf(bytes);
  rp_blob_writer_host_ptr* writer = nullptr;
  BOOST_REQUIRE(t.blob_writer_open(t.user_data, rp_str{digest.data(), digest.size()},
                                   bytes.size(), &writer, nullptr) == RP_OK);
  BOOST_REQUIRE(t.blob_writer_write(t.user_data, writer,
                                    rp_bytes{reinterpret_cast<const uint8_t*>(bytes.data()),
                                             bytes.size()},
                                    nullptr) == RP_OK);
  BOOST_TEST(t.blob_writer_offset(t.user_data, writer) == bytes.size());
  BOOST_REQUIRE(t.blob_writer_commit(t.user_data, writer, nullptr) == RP_OK);
  uint64_t size = 0;
  BOOST_TEST(t.blob_stat(t.user_data, rp_str{digest.data(), digest.size()}, &size, nullptr) == RP_OK);
  BOOST_TEST(size == bytes.size());

  // An abandoned writer (blob_writer_abort) leaves no upload behind.
  BOOST_REQUIRE(t.blob_writer_open(t.user_data, rp_str{digest.data(), digest.size()},
                                   bytes.size(), &writer, nullptr) == RP_OK);
  BOOST_REQUIRE(t.blob_writer_write(t.user_data, writer,
                                    rp_bytes{reinterpret_cast<const uint8_t*>(bytes.data()),
                                             6 * kMiB},
                                    nullptr) == RP_OK);
  t.blob_writer_abort(t.user_data, writer);
  std::lock_guard<std::mutex> lock(s3.mutex);
  BOOST_TEST(s3.uploads.empty());
}

BOOST_AUTO_TEST_CASE(reads_tags_links_and_blobs_as_the_filesystem_reader_does) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  StorageReader& reader = *storage;
  std::string last;
  for (const char* tag : {"v2", "latest", "V1.0"}) {
    const std::string manifest = std::string("{\"schemaVersion\":2,\"tag\":\"") + tag + "\"}";
    last = digestOf(manifest);
    BOOST_REQUIRE(storage->putManifest("mirror/app", last, manifest).isOk());
    BOOST_REQUIRE(storage->setTag("mirror/app", tag, last).isOk());
  }
  const std::string tags = "registry-root/docker/registry/v2/repositories/mirror/app/_manifests/tags/";
  {
    std::lock_guard<std::mutex> lock(s3.mutex);
    s3.objects[tags + "stray.txt"] = "x";  // an object right in tags/ is an entry too
    // Another repository whose name starts like this one's must not add names.
    s3.objects["registry-root/docker/registry/v2/repositories/mirror/app2/_manifests/tags/"
               "other/current/link"] = last;
  }
  const size_t before = s3.count("GET /registry?");
  auto listed = reader.listTags("mirror/app");
  BOOST_REQUIRE_MESSAGE(listed.isOk(), listed.status().message());
  const std::vector<std::string> expected = {"V1.0", "latest", "stray.txt", "v2"};
  BOOST_TEST(*listed == expected, boost::test_tools::per_element());
  BOOST_TEST(s3.count("GET /registry?") == before + 1);  // one delimited page
  {
    std::lock_guard<std::mutex> lock(s3.mutex);
    BOOST_TEST(s3.requests.back().find("delimiter=%2F") != std::string::npos);
  }

  auto link = reader.readTagLink("mirror/app", "V1.0");
  BOOST_REQUIRE(link.isOk());
  BOOST_TEST(*link == last);
  BOOST_TEST(reader.readTagLink("mirror/app", "v9").status().code() == StatusCode::kNotFound);
  {
    std::lock_guard<std::mutex> lock(s3.mutex);
    s3.objects[tags + "v2/current/link"] = last + "\n";
  }
  BOOST_TEST(reader.readTagLink("mirror/app", "v2").status().code() == StatusCode::kDataLoss);

  const std::string bytes = pattern(5000);
  const std::string digest = digestOf(bytes);
  BOOST_REQUIRE(writeBlob(*storage, digest, bytes).isOk());
  auto whole = reader.readBlob(digest, 5000);
  BOOST_REQUIRE_MESSAGE(whole.isOk(), whole.status().message());
  BOOST_TEST((*whole == bytes));
  BOOST_TEST(reader.readBlob(digest, 4999).status().code() == StatusCode::kOutOfRange);
  BOOST_TEST(reader.readBlob(digestOf("never"), 100).status().code() == StatusCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(a_repository_without_tags_is_not_found_and_bad_names_read_nothing) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  StorageReader& reader = *storage;
  BOOST_TEST(reader.listTags("no/such").status().code() == StatusCode::kNotFound);
  // A namespace holding a repository is no repository itself.
  const std::string manifest = "{\"schemaVersion\":2}";
  BOOST_REQUIRE(storage->putManifest("ns/app", digestOf(manifest), manifest).isOk());
  BOOST_REQUIRE(storage->setTag("ns/app", "v1", digestOf(manifest)).isOk());
  BOOST_TEST(reader.listTags("ns").status().code() == StatusCode::kNotFound);

  const size_t before = s3.requests.size();
  for (const char* bad : {"../ns/app", "ns/../ns/app", "NS/app", "", "ns/app/"}) {
    BOOST_TEST(reader.listTags(bad).status().code() == StatusCode::kInvalidArgument);
    BOOST_TEST(reader.readTagLink(bad, "v1").status().code() == StatusCode::kInvalidArgument);
  }
  BOOST_TEST(reader.readTagLink("ns/app", "../v1").status().code() ==
             StatusCode::kInvalidArgument);
  BOOST_TEST(reader.readBlob("sha256:../../x", 10).status().code() ==
             StatusCode::kInvalidArgument);
  BOOST_TEST(s3.requests.size() == before);  // refused before any key was built
}

BOOST_AUTO_TEST_CASE(the_tag_listing_pages_past_a_thousand_entries) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  const std::string tags = "registry-root/docker/registry/v2/repositories/big/app/_manifests/tags/";
  std::vector<std::string> expected;
  {
    std::lock_guard<std::mutex> lock(s3.mutex);
    for (int i = 0; i < 2345; ++i) {
      const std::string name = "t" + std::to_string(10000 + i);
      expected.push_back(name);
      // Several keys per tag: the listing must still count each tag once.
      s3.objects[tags + name + "/current/link"] = digestOf(name);
      s3.objects[tags + name + "/index/sha256/" + digestOf(name).substr(7) + "/link"] =
          digestOf(name);
    }
  }
  const size_t before = s3.count("GET /registry?");
  auto listed = storage->listTags("big/app");
  BOOST_REQUIRE_MESSAGE(listed.isOk(), listed.status().message());
  BOOST_TEST(*listed == expected, boost::test_tools::per_element());
  BOOST_TEST(s3.count("GET /registry?") == before + 3);  // 1000 + 1000 + 345 prefixes
}

BOOST_AUTO_TEST_CASE(an_unreachable_bucket_is_an_error_not_an_empty_listing) {
  FakeS3 s3;
  auto storage = openStorage(s3);
  {
    std::lock_guard<std::mutex> lock(s3.mutex);
    s3.denyEverything = true;
  }
  auto listed = storage->listTags("mirror/app");
  BOOST_TEST(listed.status().code() == StatusCode::kPermissionDenied);
  BOOST_TEST(listed.status().message().find("AccessDenied") != std::string::npos);
  BOOST_TEST(listed.status().message().find("not-in-any-message") == std::string::npos);
  BOOST_TEST(storage->readBlob(digestOf("x"), 10).status().code() ==
             StatusCode::kPermissionDenied);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tributary::storage::s3
