// Named credentials held by the host (rp_host_v1.secret_get).
// Thread rules: any thread; may block.
#pragma once

#include <string>

#include "tributary/Status.h"

namespace tributary::plugin {

class SecretStore {
 public:
  virtual ~SecretStore() = default;
  /// The secret's JSON text ({"username","password"} or {"token"}); kNotFound when absent.
  virtual Result<std::string> get(const std::string& name) = 0;
};

}  // namespace tributary::plugin
