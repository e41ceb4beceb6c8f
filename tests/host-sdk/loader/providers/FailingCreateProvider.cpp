// Test provider whose create always refuses its configuration with a message.
#include "StubProvider.h"

namespace {
rp_status refuse(const rp_host_v1*, rp_str, rp_provider_ptr**, rp_provider_owned_str* error) {
  rp::setProviderOwnedString(error, "config.mirrors[0]: not a URL: `::`");
  return RP_ERR_INVALID_ARGUMENT;
}
}  // namespace

extern "C" RP_EXPORT rp_status rp_provider_negotiate(uint32_t, uint32_t, const rp_host_v1*,
                                                     rp_provider_v1* out) {
  rp_provider_v1 table = stub::table();
  table.create = refuse;
  *out = table;
  return RP_OK;
}
