// Test provider that fills only the start of the table (as if built against an older,
// smaller rp_provider_v1): everything from validate_rule on is missing.
#include <cstddef>

#include "StubProvider.h"

extern "C" RP_EXPORT rp_status rp_provider_negotiate(uint32_t, uint32_t, const rp_host_v1*,
                                                     rp_provider_v1* out) {
  rp_provider_v1 table = stub::table();
  table.struct_size = offsetof(rp_provider_v1, validate_rule);
  std::memcpy(out, &table, table.struct_size);
  return RP_OK;
}
