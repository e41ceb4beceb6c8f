// StorageFactory: the host registry's storage table, in the mode the config asks for.
#pragma once

#include <memory>

#include "tributary/Status.h"
#include "tributary/config/RegistryConfig.h"
#include "tributary/storage/HostStorage.h"

namespace tributary::host {

/// Opens storage.filesystem.rootdirectory and, with `replication.publish: registry_api`, the
/// publisher for replication.registry_api (its credential's password read now). Every host
/// command that hands a provider its storage (`sync`, `serve`) goes through here, so they all
/// publish the same way. Errors name the config key at fault. `readOnly` (a dry run) creates
/// nothing and refuses every write.
Result<std::unique_ptr<storage::HostStorage>> openHostStorage(const config::RegistryConfig& config,
                                                              bool readOnly = false);

}  // namespace tributary::host
