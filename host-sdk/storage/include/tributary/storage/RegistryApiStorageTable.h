// The rp_storage_v1 table of `publish: registry_api`: blobs into storage, manifests and tags
// through the registry's HTTP API.
#pragma once

#include "rp/replication_provider.h"
#include "tributary/storage/RegistryApiPublisher.h"
#include "tributary/storage/StorageBackend.h"

namespace tributary::storage {

/// Composes two halves behind the one table builder (StorageTable.h), so the provider and the
/// ABI do not change:
/// - blob_stat, blob_writer_*, link_blob go to `blobs` (the filesystem DistributionStorage or
///   DistributionS3Storage: any store that writes where the registry reads);
/// - put_manifest, manifest_exists, tag_get, tag_set go to the RegistryApiPublisher.
/// Errors reach the provider through out_error as "<what failed>: <the registry's answer>"
/// (no status-code name), released with freeHostString.
///
/// Not copyable or movable (the table points at this object); `blobs` and `publisher` must
/// outlive it. Threads: as the two halves (any thread).
class RegistryApiStorageTable {
 public:
  RegistryApiStorageTable(BlobStore& blobs, RegistryApiPublisher& publisher);
  RegistryApiStorageTable(const RegistryApiStorageTable&) = delete;
  RegistryApiStorageTable& operator=(const RegistryApiStorageTable&) = delete;

  const rp_storage_v1* table() const { return &table_; }
  RegistryApiPublisher& publisher() const { return publisher_; }

 private:
  RegistryApiPublisher& publisher_;
  ComposedStorage composed_;
  rp_storage_v1 table_;
};

}  // namespace tributary::storage
