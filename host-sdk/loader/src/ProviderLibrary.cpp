#include "tributary/loader/ProviderLibrary.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "tributary/rp/StatusMapping.h"

namespace tributary::loader {
namespace {

std::string quoted(const std::string& path) { return "provider library `" + path + "`"; }

std::string versionRange(uint32_t min, uint32_t max) {
  if (min == max) return "version " + std::to_string(min);
  return "versions " + std::to_string(min) + ".." + std::to_string(max);
}

// Why negotiation found no common version. The ABI only lets a provider report one version
// (rp_provider_v1.abi_version, the highest it speaks, which our provider sets even when it
// answers RP_ERR_INCOMPATIBLE); 0 means it did not say.
Status incompatibleError(const std::string& path, uint32_t providerVersion, uint32_t hostMin,
                         uint32_t hostMax) {
  const std::string hostRange = "this host speaks rp ABI " + versionRange(hostMin, hostMax);
  if (providerVersion > hostMax) {
    return failedPreconditionError(
        quoted(path) + " needs a newer host: it speaks rp ABI version " +
        std::to_string(providerVersion) + " (highest) and none of " +
        versionRange(hostMin, hostMax) + "; " + hostRange);
  }
  if (providerVersion != 0 && providerVersion < hostMin) {
    return failedPreconditionError(
        quoted(path) + " is too old for this host: it speaks rp ABI versions up to " +
        std::to_string(providerVersion) + "; " + hostRange);
  }
  return failedPreconditionError(quoted(path) +
                                 " shares no rp ABI version with this host (the provider did "
                                 "not say which it speaks); " +
                                 hostRange);
}

// Checks that the negotiated table is big enough for every v1 function and that none is NULL.
Status checkTable(const std::string& path, const rp_provider_v1& table) {
  std::string missing;
  std::string null;
  auto check = [&](bool inside, bool set, const char* name) {
    std::string& list = !inside ? missing : (!set ? null : missing);
    if (inside && set) return;
    if (!list.empty()) list += ", ";
    list += name;
  };
#define TRIB_CHECK_MEMBER(member) \
  check(RP_STRUCT_HAS(rp_provider_v1, &table, member), table.member != nullptr, #member)
  TRIB_CHECK_MEMBER(info);
  TRIB_CHECK_MEMBER(create);
  TRIB_CHECK_MEMBER(destroy);
  TRIB_CHECK_MEMBER(validate_rule);
  TRIB_CHECK_MEMBER(plan);
  TRIB_CHECK_MEMBER(execute);
  TRIB_CHECK_MEMBER(free_str);
#undef TRIB_CHECK_MEMBER
  if (!missing.empty()) {
    return failedPreconditionError(
        quoted(path) + " filled a provider table too small for rp ABI version " +
        std::to_string(table.abi_version) + ": " + std::to_string(table.struct_size) +
        " bytes, this host needs " + std::to_string(sizeof(rp_provider_v1)) +
        " (missing: " + missing + ")");
  }
  if (!null.empty()) {
    return failedPreconditionError(quoted(path) +
                                   " left required provider functions NULL: " + null);
  }
  return Status();
}

}  // namespace

ProviderLibrary::ProviderLibrary(std::string path, void* handle, const rp_host_v1* host,
                                 const rp_provider_v1& table)
    : path_(std::move(path)), handle_(handle), host_(host), table_(table) {}

Result<std::unique_ptr<ProviderLibrary>> ProviderLibrary::load(const std::string& path,
                                                               const rp_host_v1* host,
                                                               uint32_t hostMin,
                                                               uint32_t hostMax) {
  if (host == nullptr) return invalidArgumentError("loading " + quoted(path) + ": no host table");
  if (hostMin > hostMax || hostMin == 0) {
    return invalidArgumentError("loading " + quoted(path) + ": bad host version range " +
                                std::to_string(hostMin) + ".." + std::to_string(hostMax));
  }

  // Check the file first: dlopen's "cannot open shared object file" does not distinguish a
  // missing file from a missing dependency.
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return notFoundError(quoted(path) + " does not exist");
    }
    return failedPreconditionError("cannot access " + quoted(path) + ": " +
                                   std::strerror(error));
  }
  if (!S_ISREG(info.st_mode)) {
    return failedPreconditionError(quoted(path) + " is not a regular file");
  }

  // A name without a slash would make dlopen search the library path instead of this file.
  const std::string openPath = path.find('/') == std::string::npos ? "./" + path : path;
  // RTLD_LOCAL: the provider's dependencies (Poco, OpenSSL) must not interpose on the host's.
  void* handle = ::dlopen(openPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = ::dlerror();
    return failedPreconditionError("cannot load " + quoted(path) + " as a shared object: " +
                                   (error != nullptr ? error : "unknown dlopen error"));
  }

  ::dlerror();  // clear, so a NULL result below is told apart from an error
  void* symbol = ::dlsym(handle, RP_PROVIDER_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    // Negotiate never ran, so no provider code can be holding on to the library: closing it
    // is safe (and the only case where we do).
    ::dlclose(handle);
    return failedPreconditionError(quoted(path) + " does not export `" RP_PROVIDER_ENTRY_SYMBOL
                                   "`: not an rp replication provider");
  }
  auto negotiate = reinterpret_cast<rp_provider_negotiate_fn>(symbol);

  // From here on the library is never dlclose()d, whatever happens: negotiate has run
  // provider code (see the ABI's load policy).
  rp_provider_v1 table;
  std::memset(&table, 0, sizeof(table));
  table.struct_size = sizeof(rp_provider_v1);
  const rp_status status = negotiate(hostMin, hostMax, host, &table);
  if (status == RP_ERR_INCOMPATIBLE) {
    return incompatibleError(path, table.abi_version, hostMin, hostMax);
  }
  if (status != RP_OK) {
    return failedPreconditionError(quoted(path) + ": rp_provider_negotiate failed with " +
                                   rp_status_str(status));
  }
  if (table.abi_version < hostMin || table.abi_version > hostMax) {
    return failedPreconditionError(quoted(path) + " answered rp ABI version " +
                                   std::to_string(table.abi_version) + ", outside the offered " +
                                   versionRange(hostMin, hostMax));
  }
  // A provider built against a newer header may report a bigger struct than ours: we only
  // look at what we know.
  if (table.struct_size > sizeof(rp_provider_v1)) table.struct_size = sizeof(rp_provider_v1);
  TRIB_RETURN_IF_ERROR(checkTable(path, table));

  return std::unique_ptr<ProviderLibrary>(new ProviderLibrary(path, handle, host, table));
}

Result<std::string> ProviderLibrary::info() const {
  rp::ProviderOwnedString json(table_.free_str);
  const rp_status status = table_.info(json.out());
  if (status != RP_OK) {
    return rp::statusFromRp(status, quoted(path_) + ": info failed: " + rp_status_str(status));
  }
  return json.str();
}

Result<rp::ProviderInstance> ProviderLibrary::createInstance(std::string_view configJson) const {
  rp::ProviderInstance instance;
  rp::ProviderReply reply = rp::ProviderInstance::create(table_, *host_, configJson, instance);
  if (!reply.ok()) {
    return rp::statusFromRp(reply.status, quoted(path_) + " refused its configuration (" +
                                                rp_status_str(reply.status) + "): " +
                                                (reply.message.empty() ? std::string("no message")
                                                                       : reply.message));
  }
  return instance;  // implicitly moved (move-only)
}

}  // namespace tributary::loader
