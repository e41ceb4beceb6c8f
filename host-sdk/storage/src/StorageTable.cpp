#include "tributary/storage/StorageTable.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

#include "tributary/rp/StatusMapping.h"
#include "tributary/storage/IoError.h"

namespace tributary::storage {

namespace {

// Sets *out (if any) to a malloc'ed copy of the status message (no code name: that is the
// returned rp_status); {NULL, 0} for OK or when out of
// memory (the status code still says what happened).
void setError(rp_host_owned_str* out, const Status& status) {
  if (out == nullptr) return;
  *out = rp_host_owned_str{nullptr, 0};
  if (!status.isOk()) rp::setHostString(out, status.message());  // the code travels as rp_status
}

rp_status finish(rp_host_owned_str* out_error, const Status& status) {
  setError(out_error, status);
  return rp::toRpStatus(status);
}

// Runs `body` (returning Status) with every exception turned into a status: nothing may unwind
// through the C boundary.
template <typename Body>
rp_status guarded(rp_host_owned_str* out_error, const char* function, Body&& body) {
  Status status;
  try {
    status = body();
  } catch (const std::bad_alloc&) {
    status = internalError(std::string(function) + ": out of memory");
  } catch (const std::exception& e) {
    status = internalError(std::string(function) + ": " + e.what());
  } catch (...) {
    status = internalError(std::string(function) + ": unknown exception");
  }
  return finish(out_error, status);
}

Result<std::string_view> view(rp_str s, const char* what) {
  if (s.ptr == nullptr && s.len != 0)
    return invalidArgumentError(std::string(what) + " has a NULL pointer and a non-zero length");
  if (s.ptr == nullptr) return std::string_view();
  return std::string_view(s.ptr, s.len);
}

StorageBackend& storageOf(void* user_data) { return *static_cast<StorageBackend*>(user_data); }

StoredBlobWriter* writerOf(rp_blob_writer_host_ptr* writer) {
  return reinterpret_cast<StoredBlobWriter*>(writer);
}

Status checkUserData(void* user_data) {
  if (user_data == nullptr) return invalidArgumentError("storage table user_data is NULL");
  return Status();
}

rp_status blobStat(void* user_data, rp_str digest, uint64_t* out_size,
                   rp_host_owned_str* out_error) {
  return guarded(out_error, "blob_stat", [&]() -> Status {
    TRIB_RETURN_IF_ERROR(checkUserData(user_data));
    if (out_size == nullptr) return invalidArgumentError("blob_stat: out_size is NULL");
    TRIB_ASSIGN_OR_RETURN(std::string_view d, view(digest, "digest"));
    TRIB_ASSIGN_OR_RETURN(*out_size, storageOf(user_data).statBlob(d));
    return Status();
  });
}

rp_status blobWriterOpen(void* user_data, rp_str digest, uint64_t expected_size,
                         rp_blob_writer_host_ptr** out_writer, rp_host_owned_str* out_error) {
  return guarded(out_error, "blob_writer_open", [&]() -> Status {
    TRIB_RETURN_IF_ERROR(checkUserData(user_data));
    if (out_writer == nullptr) return invalidArgumentError("blob_writer_open: out_writer is NULL");
    *out_writer = nullptr;
    TRIB_ASSIGN_OR_RETURN(std::string_view d, view(digest, "digest"));
    TRIB_ASSIGN_OR_RETURN(auto writer, storageOf(user_data).openWriter(d, expected_size));
    *out_writer = reinterpret_cast<rp_blob_writer_host_ptr*>(writer.release());
    return Status();
  });
}

rp_status blobWriterWrite(void* /*user_data*/, rp_blob_writer_host_ptr* writer, rp_bytes data,
                          rp_host_owned_str* out_error) {
  return guarded(out_error, "blob_writer_write", [&]() -> Status {
    if (writer == nullptr) return invalidArgumentError("blob_writer_write: writer is NULL");
    if (data.ptr == nullptr && data.len != 0)
      return invalidArgumentError("blob_writer_write: data has a NULL pointer and a non-zero length");
    return writerOf(writer)->write(reinterpret_cast<const char*>(data.ptr), data.len);
  });
}

rp_status blobWriterReset(void* /*user_data*/, rp_blob_writer_host_ptr* writer,
                          rp_host_owned_str* out_error) {
  return guarded(out_error, "blob_writer_reset", [&]() -> Status {
    if (writer == nullptr) return invalidArgumentError("blob_writer_reset: writer is NULL");
    return writerOf(writer)->reset();
  });
}

uint64_t blobWriterOffset(void* /*user_data*/, const rp_blob_writer_host_ptr* writer) {
  if (writer == nullptr) return 0;
  return reinterpret_cast<const StoredBlobWriter*>(writer)->offset();
}

rp_status blobWriterCommit(void* /*user_data*/, rp_blob_writer_host_ptr* writer,
                           rp_host_owned_str* out_error) {
  return guarded(out_error, "blob_writer_commit", [&]() -> Status {
    if (writer == nullptr) return invalidArgumentError("blob_writer_commit: writer is NULL");
    // The ABI releases the writer whatever the result.
    std::unique_ptr<StoredBlobWriter> owned(writerOf(writer));
    return owned->commit();
  });
}

void blobWriterAbort(void* /*user_data*/, rp_blob_writer_host_ptr* writer) {
  // The destructor drops what was written (temp file, multipart upload) and never throws.
  delete writerOf(writer);
}

rp_status linkBlob(void* user_data, rp_str repository, rp_str digest,
                   rp_host_owned_str* out_error) {
  return guarded(out_error, "link_blob", [&]() -> Status {
    TRIB_RETURN_IF_ERROR(checkUserData(user_data));
    TRIB_ASSIGN_OR_RETURN(std::string_view r, view(repository, "repository"));
    TRIB_ASSIGN_OR_RETURN(std::string_view d, view(digest, "digest"));
    return storageOf(user_data).linkBlob(r, d);
  });
}

rp_status putManifest(void* user_data, rp_str repository, rp_str digest, rp_bytes content,
                      rp_host_owned_str* out_error) {
  return guarded(out_error, "put_manifest", [&]() -> Status {
    TRIB_RETURN_IF_ERROR(checkUserData(user_data));
    TRIB_ASSIGN_OR_RETURN(std::string_view r, view(repository, "repository"));
    TRIB_ASSIGN_OR_RETURN(std::string_view d, view(digest, "digest"));
    if (content.ptr == nullptr && content.len != 0)
      return invalidArgumentError("put_manifest: content has a NULL pointer and a non-zero length");
    std::string_view bytes;
    if (content.ptr != nullptr)
      bytes = std::string_view(reinterpret_cast<const char*>(content.ptr), content.len);
    return storageOf(user_data).putManifest(r, d, bytes);
  });
}

rp_status manifestExists(void* user_data, rp_str repository, rp_str digest,
                         rp_host_owned_str* out_error) {
  return guarded(out_error, "manifest_exists", [&]() -> Status {
    TRIB_RETURN_IF_ERROR(checkUserData(user_data));
    TRIB_ASSIGN_OR_RETURN(std::string_view r, view(repository, "repository"));
    TRIB_ASSIGN_OR_RETURN(std::string_view d, view(digest, "digest"));
    return storageOf(user_data).manifestExists(r, d);
  });
}

rp_status tagGet(void* user_data, rp_str repository, rp_str tag,
                 char out_digest[RP_DIGEST_BUF_SIZE], rp_host_owned_str* out_error) {
  return guarded(out_error, "tag_get", [&]() -> Status {
    TRIB_RETURN_IF_ERROR(checkUserData(user_data));
    if (out_digest == nullptr) return invalidArgumentError("tag_get: out_digest is NULL");
    out_digest[0] = '\0';
    TRIB_ASSIGN_OR_RETURN(std::string_view r, view(repository, "repository"));
    TRIB_ASSIGN_OR_RETURN(std::string_view t, view(tag, "tag"));
    TRIB_ASSIGN_OR_RETURN(std::string digest, storageOf(user_data).getTag(r, t));
    // getTag returns only parsed digests, at most "sha512:" + 128 hex = 135 characters.
    if (digest.size() >= RP_DIGEST_BUF_SIZE)
      return internalError("tag_get: digest longer than RP_DIGEST_BUF_SIZE");
    std::memcpy(out_digest, digest.c_str(), digest.size() + 1);
    return Status();
  });
}

rp_status tagSet(void* user_data, rp_str repository, rp_str tag, rp_str digest,
                 rp_host_owned_str* out_error) {
  return guarded(out_error, "tag_set", [&]() -> Status {
    TRIB_RETURN_IF_ERROR(checkUserData(user_data));
    TRIB_ASSIGN_OR_RETURN(std::string_view r, view(repository, "repository"));
    TRIB_ASSIGN_OR_RETURN(std::string_view t, view(tag, "tag"));
    TRIB_ASSIGN_OR_RETURN(std::string_view d, view(digest, "digest"));
    return storageOf(user_data).setTag(r, t, d);
  });
}

}  // namespace

rp_storage_v1 makeStorageTable(StorageBackend& storage) {
  rp_storage_v1 table{};
  table.struct_size = sizeof(rp_storage_v1);
  table.user_data = &storage;  // a StorageBackend*, whatever the caller's type
  table.blob_stat = &blobStat;
  table.blob_writer_open = &blobWriterOpen;
  table.blob_writer_write = &blobWriterWrite;
  table.blob_writer_reset = &blobWriterReset;
  table.blob_writer_offset = &blobWriterOffset;
  table.blob_writer_commit = &blobWriterCommit;
  table.blob_writer_abort = &blobWriterAbort;
  table.link_blob = &linkBlob;
  table.put_manifest = &putManifest;
  table.manifest_exists = &manifestExists;
  table.tag_get = &tagGet;
  table.tag_set = &tagSet;
  return table;
}


}  // namespace tributary::storage
