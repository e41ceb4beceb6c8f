// Mapping between the internal Status and the C ABI's rp_status, for whichever host code
// implements an rp table (storage here; secrets or logging elsewhere).
#pragma once

#include <string>
#include <string_view>

#include "rp/replication_provider.h"
#include "tributary/Status.h"

namespace tributary::storage {

/// Status has no code for local I/O failures, so they are kInternal with this message prefix;
/// toRpStatus() turns them into RP_ERR_IO ("local storage failure (disk full, permissions)").
inline constexpr std::string_view kIoErrorPrefix = "I/O error: ";

/// "I/O error: <what>: <strerror(err)>" as a Status that toRpStatus() maps to RP_ERR_IO.
Status ioError(std::string_view what, int err);

/// True for a Status made by ioError().
bool isIoError(const Status& status);

/// The rp_status for a Status (RP_OK for OK). Codes without an exact ABI twin map to the
/// status whose caller action matches (kOutOfRange -> RP_ERR_INVALID_ARGUMENT).
rp_status toRpStatus(const Status& status);

/// The Status for an rp_status and its message (the reverse of toRpStatus; RP_ERR_IO becomes
/// an ioError-style Status, unknown values kInternal).
Status fromRpStatus(rp_status status, std::string_view message);

}  // namespace tributary::storage
