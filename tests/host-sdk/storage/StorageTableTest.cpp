// The rp_storage_v1 table, called only through its function pointers as a provider would.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>

#include "StorageTestSupport.h"
#include "tributary/storage/StorageTable.h"

using namespace tributary;
using namespace tributary::storage;
using namespace storage_test;

namespace {

rp_str str(const std::string& s) { return rp_str{s.data(), s.size()}; }
rp_bytes bytes(const std::string& s) {
  return rp_bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct TableFixture {
  TempDir dir;
  std::unique_ptr<DistributionStorage> storage;
  rp_storage_v1 table{};
  rp_host_owned_str error{nullptr, 0};

  TableFixture() {
    auto opened = DistributionStorage::open(dir.path());
    BOOST_REQUIRE(opened.isOk());
    storage = std::move(opened).value();
    table = makeStorageTable(*storage);
  }
  ~TableFixture() { freeHostString(nullptr, &error); }

  // The error text of the last call, then freed the way a provider would.
  std::string takeError() {
    std::string text = error.ptr ? std::string(error.ptr, error.len) : std::string();
    if (error.ptr) BOOST_TEST(std::strlen(error.ptr) == error.len);  // NUL-terminated
    freeHostString(table.user_data, &error);
    BOOST_TEST(error.ptr == nullptr);
    BOOST_TEST(error.len == 0u);
    return text;
  }

  rp_status writeBlob(const std::string& content, const std::string& digest) {
    rp_blob_writer_host_ptr* writer = nullptr;
    rp_status s = table.blob_writer_open(table.user_data, str(digest), content.size(), &writer, &error);
    if (s != RP_OK) return s;
    BOOST_REQUIRE(writer != nullptr);
    s = table.blob_writer_write(table.user_data, writer, bytes(content), &error);
    if (s != RP_OK) {
      table.blob_writer_abort(table.user_data, writer);
      return s;
    }
    return table.blob_writer_commit(table.user_data, writer, &error);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(StorageTableTest, TableFixture)

BOOST_AUTO_TEST_CASE(table_is_complete) {
  BOOST_TEST(table.struct_size == sizeof(rp_storage_v1));
  BOOST_TEST(table.user_data == static_cast<void*>(storage.get()));
  BOOST_TEST(table.blob_stat != nullptr);
  BOOST_TEST(table.blob_writer_open != nullptr);
  BOOST_TEST(table.blob_writer_write != nullptr);
  BOOST_TEST(table.blob_writer_reset != nullptr);
  BOOST_TEST(table.blob_writer_offset != nullptr);
  BOOST_TEST(table.blob_writer_commit != nullptr);
  BOOST_TEST(table.blob_writer_abort != nullptr);
  BOOST_TEST(table.link_blob != nullptr);
  BOOST_TEST(table.put_manifest != nullptr);
  BOOST_TEST(table.manifest_exists != nullptr);
  BOOST_TEST(table.tag_get != nullptr);
  BOOST_TEST(table.tag_set != nullptr);
  BOOST_TEST(RP_STRUCT_HAS(rp_storage_v1, &table, tag_set));
}

BOOST_AUTO_TEST_CASE(publishes_an_image_through_the_table) {
  const std::string repo = "mirror/app";
  std::string layer = "layer content";
  std::string layerDigest = sha256Of(layer);

  rp_blob_writer_host_ptr* writer = nullptr;
  BOOST_REQUIRE(table.blob_writer_open(table.user_data, str(layerDigest), layer.size(), &writer,
                                       &error) == RP_OK);
  BOOST_REQUIRE(table.blob_writer_write(table.user_data, writer, bytes("junk"), &error) == RP_OK);
  BOOST_TEST(table.blob_writer_offset(table.user_data, writer) == 4u);
  BOOST_REQUIRE(table.blob_writer_reset(table.user_data, writer, &error) == RP_OK);
  BOOST_TEST(table.blob_writer_offset(table.user_data, writer) == 0u);
  BOOST_REQUIRE(table.blob_writer_write(table.user_data, writer, bytes(layer), &error) == RP_OK);
  BOOST_TEST(table.blob_writer_offset(table.user_data, writer) == layer.size());
  BOOST_REQUIRE(table.blob_writer_commit(table.user_data, writer, &error) == RP_OK);
  BOOST_TEST(error.ptr == nullptr);

  uint64_t size = 0;
  BOOST_REQUIRE(table.blob_stat(table.user_data, str(layerDigest), &size, &error) == RP_OK);
  BOOST_TEST(size == layer.size());
  BOOST_REQUIRE(table.link_blob(table.user_data, str(repo), str(layerDigest), &error) == RP_OK);

  std::string manifest = "{\"schemaVersion\":2,\"layers\":[{\"digest\":\"" + layerDigest + "\"}]}";
  std::string digest = sha256Of(manifest);
  BOOST_REQUIRE(table.put_manifest(table.user_data, str(repo), str(digest), bytes(manifest), &error) == RP_OK);
  BOOST_TEST(table.manifest_exists(table.user_data, str(repo), str(digest), &error) == RP_OK);
  BOOST_REQUIRE(table.tag_set(table.user_data, str(repo), str(std::string("v1")), str(digest), &error) == RP_OK);

  char out[RP_DIGEST_BUF_SIZE];
  std::memset(out, 'x', sizeof out);
  BOOST_REQUIRE(table.tag_get(table.user_data, str(repo), str(std::string("v1")), out, &error) == RP_OK);
  BOOST_TEST(std::string(out) == digest);
  BOOST_TEST(readAll(storage->v2Root() + "/repositories/mirror/app/_manifests/tags/v1/current/link") == digest);
}

BOOST_AUTO_TEST_CASE(error_statuses_and_messages) {
  const std::string repo = "a/b";
  std::string missing = sha256Of("missing");
  uint64_t size = 7;
  BOOST_TEST(table.blob_stat(table.user_data, str(missing), &size, &error) == RP_ERR_NOT_FOUND);
  BOOST_TEST(takeError() == "blob " + missing + " is not in the blob store");

  BOOST_TEST(table.link_blob(table.user_data, str(std::string("../etc")), str(missing), &error) ==
             RP_ERR_INVALID_ARGUMENT);
  BOOST_TEST(takeError().find("repository name `../etc`: component `..`") == 0u);

  BOOST_TEST(table.link_blob(table.user_data, str(repo), str(missing), &error) == RP_ERR_NOT_FOUND);
  BOOST_TEST(takeError().find("linking " + missing + " into a/b") != std::string::npos);

  std::string manifest = "{}";
  BOOST_TEST(table.put_manifest(table.user_data, str(repo), str(missing), bytes(manifest), &error) ==
             RP_ERR_DATA_LOSS);
  BOOST_TEST(takeError().find("content has digest " + sha256Of(manifest)) != std::string::npos);

  BOOST_TEST(table.manifest_exists(table.user_data, str(repo), str(missing), &error) == RP_ERR_NOT_FOUND);
  BOOST_TEST(!takeError().empty());

  BOOST_TEST(table.tag_set(table.user_data, str(repo), str(std::string("v1")), str(missing), &error) ==
             RP_ERR_FAILED_PRECONDITION);
  BOOST_TEST(takeError().find("cannot tag") == 0u);

  char out[RP_DIGEST_BUF_SIZE] = "stale";
  BOOST_TEST(table.tag_get(table.user_data, str(repo), str(std::string("v1")), out, &error) == RP_ERR_NOT_FOUND);
  BOOST_TEST(out[0] == '\0');
  BOOST_TEST(takeError() == "tag v1 does not exist in a/b");

  BOOST_TEST(table.tag_get(table.user_data, str(repo), str(std::string("bad/tag")), out, &error) ==
             RP_ERR_INVALID_ARGUMENT);
  BOOST_TEST(takeError().find("tag `bad/tag` contains character `/`") != std::string::npos);

  // out_error may be NULL.
  BOOST_TEST(table.blob_stat(table.user_data, str(missing), &size, nullptr) == RP_ERR_NOT_FOUND);
  // {NULL, n} is refused, not dereferenced.
  BOOST_TEST(table.blob_stat(table.user_data, rp_str{nullptr, 5}, &size, &error) == RP_ERR_INVALID_ARGUMENT);
  BOOST_TEST(takeError().find("NULL pointer") != std::string::npos);
  BOOST_TEST(table.blob_stat(table.user_data, str(missing), nullptr, &error) == RP_ERR_INVALID_ARGUMENT);
  takeError();
  // freeHostString tolerates NULL and empty strings.
  freeHostString(nullptr, nullptr);
  rp_host_owned_str none{nullptr, 0};
  freeHostString(nullptr, &none);
}

BOOST_AUTO_TEST_CASE(writer_errors_release_the_writer) {
  std::string blob = "0123456789";
  std::string digest = sha256Of(blob);
  rp_blob_writer_host_ptr* writer = nullptr;
  BOOST_REQUIRE(table.blob_writer_open(table.user_data, str(digest), blob.size(), &writer, &error) == RP_OK);
  BOOST_TEST(table.blob_writer_write(table.user_data, writer, bytes(blob + "!"), &error) == RP_ERR_DATA_LOSS);
  BOOST_TEST(takeError().find("passes the expected size of 10") != std::string::npos);
  BOOST_REQUIRE(table.blob_writer_write(table.user_data, writer, bytes("01234"), &error) == RP_OK);
  // Commit of a short blob fails and still releases the writer (no temp file left).
  BOOST_TEST(table.blob_writer_commit(table.user_data, writer, &error) == RP_ERR_DATA_LOSS);
  BOOST_TEST(takeError() == "got 5 bytes, expected 10");
  BOOST_TEST(tempEntries(storage->v2Root()).empty());

  BOOST_TEST(table.blob_writer_open(table.user_data, str(std::string("sha256:XYZ")), 1, &writer, &error) ==
             RP_ERR_INVALID_ARGUMENT);
  BOOST_TEST(writer == nullptr);
  takeError();

  BOOST_TEST(writeBlob("abc", sha256Of("abd")) == RP_ERR_DATA_LOSS);
  takeError();
  BOOST_TEST(tempEntries(storage->v2Root()).empty());
  BOOST_TEST(table.blob_writer_offset(table.user_data, nullptr) == 0u);
  table.blob_writer_abort(table.user_data, nullptr);  // no-op
}

BOOST_AUTO_TEST_CASE(local_io_failures_are_rp_err_io) {
  // A file where the blob store needs a directory: mkdir fails with ENOTDIR (works as root too).
  std::string blob = "x";
  std::string digest = sha256Of(blob);
  std::string hex = digest.substr(7);
  std::filesystem::create_directories(storage->v2Root() + "/blobs/sha256");
  writeAll(storage->v2Root() + "/blobs/sha256/" + hex.substr(0, 2), "not a directory");
  BOOST_TEST(writeBlob(blob, digest) == RP_ERR_IO);
  std::string text = takeError();
  BOOST_TEST(text.find("IO: ") == std::string::npos, text);  // the code is the rp_status
  BOOST_TEST(text.find("Not a directory") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(fault_hook_statuses_cross_the_table) {
  std::string manifest = "{\"schemaVersion\":2}";
  std::string digest = sha256Of(manifest);
  storage->setFaultHook([](std::string_view step) {
    return step == "revision.link" ? resourceExhaustedError("disk quota") : Status();
  });
  BOOST_TEST(table.put_manifest(table.user_data, str(std::string("a/b")), str(digest), bytes(manifest),
                                &error) == RP_ERR_RATE_LIMITED);
  BOOST_TEST(takeError() == "disk quota");
  BOOST_TEST(table.manifest_exists(table.user_data, str(std::string("a/b")), str(digest), nullptr) ==
             RP_ERR_NOT_FOUND);
}

BOOST_AUTO_TEST_SUITE_END()
