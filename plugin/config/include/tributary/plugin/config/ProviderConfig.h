// Provider configuration, given to rp_provider_v1.create as JSON:
// {"concurrency":4,"insecure_registries":["127.0.0.1:5001"],"allow_private_networks":false,
//  "ca_files":{"host:port":"/path/ca.crt"},"cache_dir":"/path",
//  "mirrors":{"registry-1.docker.io":["mirror.internal:5000"]},
//  "range_threshold_bytes":33554432,"range_part_bytes":8388608,"range_parallelism":4,
//  "timeout_seconds":30,"low_speed_limit_bytes":1024,"low_speed_time_seconds":60,
//  "max_tags":100000,"max_tag_list_bytes":67108864,"task_timeout_seconds":0,
//  "report_excluded_tags":false}
// Vendor sources: "endpoints":{"dockerhub":{"registry","auth","hub_api"},"gcr":{"registry"},
//  "quay":{"registry","api"}} (scheme://host[:port] URLs; auth may carry a path) override the
// real hosts (regional mirrors, air-gapped copies, tests); gcr.registry replaces gcr.io only.
// An endpoint on loopback still needs allow_private_networks; ca_files / insecure_registries
// apply to it by host:port. "dockerhub_budget_reserve": Docker Hub pulls a run leaves unspent.
// Every key is optional; empty text or {} = defaults. Unknown keys are errors.
// mirrors and range_* only matter for rules with `acceleration: true`. A mirror host is a
// registry like any other: list it in insecure_registries / ca_files when it needs that.
// timeout_seconds bounds each socket operation (connect, send, receive) of every registry
// client the provider creates, origin and mirrors alike; not a whole request's duration.
// low_speed_*: as curl's --speed-limit/--speed-time, a response body averaging fewer than
// low_speed_limit_bytes per second over low_speed_time_seconds is abandoned and retried within
// the bounded retries (0 turns it off); each socket operation is then bounded by
// min(timeout_seconds, low_speed_time_seconds) and a response head must arrive within
// max(timeout_seconds, low_speed_time_seconds). max_tags / max_tag_list_bytes bound one tag
// listing (tags the source lists, bytes of all pages): past either the run fails, naming it.
// task_timeout_seconds (0 = none) bounds a whole plan/execute: past it the run stops as if
// cancelled (tags already published stay) with a deadline error naming the key.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tributary/Status.h"

namespace tributary::plugin {

struct ProviderConfig {
  static constexpr int kMaxConcurrency = 64;

  int concurrency = 4;                          // blob workers per execute, 1..64
  std::set<std::string> insecureRegistries;     // host[:port] spoken to over plain http
  bool allowPrivateNetworks = false;            // allow loopback/private/link-local sources
  std::map<std::string, std::string> caFiles;   // host[:port] -> PEM file
  std::string cacheDir;                         // "" = memory-only caches
  /// List tags tag_regex excludes in plans and reports (excluded_by_regex rows, <= 1000).
  bool reportExcludedTags = false;
  bool cacheReadOnly = false;  // cache_read_only: caches are read, never written (dry runs)

  static constexpr int kMaxTimeoutSeconds = 3600;
  int timeoutSeconds = 30;                      // per socket operation, 1..3600

  uint64_t lowSpeedLimitBytes = 1024;           // bytes/s; 0 = no low-speed limit
  int lowSpeedTimeSeconds = 60;                 // 1..3600
  static constexpr int64_t kMaxTagsLimit = 10000000;
  int64_t maxTags = 100000;                     // tags one listing may hold, 1..10^7
  uint64_t maxTagListBytes = 64ull << 20;       // bytes of one listing, 1 MiB..4 GiB
  static constexpr int kMaxTaskTimeoutSeconds = 7 * 24 * 3600;
  int taskTimeoutSeconds = 0;                   // whole run; 0 = no deadline

  static constexpr uint64_t kMinRangePartBytes = 64u << 10;
  static constexpr uint64_t kMaxRangePartBytes = 256u << 20;
  static constexpr int kMaxRangeParallelism = 16;

  /// origin host[:port] -> its mirrors, tried in this order before the origin (acceleration).
  std::map<std::string, std::vector<std::string>> mirrors;
  uint64_t rangeThresholdBytes = 32ull << 20;  // blobs this large are fetched as byte ranges
  uint64_t rangePartBytes = 8ull << 20;        // bytes per range request
  int rangeParallelism = 4;                    // range requests in flight per blob, 1..16

  struct Endpoints {
    std::string dockerhubRegistry = "https://registry-1.docker.io";
    std::string dockerhubAuth = "https://auth.docker.io/token";
    std::string dockerhubHubApi = "https://hub.docker.com";
    std::string gcrRegistry = "https://gcr.io";
    std::string quayRegistry = "https://quay.io";
    std::string quayApi = "https://quay.io";
  };
  Endpoints endpoints;
  static constexpr int64_t kMaxBudgetReserve = 1000000;
  int64_t dockerhubBudgetReserve = 0;          // pulls never spent, 0..1000000

  /// kInvalidArgument listing every problem, one per line.
  static Result<ProviderConfig> parse(const std::string& json);
};

}  // namespace tributary::plugin
