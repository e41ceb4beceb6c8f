// Test provider whose table is full-size but leaves plan and execute NULL.
#include "StubProvider.h"

extern "C" RP_EXPORT rp_status rp_provider_negotiate(uint32_t, uint32_t, const rp_host_v1*,
                                                     rp_provider_v1* out) {
  rp_provider_v1 table = stub::table();
  table.plan = nullptr;
  table.execute = nullptr;
  *out = table;
  return RP_OK;
}
