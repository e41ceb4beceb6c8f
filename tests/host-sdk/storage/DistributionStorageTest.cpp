// DistributionStorage: exact Distribution 2.8 layout, publish protocol, validation, concurrency.
#define BOOST_TEST_MODULE storage_tests
#include <boost/test/unit_test.hpp>

#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>

#include "StorageTestSupport.h"
#include "tributary/storage/DistributionStorage.h"

using namespace tributary;
using namespace tributary::storage;
using namespace storage_test;

namespace {

struct StorageFixture {
  TempDir dir;
  UmaskGuard umask{077};  // the registry user must still be able to read what we write
  std::unique_ptr<DistributionStorage> storage;
  std::string v2;

  // fsync is off by default to keep the suite fast on a busy disk (the protocol's atomicity
  // does not depend on it); DurableStorageFixture runs the layout and publish-order tests with it on.
  explicit StorageFixture(bool durable = false) {
    DistributionStorage::Options options;
    options.fsync = durable;
    auto opened = DistributionStorage::open(dir.path(), options);
    BOOST_REQUIRE_MESSAGE(opened.isOk(), opened.status().toString());
    storage = std::move(opened).value();
    v2 = storage->v2Root();
  }

  std::string putBlob(std::string_view bytes, const char* algorithm = "sha256") {
    std::string digest = std::string(algorithm) + ":" + hexDigest(algorithm, bytes);
    auto writer = storage->openBlobWriter(digest, bytes.size());
    BOOST_REQUIRE_MESSAGE(writer.isOk(), writer.status().toString());
    BOOST_REQUIRE((*writer)->write(bytes.data(), bytes.size()).isOk());
    Status committed = (*writer)->commit();
    BOOST_REQUIRE_MESSAGE(committed.isOk(), committed.toString());
    return digest;
  }

  // A complete single-arch image: config + layer blobs linked, manifest stored; returns its digest.
  std::string putImage(const std::string& repo, const std::string& seed) {
    std::string config = "{\"config\":\"" + seed + "\"}";
    std::string layer = "layer bytes " + seed;
    std::string configDigest = putBlob(config);
    std::string layerDigest = putBlob(layer);
    BOOST_REQUIRE(storage->linkBlob(repo, configDigest).isOk());
    BOOST_REQUIRE(storage->linkBlob(repo, layerDigest).isOk());
    std::string manifest = manifestFor(configDigest, layerDigest);
    std::string digest = sha256Of(manifest);
    Status put = storage->putManifest(repo, digest, manifest);
    BOOST_REQUIRE_MESSAGE(put.isOk(), put.toString());
    return digest;
  }

  static std::string manifestFor(const std::string& config, const std::string& layer) {
    return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
           "\"config\":{\"digest\":\"" + config + "\"},\"layers\":[{\"digest\":\"" + layer + "\"}]}";
  }

