// Host-owned strings (rp_host_owned_str) of Tributary's host: one allocator for every host
// service that hands strings to a provider (storage errors, secrets), so one free_str in
// rp_host_v1 releases them all.
#pragma once

#include <string_view>

#include "rp/replication_provider.h"

namespace rp {

/// Sets *out (if non-NULL) to a malloc'ed NUL-terminated copy of `text`; {NULL, 0} when out of
/// memory.
void setHostString(rp_host_owned_str* out, std::string_view text);

/// Frees a string from setHostString; usable as rp_host_v1.free_str. NULL-safe; resets *str
/// to {NULL, 0}.
void freeHostString(void* user_data, rp_host_owned_str* str);

}  // namespace rp
