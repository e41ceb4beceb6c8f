// Test provider that speaks only rp ABI version 2, which no current host speaks.
#include "StubProvider.h"

extern "C" RP_EXPORT rp_status rp_provider_negotiate(uint32_t, uint32_t, const rp_host_v1*,
                                                     rp_provider_v1* out) {
  // Reports the highest (and only) version it speaks, so the host can say which side is
  // behind. No v2 table exists to fill, so it is incompatible with every host.
  out->abi_version = 2;
  return RP_ERR_INCOMPATIBLE;
}
