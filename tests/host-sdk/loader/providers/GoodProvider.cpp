// A well-behaved test provider (rp ABI v1) for the loader and sidecar tests. It does no
// network I/O: its answers are canned and chosen by markers in the rule text, so tests can
// drive every path of a host:
//   "INVALID"      validate_rule fails with RP_ERR_INVALID_ARGUMENT and a two-line message
//   "PARTIAL"      execute reports status "partial" with one failed tag
//   "UNREACHABLE"  execute fails with RP_ERR_UNAVAILABLE
//   "NEEDS_SECRET" execute looks up secret "hub" and fails RP_ERR_UNAUTHENTICATED without it
//   "WAIT_CANCEL"  execute waits (up to 20 s) for the task's cancellation
//   "REFUSED"      execute answers RP_OK with a schema-1 report whose error is the address
//                  policy's refusal (a provider that reports run failures in the report)
// create fails when the config JSON contains "reject".
#include <chrono>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <thread>

#include "rp/provider.hpp"
#include "rp/replication_provider.h"

struct rp_provider_ptr {
  const rp_host_v1* host;
  std::string config;
};

namespace {

bool contains(rp_str text, const char* marker) {
  return std::string_view(text.ptr, text.len).find(marker) != std::string_view::npos;
}

void log(const rp_host_v1* host, rp_log_level level, std::string_view message) {
  if (host->log_enabled != nullptr && !host->log_enabled(host->user_data, level)) return;
  host->log(host->user_data, level, rp_str{message.data(), message.size()});
}

void progress(const rp_task_v1* task, rp_progress_kind kind, uint64_t bytesDone,
              uint64_t blobsDone, const char* tag, const char* message) {
  if (task == nullptr || task->progress == nullptr) return;
  rp_progress_event_v1 event;
  std::memset(&event, 0, sizeof(event));
  event.struct_size = sizeof(event);
  event.kind = kind;
  event.bytes_done = bytesDone;
  event.bytes_total = 3000000;
  event.blobs_done = blobsDone;
  event.blobs_total = 3;
  event.tag = rp_str{tag, std::strlen(tag)};
  event.message = rp_str{message, std::strlen(message)};
  task->progress(task->user_data, &event);
}

rp_status fail(rp_provider_owned_str* outError, rp_status status, std::string_view message) {
  rp::setProviderOwnedString(outError, message);
  return status;
}

rp_status info(rp_provider_owned_str* outJson) {
  rp::setProviderOwnedString(
      outJson, R"({"name":"test-good","version":"0.0.1","source_types":[]})");
  return RP_OK;
}

rp_status create(const rp_host_v1* hostIn, rp_str config, rp_provider_ptr** out,
                 rp_provider_owned_str* outError) {
  rp::ReceivedTable<rp_host_v1> host(hostIn);
  RP_REQUIRE_MEMBER(host, rp_host_v1, log);
  RP_REQUIRE_MEMBER(host, rp_host_v1, free_str);
  if (!host.complete()) {
    return fail(outError, RP_ERR_INCOMPATIBLE, "host table lacks: " + host.missing());
  }
  if (contains(config, "reject")) {
    return fail(outError, RP_ERR_INVALID_ARGUMENT, "provider config: `reject` is set");
  }
  auto* provider = new (std::nothrow) rp_provider_ptr{hostIn, std::string(config.ptr, config.len)};
  if (provider == nullptr) return fail(outError, RP_ERR_INTERNAL, "out of memory");
  log(hostIn, RP_LOG_DEBUG, "test-good: instance created");
  *out = provider;
  return RP_OK;
}

void destroy(rp_provider_ptr* provider) { delete provider; }

rp_status validateRule(rp_provider_ptr*, rp_str rule, rp_provider_owned_str* outNormalised,
                       rp_provider_owned_str* outError) {
  if (contains(rule, "INVALID")) {
    return fail(outError, RP_ERR_INVALID_ARGUMENT,
                "policy.latest_n: must be 1..5 for dockerhub (got 9)\n"
                "source.repository: missing");
  }
  rp::setProviderOwnedString(outNormalised, std::string_view(rule.ptr, rule.len));
  return RP_OK;
}

rp_status plan(rp_provider_ptr*, rp_str, const rp_task_v1* task, rp_provider_owned_str* outPlan,
               rp_provider_owned_str*) {
  progress(task, RP_PROGRESS_PLANNED, 0, 0, "", "");
  rp::setProviderOwnedString(
      outPlan,
      R"({"rule":"test","tags":[)"
      R"({"tag":"1.25","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","pushed_at":"2024-05-01T10:00:00Z","timestamp_source":"tag_last_pushed","action":"sync","reason":"absent in destination","bytes_to_fetch":3000000},)"
      R"({"tag":"1.24","digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","pushed_at":"2024-04-01T10:00:00Z","timestamp_source":"tag_last_pushed","action":"unchanged","reason":"same digest","bytes_to_fetch":0}],)"
      R"("totals":{"bytes_to_fetch":3000000,"blobs_to_fetch":3,"blobs_reused":2}})");
  return RP_OK;
}

rp_status execute(rp_provider_ptr* provider, rp_str rule, const rp_task_v1* task,
                  rp_provider_owned_str* outReport, rp_provider_owned_str* outError) {
  const rp_host_v1* host = provider->host;
  log(host, RP_LOG_INFO, "test-good: executing");
  if (contains(rule, "UNREACHABLE")) {
    return fail(outError, RP_ERR_UNAVAILABLE, "registry-1.docker.io: connection refused");
  }
  if (contains(rule, "REFUSED")) {
    rp::setProviderOwnedString(
        outReport,
        R"({"schema_version":1,"rule":"test","source":{"type":"custom","registry":"127.0.0.1:5000",)"
        R"("repository":"a/b"},"destination":{"repository":"m/b"},"dry_run":false,"status":"failed",)"
        R"("error":{"code":"RP_ERR_PERMISSION_DENIED","message":"refusing to connect to source )"
        R"(127.0.0.1:5000: loopback address; allow private networks for this source to permit it"},)"
        R"("counts":{"synced":0,"unchanged":0,"kept":0,"skipped":0,"deferred":0,"failed":0,)"
        R"("beyond_latest_n":0,"excluded_by_regex":0},"totals":{"bytes":0,"blobs":0,"blobs_reused":0,)"
        R"("duration_ms":0,"ranged_blobs":0,"ranged_bytes":0,"mirror_blobs":0,"mirror_bytes":0},)"
        R"("notes":[],"tags":[]})");
    return RP_OK;
  }
  if (contains(rule, "NEEDS_SECRET")) {
    rp::HostOwnedString value(host);
    rp::HostOwnedString error(host);
    const char name[] = "hub";
    const rp_status status =
        host->secret_get == nullptr
            ? RP_ERR_NOT_FOUND
            : host->secret_get(host->user_data, rp_str{name, 3}, value.out(), error.out());
    if (status != RP_OK) {
      return fail(outError, RP_ERR_UNAUTHENTICATED,
                  "credential `hub`: " + std::string(rp_status_str(status)) + ": " + error.str());
    }
    if (value.view().find("\"password\"") == std::string_view::npos) {
      return fail(outError, RP_ERR_UNAUTHENTICATED, "credential `hub` has no password");
    }
  }
  if (contains(rule, "WAIT_CANCEL")) {
    for (int i = 0; i < 200; ++i) {
      if (task != nullptr && task->is_cancelled != nullptr &&
          task->is_cancelled(task->user_data)) {
        return fail(outError, RP_ERR_CANCELLED, "cancelled by the host");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return fail(outError, RP_ERR_TIMEOUT, "never cancelled");
  }
  progress(task, RP_PROGRESS_PLANNED, 0, 0, "", "");
  progress(task, RP_PROGRESS_BYTES, 1500000, 1, "", "");
  progress(task, RP_PROGRESS_BLOB_DONE, 3000000, 3, "", "");
  progress(task, RP_PROGRESS_TAG_DONE, 3000000, 3, "1.25", "synced");
  if (contains(rule, "PARTIAL")) {
    rp::setProviderOwnedString(
        outReport,
        R"({"rule":"test","status":"partial","tags":[)"
        R"({"tag":"1.25","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","pushed_at":"2024-05-01T10:00:00Z","action":"synced","reason":"","bytes_fetched":3000000},)"
        R"({"tag":"1.24","digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","action":"failed","reason":"blob sha256:cc: digest mismatch"}],)"
        R"("totals":{"bytes_fetched":3000000,"blobs_fetched":3,"blobs_reused":0,"duration_ms":1200}})");
    return RP_OK;
  }
  rp::setProviderOwnedString(
      outReport,
      R"({"rule":"test","status":"succeeded","tags":[)"
      R"({"tag":"1.25","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","pushed_at":"2024-05-01T10:00:00Z","action":"synced","reason":"","bytes_fetched":3000000},)"
      R"({"tag":"1.24","digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","pushed_at":"2024-04-01T10:00:00Z","action":"unchanged","reason":"same digest","bytes_fetched":0}],)"
      R"("totals":{"bytes_fetched":3000000,"blobs_fetched":3,"blobs_reused":2,"duration_ms":1200}})");
  return RP_OK;
}

}  // namespace

extern "C" RP_EXPORT rp_status rp_provider_negotiate(uint32_t hostMin, uint32_t hostMax,
                                                     const rp_host_v1*, rp_provider_v1* out) {
  // Speaks only version 1; reports it even when incompatible so the host can say why.
  out->abi_version = RP_ABI_VERSION_1;
  if (hostMin > RP_ABI_VERSION_1 || hostMax < RP_ABI_VERSION_1) return RP_ERR_INCOMPATIBLE;
  rp_provider_v1 table;
  std::memset(&table, 0, sizeof(table));
  table.abi_version = RP_ABI_VERSION_1;
  table.info = info;
  table.create = create;
  table.destroy = destroy;
  table.validate_rule = validateRule;
  table.plan = plan;
  table.execute = execute;
  table.free_str = rp::freeProviderOwnedString;
  size_t size = out->struct_size < sizeof(table) ? out->struct_size : sizeof(table);
  std::memcpy(reinterpret_cast<char*>(out) + sizeof(uint32_t),
              reinterpret_cast<const char*>(&table) + sizeof(uint32_t), size - sizeof(uint32_t));
  out->struct_size = static_cast<uint32_t>(size);
  return RP_OK;
}
