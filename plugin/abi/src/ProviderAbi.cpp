// The ABI boundary: the only file that includes the rp C header. It exports
// rp_provider_negotiate, adapts the host's tables (storage, log, secrets, task) to the
// engine's C++ interfaces, maps Status <-> rp_status, copies every incoming struct by its
// struct_size, and never lets an exception cross into the host.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "rp/replication_provider.h"
#include "tributary/rp/StatusMapping.h"
#include "tributary/plugin/engine/Provider.h"
#include "tributary/plugin/config/ProviderConfig.h"

namespace tributary::plugin {
namespace {

// Internal enums -> ABI values, spelled out: the ABI's numbers are fixed forever, ours are not.
constexpr rp_log_level toRpLogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return RP_LOG_DEBUG;
    case LogLevel::kInfo: return RP_LOG_INFO;
    case LogLevel::kWarn: return RP_LOG_WARN;
    case LogLevel::kError: return RP_LOG_ERROR;
  }
  return RP_LOG_ERROR;
}
static_assert(toRpLogLevel(LogLevel::kDebug) == RP_LOG_DEBUG &&
                  toRpLogLevel(LogLevel::kInfo) == RP_LOG_INFO &&
                  toRpLogLevel(LogLevel::kWarn) == RP_LOG_WARN &&
                  toRpLogLevel(LogLevel::kError) == RP_LOG_ERROR,
              "LogLevel -> rp_log_level");

constexpr rp_progress_kind toRpProgressKind(ProgressEvent::Kind kind) {
  switch (kind) {
    case ProgressEvent::Kind::kPlanned: return RP_PROGRESS_PLANNED;
    case ProgressEvent::Kind::kBlobDone: return RP_PROGRESS_BLOB_DONE;
    case ProgressEvent::Kind::kBytes: return RP_PROGRESS_BYTES;
    case ProgressEvent::Kind::kTagDone: return RP_PROGRESS_TAG_DONE;
    case ProgressEvent::Kind::kMessage: return RP_PROGRESS_MESSAGE;
  }
  return RP_PROGRESS_MESSAGE;
}
static_assert(toRpProgressKind(ProgressEvent::Kind::kPlanned) == RP_PROGRESS_PLANNED &&
                  toRpProgressKind(ProgressEvent::Kind::kBlobDone) == RP_PROGRESS_BLOB_DONE &&
                  toRpProgressKind(ProgressEvent::Kind::kBytes) == RP_PROGRESS_BYTES &&
                  toRpProgressKind(ProgressEvent::Kind::kTagDone) == RP_PROGRESS_TAG_DONE &&
                  toRpProgressKind(ProgressEvent::Kind::kMessage) == RP_PROGRESS_MESSAGE,
              "ProgressEvent::Kind -> rp_progress_kind");


rp_str toStr(const std::string& s) { return rp_str{s.data(), s.size()}; }
std::string fromStr(rp_str s) { return s.ptr ? std::string(s.ptr, s.len) : std::string(); }

// Copies `size` bytes of a table the other side filled into a zeroed local of our size.
template <typename T>
bool copyStruct(const T* in, T& out) {
  std::memset(&out, 0, sizeof out);
  if (in == nullptr || in->struct_size < sizeof(uint32_t)) return false;
  std::memcpy(&out, in, in->struct_size < sizeof(T) ? in->struct_size : sizeof(T));
  out.struct_size = in->struct_size < sizeof(T) ? in->struct_size : static_cast<uint32_t>(sizeof(T));
  return true;
}

bool hostUsable(const rp_host_v1& h) {
  return RP_STRUCT_HAS(rp_host_v1, &h, storage) && h.free_str != nullptr && h.storage != nullptr;
}

bool storageUsable(const rp_storage_v1& s) {
  return RP_STRUCT_HAS(rp_storage_v1, &s, tag_set) && s.blob_stat && s.blob_writer_open &&
         s.blob_writer_write && s.blob_writer_reset && s.blob_writer_offset &&
         s.blob_writer_commit && s.blob_writer_abort && s.link_blob && s.put_manifest &&
         s.manifest_exists && s.tag_get && s.tag_set;
}

