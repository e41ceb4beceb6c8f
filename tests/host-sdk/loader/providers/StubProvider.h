// Stub provider functions shared by the broken test providers: each broken provider is a
// correct one with exactly one thing wrong, so each test sees exactly one error.
#pragma once

#include <cstring>

#include "rp/provider.hpp"
#include "rp/replication_provider.h"

namespace stub {

inline rp_status info(rp_provider_owned_str* out) {
  rp::setProviderOwnedString(out, R"({"name":"stub","version":"0"})");
  return RP_OK;
}
inline rp_status create(const rp_host_v1*, rp_str, rp_provider_ptr** out,
                        rp_provider_owned_str*) {
  static int instance;  // a non-NULL handle that owns nothing
  *out = reinterpret_cast<rp_provider_ptr*>(&instance);
  return RP_OK;
}
inline void destroy(rp_provider_ptr*) {}
inline rp_status validateRule(rp_provider_ptr*, rp_str, rp_provider_owned_str*,
                              rp_provider_owned_str*) {
  return RP_ERR_UNIMPLEMENTED;
}
inline rp_status plan(rp_provider_ptr*, rp_str, const rp_task_v1*, rp_provider_owned_str*,
                      rp_provider_owned_str*) {
  return RP_ERR_UNIMPLEMENTED;
}
inline rp_status execute(rp_provider_ptr*, rp_str, const rp_task_v1*, rp_provider_owned_str*,
                         rp_provider_owned_str*) {
  return RP_ERR_UNIMPLEMENTED;
}

// A complete v1 table.
inline rp_provider_v1 table() {
  rp_provider_v1 t;
  std::memset(&t, 0, sizeof(t));
  t.struct_size = sizeof(t);
  t.abi_version = RP_ABI_VERSION_1;
  t.info = info;
  t.create = create;
  t.destroy = destroy;
  t.validate_rule = validateRule;
  t.plan = plan;
  t.execute = execute;
  t.free_str = rp::freeProviderOwnedString;
  return t;
}

}  // namespace stub
