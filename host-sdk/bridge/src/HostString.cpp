#include "tributary/rp/HostString.h"

#include <cstdlib>
#include <cstring>

namespace rp {

void setHostString(rp_host_owned_str* out, std::string_view text) {
  if (out == nullptr) return;
  *out = rp_host_owned_str{nullptr, 0};
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) return;
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  *out = rp_host_owned_str{copy, text.size()};
}

void freeHostString(void* /*user_data*/, rp_host_owned_str* str) {
  if (str == nullptr) return;
  std::free(str->ptr);
  str->ptr = nullptr;
  str->len = 0;
}

}  // namespace rp
