// Local I/O failures as a Status (kIo, which the storage table reports as RP_ERR_IO).
#pragma once

#include <string_view>

#include "tributary/Status.h"

namespace tributary::storage {

/// "<what>: <strerror(err)>" with code kIo.
Status ioError(std::string_view what, int err);

}  // namespace tributary::storage