rp_provider_owned_str ownedCopy(const std::string& s) {
  rp_provider_owned_str out{nullptr, 0};
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) return out;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  out.ptr = p;
  out.len = s.size();
  return out;
}

void setOut(rp_provider_owned_str* out, const std::string& s) {
  if (out != nullptr) *out = ownedCopy(s);
}

void clearOut(rp_provider_owned_str* out) {
  if (out != nullptr) *out = rp_provider_owned_str{nullptr, 0};
}

// ---- host services as C++ interfaces ----

class HostCalls {
 public:
  explicit HostCalls(const rp_host_v1& host) : host_(host) {}
  // Turns a host status + optional error string into a Status, freeing the string.
  Status status(rp_status s, rp_host_owned_str& err, const std::string& what) const {
    std::string message;
    if (err.ptr != nullptr) {
      message.assign(err.ptr, err.len);
      host_.free_str(host_.user_data, &err);
    }
    if (s == RP_OK) return Status();
    if (message.empty()) message = "the host gave no reason";
    return rp::statusFromRp(s, what.empty() ? message : what + ": " + message);
  }
  const rp_host_v1& host() const { return host_; }

 private:
  const rp_host_v1& host_;
};

class HostBlobWriter final : public Storage::BlobWriter {
 public:
  HostBlobWriter(const rp_storage_v1& s, const HostCalls& calls, rp_blob_writer_host_ptr* w,
                 std::string digest)
      : s_(s), calls_(calls), w_(w), digest_(std::move(digest)) {}
  ~HostBlobWriter() override {
    if (w_ != nullptr) s_.blob_writer_abort(s_.user_data, w_);
  }
  Status write(const char* data, size_t len) override {
    rp_host_owned_str err{nullptr, 0};
    rp_bytes bytes{reinterpret_cast<const uint8_t*>(data), len};
    return calls_.status(s_.blob_writer_write(s_.user_data, w_, bytes, &err), err,
                         "");  // the caller names the blob
  }
  Status reset() override {
    rp_host_owned_str err{nullptr, 0};
    return calls_.status(s_.blob_writer_reset(s_.user_data, w_, &err), err,
                         "");
  }
  uint64_t offset() const override { return s_.blob_writer_offset(s_.user_data, w_); }
  Status commit() override {
    rp_host_owned_str err{nullptr, 0};
    rp_blob_writer_host_ptr* w = w_;
    w_ = nullptr;  // commit releases the writer whatever the result
    return calls_.status(s_.blob_writer_commit(s_.user_data, w, &err), err,
                         "");
  }

 private:
  const rp_storage_v1& s_;
  const HostCalls& calls_;
  rp_blob_writer_host_ptr* w_;
  std::string digest_;
};

class HostStorage final : public Storage {
 public:
  HostStorage(const rp_storage_v1& s, const HostCalls& calls) : s_(s), calls_(calls) {}

