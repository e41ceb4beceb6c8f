// The rp_storage_v1 C table over a DistributionStorage, handed to a provider in rp_host_v1.
#pragma once

#include <string_view>

#include "rp/replication_provider.h"
#include "tributary/storage/DistributionStorage.h"

namespace tributary::storage {

/// The C table over `storage` (user_data = &storage). Valid as long as `storage` lives.
/// Every function validates its arguments, catches every exception, maps Status to rp_status
/// (rp/status_mapping.hpp) and, on failure with a non-NULL out_error, sets it to a malloc'ed
/// NUL-terminated message released by freeHostString (on success it is set to {NULL, 0}).
/// Threads: as DistributionStorage (any thread), one blob writer used by one thread at a time.
rp_storage_v1 makeStorageTable(DistributionStorage& storage);

/// Frees a host-owned string from the table; usable as rp_host_v1.free_str. NULL-safe; resets
/// *str to {NULL, 0}.
void freeHostString(void* user_data, rp_host_owned_str* str);

/// Sets *out (if non-NULL) to a malloc'ed NUL-terminated copy of `text`, the allocation
/// freeHostString releases: other host services that share that free_str allocate with this.
/// {NULL, 0} when out of memory.
void setHostString(rp_host_owned_str* out, std::string_view text);

}  // namespace tributary::storage
