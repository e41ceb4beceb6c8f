// Test "provider": a valid shared object whose entry point has the wrong name (as if built
// against some other plugin API), so rp_provider_negotiate is absent.
#include "StubProvider.h"

extern "C" RP_EXPORT rp_status rp_provider_entry(uint32_t, uint32_t, const rp_host_v1*,
                                                 rp_provider_v1* out) {
  *out = stub::table();
  return RP_OK;
}
