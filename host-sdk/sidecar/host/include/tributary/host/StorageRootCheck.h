// StorageRootCheck: can this process write the registry's storage, asked before any network
// work so that a sync run as the wrong user stops at once instead of failing tag by tag.
#pragma once

#include <string>

#include "tributary/Status.h"

namespace tributary::host {

/// Checks that every directory a sync writes into and that already exists — `v2Root`
/// (<rootdirectory>/docker/registry/v2), its blobs/ and repositories/, and
/// repositories/<destinationRepository> with its _manifests/ and _layers/ — is a directory
/// this process may write and search (access(2) as the running user). kFailedPrecondition
/// naming the directory, its owner and the running user, with the hint to run as the
/// registry's user; OK otherwise. Writes nothing. Thread: any.
Status checkStorageWritable(const std::string& v2Root, const std::string& destinationRepository);

}  // namespace tributary::host
