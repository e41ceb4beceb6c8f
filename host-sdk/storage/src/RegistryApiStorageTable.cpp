#include "tributary/storage/RegistryApiStorageTable.h"

#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "tributary/rp/HostString.h"
#include "tributary/rp/StatusMapping.h"
#include "tributary/storage/StorageTable.h"

namespace tributary::storage {

namespace {

RegistryApiStorageTable& self(void* user_data) {
  return *static_cast<RegistryApiStorageTable*>(user_data);
}

// Runs `body` (returning Status) with every exception turned into a status — nothing may
// unwind through the C boundary — and reports a failure through out_error.
template <typename Body>
rp_status guarded(void* user_data, rp_host_owned_str* out_error, const char* function,
                  Body&& body) {
  if (out_error != nullptr) *out_error = rp_host_owned_str{nullptr, 0};
  Status status;
  try {
    if (user_data == nullptr) {
      status = invalidArgumentError(std::string(function) + ": storage table user_data is NULL");
    } else {
      status = body();
    }
  } catch (const std::bad_alloc&) {
    status = internalError(std::string(function) + ": out of memory");
  } catch (const std::exception& e) {
    status = internalError(std::string(function) + ": " + e.what());
  } catch (...) {
    status = internalError(std::string(function) + ": unknown exception");
  }
  if (!status.isOk()) rp::setHostString(out_error, status.message());
  return rp::toRpStatus(status);
}

Result<std::string_view> view(rp_str s, const char* what) {
  if (s.ptr == nullptr && s.len != 0)
    return invalidArgumentError(std::string(what) + " has a NULL pointer and a non-zero length");
  if (s.ptr == nullptr) return std::string_view();
  return std::string_view(s.ptr, s.len);
}

// ---- blob half: the composed table's functions, with its user_data ----

rp_status blobStat(void* user_data, rp_str digest, uint64_t* out_size,
                   rp_host_owned_str* out_error) {
  const rp_storage_v1& b = self(user_data).blobs();
  return b.blob_stat(b.user_data, digest, out_size, out_error);
}

rp_status blobWriterOpen(void* user_data, rp_str digest, uint64_t expected_size,
                         rp_blob_writer_host_ptr** out_writer, rp_host_owned_str* out_error) {
  const rp_storage_v1& b = self(user_data).blobs();
  return b.blob_writer_open(b.user_data, digest, expected_size, out_writer, out_error);
}

rp_status blobWriterWrite(void* user_data, rp_blob_writer_host_ptr* writer, rp_bytes data,
                          rp_host_owned_str* out_error) {
  const rp_storage_v1& b = self(user_data).blobs();
  return b.blob_writer_write(b.user_data, writer, data, out_error);
}

rp_status blobWriterReset(void* user_data, rp_blob_writer_host_ptr* writer,
                          rp_host_owned_str* out_error) {
  const rp_storage_v1& b = self(user_data).blobs();
  return b.blob_writer_reset(b.user_data, writer, out_error);
}

uint64_t blobWriterOffset(void* user_data, const rp_blob_writer_host_ptr* writer) {
  const rp_storage_v1& b = self(user_data).blobs();
  return b.blob_writer_offset(b.user_data, writer);
}

rp_status blobWriterCommit(void* user_data, rp_blob_writer_host_ptr* writer,
                           rp_host_owned_str* out_error) {
  const rp_storage_v1& b = self(user_data).blobs();
  return b.blob_writer_commit(b.user_data, writer, out_error);
}

void blobWriterAbort(void* user_data, rp_blob_writer_host_ptr* writer) {
  const rp_storage_v1& b = self(user_data).blobs();
  b.blob_writer_abort(b.user_data, writer);
}

rp_status linkBlob(void* user_data, rp_str repository, rp_str digest,
                   rp_host_owned_str* out_error) {
  const rp_storage_v1& b = self(user_data).blobs();
  return b.link_blob(b.user_data, repository, digest, out_error);
}

// ---- manifest half: the registry's API ----

rp_status putManifest(void* user_data, rp_str repository, rp_str digest, rp_bytes content,
                      rp_host_owned_str* out_error) {
  return guarded(user_data, out_error, "put_manifest", [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(std::string_view r, view(repository, "repository"));
    TRIB_ASSIGN_OR_RETURN(std::string_view d, view(digest, "digest"));
    if (content.ptr == nullptr && content.len != 0)
      return invalidArgumentError("put_manifest: content has a NULL pointer and a non-zero length");
    std::string_view bytes;
    if (content.ptr != nullptr)
      bytes = std::string_view(reinterpret_cast<const char*>(content.ptr), content.len);
    return self(user_data).publisher().putManifest(r, d, bytes);
  });
}

rp_status manifestExists(void* user_data, rp_str repository, rp_str digest,
                         rp_host_owned_str* out_error) {
  return guarded(user_data, out_error, "manifest_exists", [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(std::string_view r, view(repository, "repository"));
    TRIB_ASSIGN_OR_RETURN(std::string_view d, view(digest, "digest"));
    return self(user_data).publisher().manifestExists(r, d);
  });
}

rp_status tagGet(void* user_data, rp_str repository, rp_str tag,
                 char out_digest[RP_DIGEST_BUF_SIZE], rp_host_owned_str* out_error) {
  return guarded(user_data, out_error, "tag_get", [&]() -> Status {
    if (out_digest == nullptr) return invalidArgumentError("tag_get: out_digest is NULL");
    out_digest[0] = '\0';
    TRIB_ASSIGN_OR_RETURN(std::string_view r, view(repository, "repository"));
    TRIB_ASSIGN_OR_RETURN(std::string_view t, view(tag, "tag"));
    TRIB_ASSIGN_OR_RETURN(std::string digest, self(user_data).publisher().getTag(r, t));
    if (digest.size() >= RP_DIGEST_BUF_SIZE)
      return internalError("tag_get: digest longer than RP_DIGEST_BUF_SIZE");
    std::memcpy(out_digest, digest.c_str(), digest.size() + 1);
    return Status();
  });
}

rp_status tagSet(void* user_data, rp_str repository, rp_str tag, rp_str digest,
                 rp_host_owned_str* out_error) {
  return guarded(user_data, out_error, "tag_set", [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(std::string_view r, view(repository, "repository"));
    TRIB_ASSIGN_OR_RETURN(std::string_view t, view(tag, "tag"));
    TRIB_ASSIGN_OR_RETURN(std::string_view d, view(digest, "digest"));
    return self(user_data).publisher().setTag(r, t, d);
  });
}

}  // namespace

RegistryApiStorageTable::RegistryApiStorageTable(const rp_storage_v1& blobs,
                                                 RegistryApiPublisher& publisher)
    : blobs_(blobs), publisher_(publisher) {
  std::memset(&table_, 0, sizeof(table_));
  table_.struct_size = sizeof(rp_storage_v1);
  table_.user_data = this;
  table_.blob_stat = &blobStat;
  table_.blob_writer_open = &blobWriterOpen;
  table_.blob_writer_write = &blobWriterWrite;
  table_.blob_writer_reset = &blobWriterReset;
  table_.blob_writer_offset = &blobWriterOffset;
  table_.blob_writer_commit = &blobWriterCommit;
  table_.blob_writer_abort = &blobWriterAbort;
  table_.link_blob = &linkBlob;
  table_.put_manifest = &putManifest;
  table_.manifest_exists = &manifestExists;
  table_.tag_get = &tagGet;
  table_.tag_set = &tagSet;
}

}  // namespace tributary::storage