  Result<uint64_t> blobStat(const std::string& digest) override {
    rp_host_owned_str err{nullptr, 0};
    uint64_t size = 0;
    Status st = calls_.status(s_.blob_stat(s_.user_data, toStr(digest), &size, &err), err,
                              "checking blob " + digest + " in storage");
    if (!st.isOk()) return st;
    return size;
  }
  Result<std::unique_ptr<BlobWriter>> openBlobWriter(const std::string& digest,
                                                     uint64_t expectedSize) override {
    rp_host_owned_str err{nullptr, 0};
    rp_blob_writer_host_ptr* w = nullptr;
    Status st = calls_.status(
        s_.blob_writer_open(s_.user_data, toStr(digest), expectedSize, &w, &err), err,
        "opening a storage writer for blob " + digest);
    if (!st.isOk()) return st;
    if (w == nullptr) return internalError("host returned no blob writer for " + digest);
    return std::unique_ptr<BlobWriter>(new HostBlobWriter(s_, calls_, w, digest));
  }
  Status linkBlob(const std::string& repository, const std::string& digest) override {
    rp_host_owned_str err{nullptr, 0};
    return calls_.status(s_.link_blob(s_.user_data, toStr(repository), toStr(digest), &err), err,
                         "linking blob " + digest + " into " + repository);
  }
  Status putManifest(const std::string& repository, const std::string& digest,
                     const std::string& bytes) override {
    rp_host_owned_str err{nullptr, 0};
    rp_bytes content{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
    return calls_.status(
        s_.put_manifest(s_.user_data, toStr(repository), toStr(digest), content, &err), err,
        "storing manifest " + digest + " in " + repository);
  }
  Status manifestExists(const std::string& repository, const std::string& digest) override {
    rp_host_owned_str err{nullptr, 0};
    return calls_.status(
        s_.manifest_exists(s_.user_data, toStr(repository), toStr(digest), &err), err,
        "checking manifest " + digest + " in " + repository);
  }
  Result<std::optional<std::string>> tagGet(const std::string& repository,
                                            const std::string& tag) override {
    rp_host_owned_str err{nullptr, 0};
    char digest[RP_DIGEST_BUF_SIZE] = {0};
    rp_status s = s_.tag_get(s_.user_data, toStr(repository), toStr(tag), digest, &err);
    if (s == RP_ERR_NOT_FOUND) {
      (void)calls_.status(s, err, "");  // frees the message
      return std::optional<std::string>();
    }
    Status st = calls_.status(s, err, "reading tag " + repository + ":" + tag);
    if (!st.isOk()) return st;
    digest[RP_DIGEST_BUF_SIZE - 1] = '\0';
    return std::optional<std::string>(std::string(digest));
  }
  Status tagSet(const std::string& repository, const std::string& tag,
                const std::string& digest) override {
    rp_host_owned_str err{nullptr, 0};
    return calls_.status(
        s_.tag_set(s_.user_data, toStr(repository), toStr(tag), toStr(digest), &err), err,
        "setting tag " + repository + ":" + tag);
  }

 private:
  const rp_storage_v1& s_;
  const HostCalls& calls_;
};

// Log lines go out redacted (Provider::redactor): a source may echo a secret into a message.
class HostLogger final : public Logger {
 public:
  explicit HostLogger(const rp_host_v1& h) : h_(h) {}
  void setRedactor(const SecretRedactor* redactor) { redactor_ = redactor; }
  bool enabled(LogLevel level) const override {
    if (h_.log == nullptr) return false;
    if (!RP_STRUCT_HAS(rp_host_v1, &h_, log_enabled) || h_.log_enabled == nullptr) return true;
    return h_.log_enabled(h_.user_data, toRpLogLevel(level)) != 0;
  }
  void log(LogLevel level, const std::string& message) override {
    if (h_.log == nullptr) return;
    const std::string text = redactor_ != nullptr ? redactor_->redact(message) : message;
    h_.log(h_.user_data, toRpLogLevel(level), toStr(text));
  }

 private:
  const rp_host_v1& h_;
  const SecretRedactor* redactor_ = nullptr;  // set once the provider exists
};

class HostSecrets final : public SecretStore {
 public:
  HostSecrets(const rp_host_v1& h, const HostCalls& calls) : h_(h), calls_(calls) {}
  Result<std::string> get(const std::string& name) override {
    if (!RP_STRUCT_HAS(rp_host_v1, &h_, secret_get) || h_.secret_get == nullptr)
      return notFoundError("the host offers no secrets");
    rp_host_owned_str value{nullptr, 0};
    rp_host_owned_str err{nullptr, 0};
    rp_status s = h_.secret_get(h_.user_data, toStr(name), &value, &err);
    Status st = calls_.status(s, err, "looking up secret `" + name + "`");
    std::string text;
    if (value.ptr != nullptr) {
      text.assign(value.ptr, value.len);
      h_.free_str(h_.user_data, &value);
    }
    if (!st.isOk()) return st;
    return text;
  }