  static std::string hexOf(const std::string& digest) { return digest.substr(digest.find(':') + 1); }
  std::string blobData(const std::string& digest) const {
    std::string alg = digest.substr(0, digest.find(':'));
    std::string hex = hexOf(digest);
    return v2 + "/blobs/" + alg + "/" + hex.substr(0, 2) + "/" + hex + "/data";
  }
  std::string repoDir(const std::string& repo) const { return v2 + "/repositories/" + repo; }
};

struct DurableStorageFixture : StorageFixture {
  DurableStorageFixture() : StorageFixture(true) {}
};

void expectCode(const Status& status, StatusCode code) {
  BOOST_TEST_CONTEXT(status.toString()) {
    BOOST_TEST(static_cast<int>(status.code()) == static_cast<int>(code));
  }
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(DistributionStorageTest, StorageFixture)

BOOST_AUTO_TEST_CASE(open_creates_the_v2_root_with_explicit_modes) {
  BOOST_TEST(v2 == dir.path() + "/docker/registry/v2");
  BOOST_TEST(!storage->options().fsync);
  BOOST_TEST(permissionsOf(dir.path() + "/docker") == 0755u);
  BOOST_TEST(permissionsOf(dir.path() + "/docker/registry") == 0755u);
  BOOST_TEST(permissionsOf(v2) == 0755u);
  // Reopening an existing root is fine; a trailing slash names the same root.
  auto again = DistributionStorage::open(dir.path() + "/");
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST((*again)->v2Root() == v2);
  expectCode(DistributionStorage::open("").status(), StatusCode::kInvalidArgument);
}

BOOST_FIXTURE_TEST_CASE(full_image_has_the_exact_distribution_layout, DurableStorageFixture) {
  const std::string repo = "library/nginx";
  std::string config = "{\"architecture\":\"amd64\"}";
  std::string layer(100000, 'L');
  std::string configDigest = putBlob(config);
  std::string layerDigest = putBlob(layer);
  BOOST_REQUIRE(storage->linkBlob(repo, configDigest).isOk());
  BOOST_REQUIRE(storage->linkBlob(repo, layerDigest).isOk());
  std::string manifest = manifestFor(configDigest, layerDigest);
  std::string digest = sha256Of(manifest);
  BOOST_REQUIRE(storage->putManifest(repo, digest, manifest).isOk());
  BOOST_REQUIRE(storage->setTag(repo, "latest", digest).isOk());

  std::string h = hexOf(digest);
  std::map<std::string, std::string> expected = {
      {"/blobs/sha256/" + hexOf(configDigest).substr(0, 2) + "/" + hexOf(configDigest) + "/data", config},
      {"/blobs/sha256/" + hexOf(layerDigest).substr(0, 2) + "/" + hexOf(layerDigest) + "/data", layer},
      {"/blobs/sha256/" + h.substr(0, 2) + "/" + h + "/data", manifest},
      {"/repositories/library/nginx/_layers/sha256/" + hexOf(configDigest) + "/link", configDigest},
      {"/repositories/library/nginx/_layers/sha256/" + hexOf(layerDigest) + "/link", layerDigest},
      {"/repositories/library/nginx/_manifests/revisions/sha256/" + h + "/link", digest},
      {"/repositories/library/nginx/_manifests/tags/latest/current/link", digest},
      {"/repositories/library/nginx/_manifests/tags/latest/index/sha256/" + h + "/link", digest},
  };
  std::map<std::string, std::string> files;
  for (const auto& [path, desc] : snapshot(v2)) {
    if (desc.rfind("file ", 0) == 0) {
      BOOST_TEST(desc.substr(0, 9) == "file 644 ", path << " has mode " << desc.substr(5, 3));
      files[path] = desc.substr(9);
    } else {
      BOOST_TEST(desc == "dir 755", path << " is " << desc);
    }
  }
  BOOST_TEST(files == expected);  // exactly these files: no temp files, no staging leftovers

  // Link files: "sha256:<64 hex>", 71 bytes, no trailing newline.
  std::string link = readAll(repoDir(repo) + "/_manifests/tags/latest/current/link");
  BOOST_TEST(link.size() == 71u);
  BOOST_TEST(link.back() != '\n');
  BOOST_TEST(listDir(repoDir(repo) + "/_manifests/tags") == std::vector<std::string>{"latest"});
  BOOST_TEST(listDir(repoDir(repo) + "/_manifests") ==
             (std::vector<std::string>{"revisions", "tags"}));

  BOOST_TEST(storage->manifestExists(repo, digest).isOk());
  auto read = storage->readManifest(repo, digest);
  BOOST_REQUIRE(read.isOk());
  BOOST_TEST(*read == manifest);
  auto tag = storage->getTag(repo, "latest");
  BOOST_REQUIRE(tag.isOk());
  BOOST_TEST(*tag == digest);
  auto size = storage->statBlob(layerDigest);
  BOOST_REQUIRE(size.isOk());
  BOOST_TEST(*size == layer.size());
}

BOOST_AUTO_TEST_CASE(custom_modes_apply_whatever_the_umask) {
  DistributionStorage::Options options;
  options.fileMode = 0640;
  options.dirMode = 0750;
  options.fsync = false;
  TempDir other;
  auto opened = DistributionStorage::open(other.path(), options);
  BOOST_REQUIRE(opened.isOk());
  std::string manifest = "{\"schemaVersion\":2}";
  std::string digest = sha256Of(manifest);
  BOOST_REQUIRE((*opened)->putManifest("a/b", digest, manifest).isOk());
  BOOST_REQUIRE((*opened)->setTag("a/b", "v1", digest).isOk());
  for (const auto& [path, desc] : snapshot((*opened)->v2Root())) {
    bool isFile = desc.rfind("file ", 0) == 0;
    BOOST_TEST(desc.substr(0, isFile ? 8 : 7) == (isFile ? "file 640" : "dir 750"), path);
  }
}

BOOST_AUTO_TEST_CASE(sha512_blobs_and_manifests) {
  const std::string repo = "sha/five-twelve";
  std::string blob = "a sha512 layer";
  std::string blobDigest = putBlob(blob, "sha512");
  BOOST_TEST(readAll(blobData(blobDigest)) == blob);
  BOOST_REQUIRE(storage->linkBlob(repo, blobDigest).isOk());
  std::string link = readAll(repoDir(repo) + "/_layers/sha512/" + hexOf(blobDigest) + "/link");
  BOOST_TEST(link == blobDigest);
  BOOST_TEST(link.size() == 135u);

  std::string manifest = "{\"schemaVersion\":2,\"layers\":[\"" + blobDigest + "\"]}";
  std::string digest = sha512Of(manifest);
  BOOST_REQUIRE(storage->putManifest(repo, digest, manifest).isOk());
  BOOST_TEST(readAll(repoDir(repo) + "/_manifests/revisions/sha512/" + hexOf(digest) + "/link") == digest);
  BOOST_REQUIRE(storage->setTag(repo, "v1", digest).isOk());
  BOOST_TEST(*storage->getTag(repo, "v1") == digest);
  BOOST_TEST(exists(repoDir(repo) + "/_manifests/tags/v1/index/sha512/" + hexOf(digest) + "/link"));
  BOOST_TEST(*storage->readManifest(repo, digest) == manifest);
  // The algorithm of the digest decides the hash: sha256 of the same bytes is a different name.
  expectCode(storage->putManifest(repo, "sha512:" + hexDigest("sha512", "other") , manifest),
             StatusCode::kDataLoss);
}

BOOST_AUTO_TEST_CASE(manifest_digest_mismatch_writes_nothing) {
  auto before = snapshot(dir.path());
  std::string manifest = "{\"schemaVersion\":2}";
  Status status = storage->putManifest("a/b", sha256Of(manifest + " "), manifest);
  expectCode(status, StatusCode::kDataLoss);
  BOOST_TEST(status.message().find("content has digest " + sha256Of(manifest)) != std::string::npos);
  BOOST_TEST(snapshot(dir.path()) == before);
}

BOOST_AUTO_TEST_CASE(put_manifest_creates_layers_dir_and_is_idempotent) {
  std::string manifest = "{\"schemaVersion\":2,\"manifests\":[]}";
  std::string digest = sha256Of(manifest);
  BOOST_REQUIRE(storage->putManifest("only/index", digest, manifest).isOk());
  // Without _layers, Distribution's catalog and GC skip the repository.
  BOOST_TEST(permissionsOf(repoDir("only/index") + "/_layers") == 0755u);
  auto before = snapshot(dir.path());
  std::vector<std::string> steps;
  storage->setFaultHook([&](std::string_view step) {
    steps.emplace_back(step);
    return Status();
  });
  BOOST_REQUIRE(storage->putManifest("only/index", digest, manifest).isOk());
  BOOST_TEST(steps.empty());  // nothing rewritten
  BOOST_TEST(snapshot(dir.path()) == before);
}

BOOST_AUTO_TEST_CASE(put_manifest_repairs_damaged_blob_data) {
  std::string manifest = "{\"schemaVersion\":2,\"x\":1}";
  std::string digest = sha256Of(manifest);
  BOOST_REQUIRE(storage->putManifest("a/b", digest, manifest).isOk());
  writeAll(blobData(digest), manifest + " ");
  expectCode(storage->readManifest("a/b", digest).status(), StatusCode::kDataLoss);
  BOOST_REQUIRE(storage->putManifest("a/b", digest, manifest).isOk());
  BOOST_TEST(readAll(blobData(digest)) == manifest);
  BOOST_TEST(permissionsOf(blobData(digest)) == 0644u);
}

BOOST_AUTO_TEST_CASE(link_blob_requires_the_blob) {
  auto before = snapshot(dir.path());
  Status status = storage->linkBlob("a/b", sha256Of("absent"));
  expectCode(status, StatusCode::kNotFound);
  BOOST_TEST(status.message().find("not in the blob store") != std::string::npos);
  BOOST_TEST(snapshot(dir.path()) == before);
}

BOOST_AUTO_TEST_CASE(manifest_exists_and_read_manifest) {
  std::string digest = putImage("a/b", "one");
  BOOST_TEST(storage->manifestExists("a/b", digest).isOk());
  expectCode(storage->manifestExists("a/c", digest), StatusCode::kNotFound);  // other repository
  expectCode(storage->manifestExists("a/b", sha256Of("nope")), StatusCode::kNotFound);
  expectCode(storage->readManifest("a/b", sha256Of("nope")).status(), StatusCode::kNotFound);
  // A revision link whose blob data is gone does not count (as in Distribution).
  std::filesystem::remove(blobData(digest));
  expectCode(storage->manifestExists("a/b", digest), StatusCode::kNotFound);
  // A blob that was linked as a layer is not a manifest revision.
  std::string blob = putBlob("just a layer");
  BOOST_REQUIRE(storage->linkBlob("a/b", blob).isOk());
  expectCode(storage->manifestExists("a/b", blob), StatusCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(get_tag_absent_and_damaged) {
  std::string digest = putImage("a/b", "one");
  expectCode(storage->getTag("a/b", "latest").status(), StatusCode::kNotFound);
  expectCode(storage->getTag("no/such", "latest").status(), StatusCode::kNotFound);
  BOOST_REQUIRE(storage->setTag("a/b", "latest", digest).isOk());
  // A link with a trailing newline is what makes Distribution answer 500: report it as damage.
  writeAll(repoDir("a/b") + "/_manifests/tags/latest/current/link", digest + "\n");
  expectCode(storage->getTag("a/b", "latest").status(), StatusCode::kDataLoss);
  BOOST_REQUIRE(storage->setTag("a/b", "latest", digest).isOk());  // repairs it
  BOOST_TEST(readAll(repoDir("a/b") + "/_manifests/tags/latest/current/link") == digest);
}

BOOST_AUTO_TEST_CASE(set_tag_requires_a_revision) {
  std::string digest = putImage("a/b", "one");
  auto before = snapshot(dir.path());
  Status status = storage->setTag("a/c", "latest", digest);
  expectCode(status, StatusCode::kFailedPrecondition);
  BOOST_TEST(status.message().find("is not a revision of a/c") != std::string::npos);
  expectCode(storage->setTag("a/b", "latest", sha256Of("nope")), StatusCode::kFailedPrecondition);
  BOOST_TEST(snapshot(dir.path()) == before);
}

BOOST_AUTO_TEST_CASE(retag_keeps_old_index_entries) {
  std::string first = putImage("a/b", "one");
  std::string second = putImage("a/b", "two");
  BOOST_REQUIRE(storage->setTag("a/b", "latest", first).isOk());
  BOOST_REQUIRE(storage->setTag("a/b", "latest", second).isOk());
  BOOST_TEST(*storage->getTag("a/b", "latest") == second);
  const std::string index = repoDir("a/b") + "/_manifests/tags/latest/index/sha256";
  BOOST_TEST(listDir(index).size() == 2u);
  BOOST_TEST(readAll(index + "/" + hexOf(first) + "/link") == first);
  BOOST_TEST(readAll(index + "/" + hexOf(second) + "/link") == second);
  BOOST_TEST(tempEntries(v2).empty());
  // Setting the same digest again changes nothing.
  auto before = snapshot(dir.path());
  BOOST_REQUIRE(storage->setTag("a/b", "latest", second).isOk());
  BOOST_TEST(snapshot(dir.path()) == before);
}

BOOST_FIXTURE_TEST_CASE(fault_hook_fires_in_publish_order, DurableStorageFixture) {
  std::vector<std::string> steps;
  storage->setFaultHook([&](std::string_view step) {
    steps.emplace_back(step);
    return Status();
  });
  std::string first = putImage("a/b", "one");
  BOOST_REQUIRE(storage->setTag("a/b", "latest", first).isOk());
  std::vector<std::string> expected = {"blob.data",     "blob.data",  "layers.link", "layers.link",
                                       "manifest.data", "revision.link", "tag.create"};
  BOOST_TEST(steps == expected, boost::test_tools::per_element());
  steps.clear();
  std::string second = putImage("a/b", "two");
  BOOST_REQUIRE(storage->setTag("a/b", "latest", second).isOk());
  expected = {"blob.data",     "blob.data",     "layers.link", "layers.link",
              "manifest.data", "revision.link", "tag.index",   "tag.current"};
  BOOST_TEST(steps == expected, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(failing_hook_leaves_the_previous_tag_serving, DurableStorageFixture) {
  std::string first = putImage("a/b", "one");
  std::string second = putImage("a/b", "two");
  BOOST_REQUIRE(storage->setTag("a/b", "latest", first).isOk());
  const std::string currentLink = repoDir("a/b") + "/_manifests/tags/latest/current/link";
  for (const char* failAt : {"tag.index", "tag.current"}) {
    BOOST_TEST_CONTEXT(failAt) {
      storage->setFaultHook([failAt](std::string_view step) {
        return step == failAt ? unavailableError(std::string("injected at ") + failAt) : Status();
      });
      Status status = storage->setTag("a/b", "latest", second);
      expectCode(status, StatusCode::kUnavailable);
      BOOST_TEST(status.message() == std::string("injected at ") + failAt);
      BOOST_TEST(readAll(currentLink) == first);
      BOOST_TEST(*storage->getTag("a/b", "latest") == first);
      BOOST_TEST(tempEntries(v2).empty());
    }
  }
  storage->setFaultHook({});
  BOOST_REQUIRE(storage->setTag("a/b", "latest", second).isOk());
  BOOST_TEST(readAll(currentLink) == second);
}

BOOST_AUTO_TEST_CASE(failing_hook_publishes_nothing_for_a_new_tag_or_manifest) {
  std::string first = putImage("a/b", "one");
  storage->setFaultHook([](std::string_view step) {
    return step == "tag.create" ? abortedError("crash") : Status();
  });
  auto before = snapshot(dir.path());
  expectCode(storage->setTag("a/b", "new", first), StatusCode::kAborted);
  BOOST_TEST(snapshot(dir.path()) == before);  // no tag, no staging directory left behind

  storage->setFaultHook([](std::string_view step) {
    return step == "manifest.data" || step == "blob.data" || step == "layers.link"
               ? abortedError("crash")
               : Status();
  });
  std::string manifest = "{\"schemaVersion\":2,\"n\":2}";
  expectCode(storage->putManifest("a/b", sha256Of(manifest), manifest), StatusCode::kAborted);
  BOOST_TEST(filesOf(snapshot(dir.path())) == filesOf(before));
  std::string blob = "blob";
  auto writer = storage->openBlobWriter(sha256Of(blob), blob.size());
  BOOST_REQUIRE(writer.isOk());
  BOOST_REQUIRE((*writer)->write(blob.data(), blob.size()).isOk());
  expectCode((*writer)->commit(), StatusCode::kAborted);
  BOOST_TEST(filesOf(snapshot(dir.path())) == filesOf(before));
  BOOST_TEST(!exists(blobData(sha256Of(blob))));
  BOOST_TEST(tempEntries(v2).empty());

  // A throwing hook is an error status and still cleans up.
  storage->setFaultHook({});
  BOOST_REQUIRE(storage->setTag("a/b", "latest", first).isOk());
  std::string second = putImage("a/b", "two");
  storage->setFaultHook([](std::string_view step) -> Status {
    if (step == "tag.current") throw std::runtime_error("boom");
    return Status();
  });
  Status thrown = storage->setTag("a/b", "latest", second);
  expectCode(thrown, StatusCode::kInternal);
  BOOST_TEST(thrown.message() == "fault hook at tag.current threw: boom");
  BOOST_TEST(*storage->getTag("a/b", "latest") == first);
  BOOST_TEST(tempEntries(v2).empty());
}

BOOST_AUTO_TEST_CASE(invalid_names_are_rejected_before_anything_is_written) {
  std::string digest = putImage("a/b", "one");
  BOOST_REQUIRE(storage->setTag("a/b", "latest", digest).isOk());
  auto before = snapshot(dir.path());
  const std::string good = "a/b";
  std::vector<std::string> badRepos = {"../x",  "/abs",  std::string("a\0b", 3), "Upper/case",
                                       "a//b",  "_a/b",  "a/_layers",            std::string(256, 'a'),
                                       "",      "a/../../etc"};
  std::vector<std::string> badTags = {"",   "..", ".tmp-x", "a/b", "-x",
                                      std::string(129, 't'), std::string("t\0", 2), "../../x"};
  std::vector<std::string> badDigests = {"sha256:" + std::string(64, 'A'), "sha256:../../x", "md5:abc",
                                         digest + "/..", "", digest.substr(0, 70)};
  std::string manifest = "{}";
  for (const auto& repo : badRepos) {
    BOOST_TEST_CONTEXT("repo " << repo) {
      expectCode(storage->linkBlob(repo, digest), StatusCode::kInvalidArgument);
      expectCode(storage->putManifest(repo, sha256Of(manifest), manifest), StatusCode::kInvalidArgument);
      expectCode(storage->manifestExists(repo, digest), StatusCode::kInvalidArgument);
      expectCode(storage->readManifest(repo, digest).status(), StatusCode::kInvalidArgument);
      expectCode(storage->getTag(repo, "latest").status(), StatusCode::kInvalidArgument);
      expectCode(storage->setTag(repo, "latest", digest), StatusCode::kInvalidArgument);
    }
  }
  for (const auto& tag : badTags) {
    BOOST_TEST_CONTEXT("tag " << tag) {
      expectCode(storage->getTag(good, tag).status(), StatusCode::kInvalidArgument);
      expectCode(storage->setTag(good, tag, digest), StatusCode::kInvalidArgument);
    }
  }
  for (const auto& bad : badDigests) {
    BOOST_TEST_CONTEXT("digest " << bad) {
      expectCode(storage->statBlob(bad).status(), StatusCode::kInvalidArgument);
      expectCode(storage->openBlobWriter(bad, 1).status(), StatusCode::kInvalidArgument);
      expectCode(storage->linkBlob(good, bad), StatusCode::kInvalidArgument);
      expectCode(storage->putManifest(good, bad, manifest), StatusCode::kInvalidArgument);
      expectCode(storage->manifestExists(good, bad), StatusCode::kInvalidArgument);
      expectCode(storage->setTag(good, "latest", bad), StatusCode::kInvalidArgument);
    }
  }
  Status traversal = storage->setTag("../x", "latest", digest);
  BOOST_TEST(traversal.message().find("component `..`") != std::string::npos);
  BOOST_TEST(snapshot(dir.path()) == before);
}

BOOST_AUTO_TEST_CASE(crash_leftovers_are_swept_when_old) {
  std::string digest = putImage("a/b", "one");
  auto plant = [](const std::string& path, bool directory, int ageSeconds) {
    if (directory) {
      std::filesystem::create_directories(path + "/current");
      writeAll(path + "/current/link", "half");
    } else {
      writeAll(path, "half");
    }
    struct timeval times[2];
    ::gettimeofday(&times[0], nullptr);
    times[0].tv_sec -= ageSeconds;
    times[1] = times[0];
    BOOST_REQUIRE(::utimes(path.c_str(), times) == 0);
  };
  const std::string manifests = repoDir("a/b") + "/_manifests";
  plant(manifests + "/.tmp-killedstaging", true, 7200);
  plant(manifests + "/.tmp-inflight", true, 5);
  std::string blob = "blob";
  std::string blobDigest = sha256Of(blob);
  std::string blobDir = blobData(blobDigest).substr(0, blobData(blobDigest).size() - 5);
  std::filesystem::create_directories(blobDir);
  plant(blobDir + "/.tmp-killedwriter", false, 7200);
  std::string layers = repoDir("a/b") + "/_layers/sha256/" + hexOf(blobDigest);
  std::filesystem::create_directories(layers);
  plant(layers + "/.tmp-killedlink", false, 7200);

  BOOST_REQUIRE(storage->setTag("a/b", "latest", digest).isOk());
  putBlob(blob);
  BOOST_REQUIRE(storage->linkBlob("a/b", blobDigest).isOk());
  BOOST_TEST(tempEntries(v2) == std::vector<std::string>{"/repositories/a/b/_manifests/.tmp-inflight"});
  BOOST_TEST(listDir(manifests + "/tags") == std::vector<std::string>{"latest"});
}

BOOST_AUTO_TEST_CASE(leftovers_of_dead_writers_go_at_once_even_where_nothing_is_rewritten) {
  // kill -9 mid-download leaves a partial temp file beside a blob that another writer then
  // completed; the blob is only ever stat'ed again, never rewritten.
  const std::string blob(1 << 16, 'x');
  const std::string blobDigest = putBlob(blob);
  const std::string blobDir = blobData(blobDigest).substr(0, blobData(blobDigest).size() - 5);
  const std::string layers = repoDir("c/d") + "/_layers/sha256/" + hexOf(blobDigest);
  pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    auto writer = storage->openBlobWriter(blobDigest, blob.size());
    if (!writer.isOk() || !(*writer)->write(blob.data(), blob.size() / 2).isOk()) ::_exit(3);
    storage->setFaultHook([](std::string_view step) -> Status {
      if (step == "layers.link") ::_exit(0);  // killed with the link's temp file written
      return Status();
    });
    (void)storage->linkBlob("c/d", blobDigest);
    ::_exit(4);
  }
  int status = 0;
  BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_REQUIRE(WEXITSTATUS(status) == 0);
  BOOST_REQUIRE(tempEntries(v2).size() == 2u);  // the partial blob and the link's temp file

  // A live writer's temp file (this process) is never touched.
  auto mine = storage->openBlobWriter(blobDigest, blob.size());
  BOOST_REQUIRE(mine.isOk());
  BOOST_REQUIRE(storage->statBlob(blobDigest).isOk());
  BOOST_REQUIRE(storage->linkBlob("c/d", blobDigest).isOk());
  const std::vector<std::string> left = tempEntries(v2);
  BOOST_REQUIRE(left.size() == 1u);
  BOOST_TEST(left[0].rfind("/blobs/", 0) == 0u);  // only our own writer's file remains
  (*mine)->abort();
  BOOST_TEST(tempEntries(v2).empty());
  BOOST_TEST(readAll(layers + "/link") == blobDigest);
}

BOOST_AUTO_TEST_CASE(killed_at_every_publish_step_serves_the_old_or_the_new_image) {
  std::string first = putImage("a/b", "one");
  BOOST_REQUIRE(storage->setTag("a/b", "latest", first).isOk());
  int round = 0;
  for (const char* step : {"blob.data", "layers.link", "manifest.data", "revision.link",
                           "tag.index", "tag.current", "tag.create"}) {
    BOOST_TEST_CONTEXT("killed at " << step) {
      const std::string seed = "kill" + std::to_string(round++);
      // The child is killed (_exit, no cleanup) just before `step` is published.
      pid_t child = ::fork();
      BOOST_REQUIRE(child >= 0);
      if (child == 0) {
        // Never return into the test runner from the child, whatever happens.
        try {
          storage->setFaultHook([step](std::string_view current) -> Status {
            if (current == step) ::_exit(42);
            return Status();
          });
          putImage("a/b", seed);
          std::string digest = sha256Of(manifestFor(sha256Of("{\"config\":\"" + seed + "\"}"),
                                                    sha256Of("layer bytes " + seed)));
          (void)storage->setTag("a/b", "latest", digest);
          (void)storage->setTag("a/b", "new-" + seed, digest);
        } catch (...) {
          ::_exit(43);
        }
        ::_exit(0);
      }
      int wstatus = 0;
      BOOST_REQUIRE(::waitpid(child, &wstatus, 0) == child);
      BOOST_TEST(WIFEXITED(wstatus));
      BOOST_TEST(WEXITSTATUS(wstatus) == 42);  // the step was reached

      // Whatever the tag points at is complete: the manifest verifies and its blobs are linked.
      auto current = storage->getTag("a/b", "latest");
      BOOST_REQUIRE(current.isOk());
      auto manifest = storage->readManifest("a/b", *current);
      BOOST_TEST(manifest.isOk());
      for (const auto& name : listDir(repoDir("a/b") + "/_manifests/tags")) {
        BOOST_TEST(storage->getTag("a/b", name).isOk(), name);  // no half-made tag is listed
      }
      // A re-run after the crash completes.
      std::string digest = putImage("a/b", seed);
      BOOST_REQUIRE(storage->setTag("a/b", "latest", digest).isOk());
      BOOST_TEST(*storage->getTag("a/b", "latest") == digest);
      BOOST_REQUIRE(storage->setTag("a/b", "latest", first).isOk());
    }
  }
}

BOOST_AUTO_TEST_CASE(concurrent_set_tag_of_one_tag) {
  constexpr int kThreads = 8;
  std::vector<std::string> digests;
  for (int i = 0; i < kThreads; ++i) digests.push_back(putImage("a/b", "image" + std::to_string(i)));
  for (int round = 0; round < 5; ++round) {
    const std::string tag = "t" + std::to_string(round);
    std::atomic<int> ready{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        ++ready;
        while (ready.load() < kThreads) std::this_thread::yield();
        if (!storage->setTag("a/b", tag, digests[i]).isOk()) ++failures;
      });
    }
    for (auto& t : threads) t.join();
    BOOST_TEST(failures.load() == 0);
    auto current = storage->getTag("a/b", tag);
    BOOST_REQUIRE(current.isOk());
    BOOST_TEST((std::find(digests.begin(), digests.end(), *current) != digests.end()));
    // Every writer's index entry survives; nothing but tags in tags/, nothing stray in _manifests.
    BOOST_TEST(listDir(repoDir("a/b") + "/_manifests/tags/" + tag + "/index/sha256").size() ==
               static_cast<size_t>(kThreads));
  }
  BOOST_TEST(listDir(repoDir("a/b") + "/_manifests/tags") ==
             (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
  BOOST_TEST(listDir(repoDir("a/b") + "/_manifests") ==
             (std::vector<std::string>{"revisions", "tags"}));
  BOOST_TEST(tempEntries(v2).empty());
}

BOOST_AUTO_TEST_CASE(readers_never_see_a_partial_tag) {
  std::string first = putImage("a/b", "one");
  std::string second = putImage("a/b", "two");
  std::atomic<bool> done{false};
  std::atomic<int> badReads{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    // Reads the link file the way Distribution does: whole content, no trimming.
    const std::string link = repoDir("a/b") + "/_manifests/tags/latest/current/link";
    while (!done.load()) {
      if (!exists(link)) continue;
      std::string content = readAll(link);
      ++reads;
      if (content != first && content != second) ++badReads;
    }
  });
  for (int i = 0; i < 100; ++i)
    BOOST_REQUIRE(storage->setTag("a/b", "latest", i % 2 ? second : first).isOk());
  done = true;
  reader.join();
  BOOST_TEST(badReads.load() == 0);
  BOOST_TEST(reads.load() > 0);
}

// A dry run: reads what is there, creates nothing, refuses every write.
BOOST_AUTO_TEST_CASE(read_only_storage_reads_and_writes_nothing) {
  const std::string digest = putImage("a/b", "ro");
  BOOST_REQUIRE(storage->setTag("a/b", "v1", digest).isOk());
  DistributionStorage::Options options;
  options.readOnly = true;
  auto opened = DistributionStorage::open(dir.path(), options);
  BOOST_REQUIRE(opened.isOk());
  DistributionStorage& readOnly = **opened;
  BOOST_TEST(readOnly.getTag("a/b", "v1").value() == digest);
  BOOST_TEST(readOnly.manifestExists("a/b", digest).isOk());
  BOOST_TEST((readOnly.setTag("a/b", "v2", digest).code() == StatusCode::kFailedPrecondition));
  BOOST_TEST((readOnly.linkBlob("a/b", digest).code() == StatusCode::kFailedPrecondition));
  BOOST_TEST((readOnly.putManifest("c/d", digest, "{}").code() == StatusCode::kFailedPrecondition));
  BOOST_TEST((readOnly.openBlobWriter(digest, 2).status().code() == StatusCode::kFailedPrecondition));
  BOOST_TEST(!readOnly.getTag("a/b", "v2").isOk());

  TempDir empty;
  auto absent = DistributionStorage::open(empty.path() + "/no-root", options);
  BOOST_REQUIRE(absent.isOk());
  BOOST_TEST(((*absent)->statBlob(digest).status().code() == StatusCode::kNotFound));
  BOOST_TEST(::access((empty.path() + "/no-root").c_str(), F_OK) != 0);
}

BOOST_AUTO_TEST_SUITE_END()
