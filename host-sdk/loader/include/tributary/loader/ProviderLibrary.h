// ProviderLibrary: loads a provider shared object, negotiates the rp ABI version and checks
// the provider's table, with an error for each way a library can be wrong that names the path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rp/host.hpp"
#include "rp/replication_provider.h"
#include "tributary/Status.h"

namespace tributary::loader {

/// A loaded, negotiated provider library. Load policy (rp ABI): once rp_provider_negotiate has
/// run the library is never dlclose()d, not even by the destructor — provider code (threads,
/// atexit handlers, TLS destructors) may still reference it. Destroying this object only
/// forgets the handle.
/// Thread: load() from the loading thread; the accessors and createInstance() from any thread.
class ProviderLibrary {
 public:
  /// dlopen()s `path` (RTLD_NOW | RTLD_LOCAL), finds rp_provider_negotiate, offers
  /// [hostMin, hostMax] and `host`, and checks the table it fills. `host` must outlive the
  /// library and every instance created from it. Errors name the path and say what is wrong:
  /// missing file (NOT_FOUND), not a loadable shared object (dlerror text), no entry symbol,
  /// no common ABI version (both ranges, too old / too new), table too small or with NULL
  /// functions (FAILED_PRECONDITION).
  static Result<std::unique_ptr<ProviderLibrary>> load(
      const std::string& path, const rp_host_v1* host, uint32_t hostMin = RP_ABI_VERSION_1,
      uint32_t hostMax = RP_ABI_VERSION_CURRENT);

  ProviderLibrary(const ProviderLibrary&) = delete;
  ProviderLibrary& operator=(const ProviderLibrary&) = delete;
  ~ProviderLibrary() = default;  // deliberately no dlclose: see the class comment

  const std::string& path() const { return path_; }
  /// The ABI version the provider answered.
  uint32_t abiVersion() const { return table_.abi_version; }
  /// The provider's table as negotiated (every v1 function present and non-NULL).
  const rp_provider_v1& table() const { return table_; }

  /// The provider's static description JSON.
  Result<std::string> info() const;

  /// A provider instance configured by `configJson` (may be empty = defaults). On failure the
  /// error carries the provider's own status (mapped) and message, and names the path.
  Result<rp::ProviderInstance> createInstance(std::string_view configJson) const;

 private:
  ProviderLibrary(std::string path, void* handle, const rp_host_v1* host,
                  const rp_provider_v1& table);

  std::string path_;
  void* handle_;  // never dlclose()d
  const rp_host_v1* host_;
  rp_provider_v1 table_;
};

}  // namespace tributary::loader