 private:
  const rp_host_v1& h_;
  const HostCalls& calls_;
};

class HostTask final : public TaskContext {
 public:
  HostTask(const rp_task_v1* task, const SecretRedactor& redactor) : redactor_(redactor) {
    copyStruct(task, t_);
  }
  bool isCancelled() const override {
    if (!RP_STRUCT_HAS(rp_task_v1, &t_, is_cancelled) || t_.is_cancelled == nullptr) return false;
    return t_.is_cancelled(t_.user_data) != 0;
  }
  void progress(const ProgressEvent& e) override {
    if (!RP_STRUCT_HAS(rp_task_v1, &t_, progress) || t_.progress == nullptr) return;
    rp_progress_event_v1 ev;
    std::memset(&ev, 0, sizeof ev);
    ev.struct_size = sizeof ev;
    ev.kind = toRpProgressKind(e.kind);
    ev.bytes_done = e.bytesDone;
    ev.bytes_total = e.bytesTotal;
    ev.blobs_done = e.blobsDone;
    ev.blobs_total = e.blobsTotal;
    ev.tag = toStr(e.tag);
    const std::string message = e.message.empty() ? std::string() : redactor_.redact(e.message);
    ev.message = toStr(message);
    t_.progress(t_.user_data, &ev);
  }

 private:
  rp_task_v1 t_;
  const SecretRedactor& redactor_;
};

}  // namespace
}  // namespace tributary::plugin

// The opaque instance handed to the host.
struct rp_provider_ptr {
  rp_host_v1 host;
  rp_storage_v1 storage;
  tributary::plugin::HostCalls calls{host};
  tributary::plugin::HostStorage hostStorage{storage, calls};
  tributary::plugin::HostLogger logger{host};
  tributary::plugin::HostSecrets secrets{host, calls};
  std::unique_ptr<tributary::plugin::Provider> provider;
};

namespace tributary::plugin {
namespace {

// Runs `body`, turning a Status or any exception into an rp_status plus *out_error (with the
// provider's secrets redacted, when there is a provider).
template <typename Body>
rp_status guarded(rp_provider_owned_str* outError, Body&& body,
                  const SecretRedactor* redactor = nullptr) {
  clearOut(outError);
  try {
    Status s = body();
    if (s.isOk()) return RP_OK;
    setOut(outError, redactor != nullptr ? redactor->redact(s.message()) : s.message());
    return rp::toRpStatus(s);
  } catch (const std::bad_alloc&) {
    setOut(outError, "out of memory");
  } catch (const std::exception& e) {
    setOut(outError, std::string("internal error: ") + e.what());
  } catch (...) {
    setOut(outError, "internal error: unknown exception");
  }
  return RP_ERR_INTERNAL;
}

rp_status abiInfo(rp_provider_owned_str* outJson) {
  if (outJson == nullptr) return RP_ERR_INVALID_ARGUMENT;
  return guarded(nullptr, [&] {
    *outJson = ownedCopy(Provider::info());
    return outJson->ptr ? Status() : internalError("out of memory");
  });
}

rp_status abiCreate(const rp_host_v1* host, rp_str configJson, rp_provider_ptr** out,
                    rp_provider_owned_str* outError) {
  if (out == nullptr) return RP_ERR_INVALID_ARGUMENT;
  *out = nullptr;
  return guarded(outError, [&]() -> Status {
    auto instance = std::make_unique<rp_provider_ptr>();
    if (!copyStruct(host, instance->host) || !hostUsable(instance->host))
      return Status(StatusCode::kFailedPrecondition,
                    "host table is missing or too small (needs free_str and storage)");
    if (!copyStruct(instance->host.storage, instance->storage) ||
        !storageUsable(instance->storage))
      return Status(StatusCode::kFailedPrecondition,
                    "host storage table is too small or has NULL functions");
    TRIB_ASSIGN_OR_RETURN(ProviderConfig config, ProviderConfig::parse(fromStr(configJson)));
    instance->provider = std::make_unique<Provider>(std::move(config), instance->hostStorage,
                                                    instance->logger, instance->secrets);
    instance->logger.setRedactor(&instance->provider->redactor());
    *out = instance.release();
    return Status();
  });
}

void abiDestroy(rp_provider_ptr* provider) {
  try {
    delete provider;
  } catch (...) {
    // nothing sensible to report from a destructor across the ABI
  }
}

rp_status abiValidateRule(rp_provider_ptr* provider, rp_str ruleJson,
                          rp_provider_owned_str* outNormalised, rp_provider_owned_str* outError) {
  clearOut(outNormalised);
  if (provider == nullptr) return RP_ERR_INVALID_ARGUMENT;
  return guarded(outError, [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(std::string normalised,
                          provider->provider->validateRule(fromStr(ruleJson)));
    setOut(outNormalised, normalised);
    return Status();
  });
}

// plan and execute: the report goes out whenever there is one, also with an error status
// (then its status is failed and its error names the status), so the host can show why.
rp_status abiRun(rp_provider_ptr* provider, rp_str ruleJson, const rp_task_v1* task,
                 bool dryRun, rp_provider_owned_str* outReport, rp_provider_owned_str* outError) {
  clearOut(outReport);
  if (provider == nullptr) return RP_ERR_INVALID_ARGUMENT;
  const SecretRedactor& redactor = provider->provider->redactor();
  return guarded(
      outError,
      [&]() -> Status {
        HostTask hostTask(task, redactor);
        Provider::Run run = dryRun ? provider->provider->plan(fromStr(ruleJson), hostTask)
                                   : provider->provider->execute(fromStr(ruleJson), hostTask);
        if (run.report) {
          if (!run.status.isOk())
            run.report->setError(rp_status_str(rp::toRpStatus(run.status)),
                                 run.status.message());
          // Reasons and errors quote what sources answered, which may echo a secret.
          setOut(outReport, redactor.redact(run.report->toJson()));
        }
        return run.status;
      },
      &redactor);
}

rp_status abiPlan(rp_provider_ptr* provider, rp_str ruleJson, const rp_task_v1* task,
                  rp_provider_owned_str* outPlan, rp_provider_owned_str* outError) {
  return abiRun(provider, ruleJson, task, /*dryRun=*/true, outPlan, outError);
}

rp_status abiExecute(rp_provider_ptr* provider, rp_str ruleJson, const rp_task_v1* task,
                     rp_provider_owned_str* outReport, rp_provider_owned_str* outError) {
  return abiRun(provider, ruleJson, task, /*dryRun=*/false, outReport, outError);
}

void abiFreeStr(rp_provider_owned_str* str) {
  if (str == nullptr || str->ptr == nullptr) return;
  std::free(str->ptr);
  str->ptr = nullptr;
  str->len = 0;
}

}  // namespace
}  // namespace tributary::plugin

