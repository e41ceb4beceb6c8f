// FakeProvider: a provider execute for TaskService tests that blocks until released (or
// cancelled) and records what ran at once (overlap overall and per destination).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "rp/host.hpp"

struct FakeProvider {
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> running{0}, maxRunning{0}, calls{0};
  std::map<std::string, int> runningByDest;
  bool destOverlap = false;
  std::string report = "{\"status\":\"succeeded\",\"tags\":[{\"tag\":\"v1\",\"action\":\"synced\"}]}";

  std::vector<std::string> rulesSeen;  // guarded by mutex

  rp::ProviderReply execute(const std::string& rule, const rp_task_v1* task) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      rulesSeen.push_back(rule);
    }
    const std::string dest = rule.substr(rule.find("repository\":\"") + 13);
    ++calls;
    {
      std::unique_lock<std::mutex> lock(mutex);
      if (++runningByDest[dest] > 1) destOverlap = true;
    }
    const int now = ++running;
    int seen = maxRunning;
    while (now > seen && !maxRunning.compare_exchange_weak(seen, now)) {
    }
    rp_progress_event_v1 ev{};
    ev.struct_size = sizeof(ev);
    ev.kind = RP_PROGRESS_BYTES;
    ev.bytes_done = 10;
    ev.bytes_total = 100;
    task->progress(task->user_data, &ev);
    rp::ProviderReply reply;
    {
      std::unique_lock<std::mutex> lock(mutex);
      while (!release && !task->is_cancelled(task->user_data)) {
        cv.wait_for(lock, std::chrono::milliseconds(5));
      }
      --runningByDest[dest];
    }
    --running;
    if (task->is_cancelled(task->user_data)) {
      reply.status = RP_ERR_CANCELLED;
      reply.message = "task cancelled";
    } else {
      reply.json = report;
    }
    return reply;
  }
  void go() {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
    cv.notify_all();
  }
};

