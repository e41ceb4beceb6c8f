#include "tributary/storage/IoError.h"

#include <cstring>
#include <string>

namespace tributary::storage {

Status ioError(std::string_view what, int err) {
  std::string message(what);
  message += ": ";
  message += std::strerror(err);
  return tributary::ioError(std::move(message));
}

}  // namespace tributary::storage