extern "C" RP_EXPORT rp_status rp_provider_negotiate(uint32_t host_min, uint32_t host_max,
                                                     const rp_host_v1* host, rp_provider_v1* out) {
  using namespace tributary::plugin;
  if (out == nullptr) return RP_ERR_INVALID_ARGUMENT;
  if (host_min > RP_ABI_VERSION_1 || host_max < RP_ABI_VERSION_1) {
    // The header's promise: the highest version we speak, so the host can say who is behind.
    // abi_version sits right after struct_size; write it only when the host's table has room.
    if (out->struct_size >= offsetof(rp_provider_v1, abi_version) + sizeof(out->abi_version))
      out->abi_version = RP_ABI_VERSION_1;
    return RP_ERR_INCOMPATIBLE;
  }
  // The host's table must at least reach storage (checked again, fully, in create).
  rp_host_v1 h;
  if (host != nullptr && (!copyStruct(host, h) || !hostUsable(h))) return RP_ERR_INCOMPATIBLE;
  const uint32_t room = out->struct_size;
  if (room < offsetof(rp_provider_v1, info) + sizeof(out->info)) return RP_ERR_INCOMPATIBLE;
  rp_provider_v1 mine;
  std::memset(&mine, 0, sizeof mine);
  mine.struct_size = sizeof mine;
  mine.abi_version = RP_ABI_VERSION_1;
  mine.info = abiInfo;
  mine.create = abiCreate;
  mine.destroy = abiDestroy;
  mine.validate_rule = abiValidateRule;
  mine.plan = abiPlan;
  mine.execute = abiExecute;
  mine.free_str = abiFreeStr;
  const uint32_t n = room < sizeof mine ? room : static_cast<uint32_t>(sizeof mine);
  std::memcpy(out, &mine, n);
  out->struct_size = n;
  return RP_OK;
}
