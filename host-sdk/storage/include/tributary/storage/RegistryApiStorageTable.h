// The rp_storage_v1 table of `publish: registry_api`: blobs into storage, manifests and tags
// through the registry's HTTP API.
#pragma once

#include "rp/replication_provider.h"
#include "tributary/storage/RegistryApiPublisher.h"

namespace tributary::storage {

/// Composes two halves behind one table, so the provider and the ABI do not change:
/// - blob_stat, blob_writer_*, link_blob are the `blobs` table's own functions, called with
///   its user_data (a filesystem DistributionStorage table today; any storage table that writes
///   where the registry reads);
/// - put_manifest, manifest_exists, tag_get, tag_set go to the RegistryApiPublisher.
/// Errors reach the provider through out_error as "<what failed>: <the registry's answer>"
/// (no status-code name), released with freeHostString.
///
/// Not copyable or movable (the table points at this object); `blobs` (copied) must stay
/// valid and `publisher` must outlive it. Threads: as the two halves (any thread).
class RegistryApiStorageTable {
 public:
  RegistryApiStorageTable(const rp_storage_v1& blobs, RegistryApiPublisher& publisher);
  RegistryApiStorageTable(const RegistryApiStorageTable&) = delete;
  RegistryApiStorageTable& operator=(const RegistryApiStorageTable&) = delete;

  const rp_storage_v1* table() const { return &table_; }
  const rp_storage_v1& blobs() const { return blobs_; }
  RegistryApiPublisher& publisher() const { return publisher_; }

 private:
  rp_storage_v1 blobs_;
  RegistryApiPublisher& publisher_;
  rp_storage_v1 table_;
};

}  // namespace tributary::storage
