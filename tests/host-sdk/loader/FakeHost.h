// A host table for loader tests: records log lines, has no secrets and no storage.
#pragma once

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "rp/replication_provider.h"

class FakeHost {
 public:
  FakeHost() {
    table_.struct_size = sizeof(rp_host_v1);
    table_.user_data = this;
    table_.host_name = rp_str{"fake-host/0", 11};
    table_.log = [](void* self, rp_log_level, rp_str message) {
      auto* host = static_cast<FakeHost*>(self);
      std::lock_guard<std::mutex> lock(host->mutex_);
      host->logs_.emplace_back(message.ptr, message.len);
    };
    table_.log_enabled = nullptr;
    table_.secret_get = [](void*, rp_str, rp_host_owned_str*, rp_host_owned_str*) {
      return static_cast<rp_status>(RP_ERR_NOT_FOUND);
    };
    table_.free_str = [](void*, rp_host_owned_str* str) {
      std::free(str->ptr);
      str->ptr = nullptr;
      str->len = 0;
    };
    table_.storage = nullptr;
  }

  const rp_host_v1* table() const { return &table_; }
  rp_host_v1& mutableTable() { return table_; }
  std::vector<std::string> logs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return logs_;
  }

 private:
  rp_host_v1 table_{};
  mutable std::mutex mutex_;
  std::vector<std::string> logs_;
};
