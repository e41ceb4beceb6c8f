// The rp_storage_v1 C table over a DistributionStorage, handed to a provider in rp_host_v1.
#pragma once

#include <string_view>

#include "rp/replication_provider.h"
#include "tributary/rp/HostString.h"
#include "tributary/storage/DistributionStorage.h"

namespace tributary::storage {

/// The C table over `storage` (user_data = &storage). Valid as long as `storage` lives.
/// Every function validates its arguments, catches every exception, maps Status to rp_status
/// (tributary/rp/StatusMapping.h) and, on failure with a non-NULL out_error, sets it to a malloc'ed
/// NUL-terminated message released by rp::freeHostString (on success it is set to {NULL, 0}).
/// Threads: as DistributionStorage (any thread), one blob writer used by one thread at a time.
rp_storage_v1 makeStorageTable(DistributionStorage& storage);

/// Host-owned strings (errors) come from rp::setHostString: rp::freeHostString frees them.
using rp::freeHostString;

}  // namespace tributary::storage
