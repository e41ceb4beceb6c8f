// The one rp_storage_v1 C table builder, over any StorageBackend (filesystem, S3, or blobs in
// storage with manifests and tags through the registry's API), handed to a provider in
// rp_host_v1.
#pragma once

#include <string_view>

#include "rp/replication_provider.h"
#include "tributary/rp/HostString.h"
#include "tributary/storage/DistributionStorage.h"  // the usual backend, for callers
#include "tributary/storage/StorageBackend.h"

namespace tributary::storage {

/// The C table over `storage` (user_data = &storage as a StorageBackend*). Valid as long as
/// `storage` lives. Every function validates its arguments, catches every exception, maps
/// Status to rp_status (tributary/rp/StatusMapping.h) and, on failure with a non-NULL
/// out_error, sets it to a malloc'ed NUL-terminated message released by rp::freeHostString (on
/// success it is set to {NULL, 0}). Blob writers are the backend's StoredBlobWriters.
/// Threads: as the backend (any thread), one blob writer used by one thread at a time.
rp_storage_v1 makeStorageTable(StorageBackend& storage);

/// Host-owned strings (errors) come from rp::setHostString: rp::freeHostString frees them.
using rp::freeHostString;

}  // namespace tributary::storage
