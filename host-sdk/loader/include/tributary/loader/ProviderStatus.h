// Mapping between the ABI's rp_status and Tributary's internal Status, host side.
#pragma once

#include <string>

#include "rp/replication_provider.h"
#include "tributary/Status.h"

namespace tributary::loader {

/// The internal code for an rp_status; unknown values are kInternal (as the ABI requires).
StatusCode statusCodeFromProvider(rp_status status);

/// A Status carrying `message` (the provider's words) and the mapped code; OK for RP_OK.
Status statusFromProvider(rp_status status, std::string message);

}  // namespace tributary::loader
