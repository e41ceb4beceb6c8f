// A DistributionStorage over a fresh temporary root, and a committed blob in one call: the
// fixture the storage tests that are not about opening or fsync build on.
#pragma once

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "StorageTestSupport.h"
#include "tributary/storage/DistributionStorage.h"

namespace storage_test {

struct OpenedStorage {
  TempDir dir;
  std::unique_ptr<tributary::storage::DistributionStorage> storage;
  std::string v2;

  // fsync off: the protocol's atomicity does not depend on it, and the suite stays fast on a
  // busy disk.
  OpenedStorage() {
    tributary::storage::DistributionStorage::Options options;
    options.fsync = false;
    auto opened = tributary::storage::DistributionStorage::open(dir.path(), options);
    BOOST_REQUIRE_MESSAGE(opened.isOk(), opened.status().toString());
    storage = std::move(opened).value();
    v2 = storage->v2Root();
  }

  /// Writes `bytes` as a committed sha256 blob; returns its digest.
  std::string putBlob(std::string_view bytes) {
    const std::string digest = sha256Of(bytes);
    auto writer = storage->openBlobWriter(digest, bytes.size());
    BOOST_REQUIRE_MESSAGE(writer.isOk(), writer.status().toString());
    BOOST_REQUIRE((*writer)->write(bytes.data(), bytes.size()).isOk());
    const tributary::Status committed = (*writer)->commit();
    BOOST_REQUIRE_MESSAGE(committed.isOk(), committed.toString());
    return digest;
  }
};

}  // namespace storage_test
