#include "tributary/storage/RegistryApiStorageTable.h"

#include "tributary/storage/StorageTable.h"

namespace tributary::storage {

RegistryApiStorageTable::RegistryApiStorageTable(BlobStore& blobs, RegistryApiPublisher& publisher)
    : publisher_(publisher), composed_(blobs, publisher), table_(makeStorageTable(composed_)) {}

}  // namespace tributary::storage
