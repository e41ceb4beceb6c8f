#include "tributary/scheduler/TaskService.h"

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <cstring>

#include "tributary/metrics/ServiceMetrics.h"
#include "tributary/scheduler/ReportSummary.h"

namespace tributary::scheduler {

using state::RuleRecord;
using state::TaskRecord;
namespace ts = state::task_status;

namespace {

struct RuleFields {
  std::string destination;
  std::string updatePeriod = "manual";
};

// The two fields of a stored (normalised) rule the scheduler needs.
RuleFields ruleFields(const std::string& json) {
  RuleFields f;
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    if (auto dst = root->getObject("destination"); dst && dst->has("repository")) {
      f.destination = dst->getValue<std::string>("repository");
    }
    if (root->has("update_period")) f.updatePeriod = root->getValue<std::string>("update_period");
  } catch (const std::exception&) {
    // stored rules were validated; an unreadable one is treated as manual
  }
  return f;
}

}  // namespace

int64_t TaskService::nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

TaskService::TaskService(state::StateStore& store, TaskServiceOptions options, ExecuteFn execute,
                         metrics::ServiceMetrics* metrics)
    : store_(store), options_(std::move(options)), execute_(std::move(execute)),
      metrics_(metrics) {}

TaskService::~TaskService() { stop(); }

int64_t TaskService::nextFire(const RuleSchedule& rs, int64_t now) const {
  if (!rs.schedule) return 0;
  if (rs.schedule->period().kind() == UpdatePeriod::Kind::kInterval) {
    const int64_t ms = rs.schedule->period().intervalSeconds() * 1000 /
                       std::max<int64_t>(1, options_.intervalDivisor);
    return now + std::max<int64_t>(ms, 1);
  }
  auto next = rs.schedule->nextAfter(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(now)));
  if (!next) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(next->time_since_epoch()).count();
}

Status TaskService::start() {
  const int64_t now = nowMs();
  const int interrupted = store_.failRunningTasks("interrupted", now);
  (void)interrupted;
  store_.pruneTasks(now - options_.retentionMs, options_.keepPerRule);
  std::lock_guard<std::mutex> lock(mutex_);
  for (const RuleRecord& rule : store_.rules()) {
    RuleSchedule rs;
    rs.periodText = ruleFields(rule.json).updatePeriod;
    auto period = UpdatePeriod::parse(rs.periodText);
    if (period.isOk() && period->kind() != UpdatePeriod::Kind::kManual) {
      auto schedule = Schedule::create(*std::move(period), options_.timezone);
      if (!schedule.isOk()) return schedule.status();
      rs.schedule = *std::move(schedule);
    }
    rs.retryAt = rule.retryAt;
    rs.nextRunAt = rule.nextRunAt;
    if (rs.schedule && rs.nextRunAt == 0) {
      rs.nextRunAt = nextFire(rs, now);
      store_.setNextRun(rule.id, rs.nextRunAt);
    }
    // nextRunAt in the past = missed while down: the scheduler's first pass runs it once.
    schedules_[rule.id] = std::move(rs);
  }
  for (const TaskRecord& queued : store_.activeTasks()) {  // only queued ones are left
    auto live = std::make_shared<Live>();
    live->record = queued;
    if (auto rule = store_.rule(queued.ruleId)) live->destination = ruleFields(rule->json).destination;
    active_[queued.id] = live;
    activeByRule_[queued.ruleId] = queued.id;
    queue_.push_back(queued.id);
  }
  if (metrics_) metrics_->setRuleCount(static_cast<int64_t>(schedules_.size()));
  publishQueueDepthLocked();
  started_ = true;
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    ++liveWorkers_;
    workers_.emplace_back([this] {
      workerLoop();
      std::lock_guard<std::mutex> lock(mutex_);
      --liveWorkers_;
      workerExited_.notify_all();
    });
  }
  scheduler_ = std::thread([this] { schedulerLoop(); });
  return Status();
}

bool TaskService::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return true;
    stopping_ = true;
    const int64_t now = nowMs();
    for (auto& [id, live] : active_) {
      live->cancelReason = "shutdown";
      live->cancel = true;
      if (!live->running) {
        live->record.status = ts::kCancelled;
        live->record.reason = "shutdown";
        live->record.endedAt = now;
        store_.saveTask(live->record);
      }
    }
    for (int64_t id : queue_) {
      auto it = active_.find(id);
      if (it != active_.end()) {
        activeByRule_.erase(it->second->record.ruleId);
        active_.erase(it);
      }
    }
    queue_.clear();
  }
  workAvailable_.notify_all();
  schedulerWake_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  bool allReturned = true;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    allReturned = workerExited_.wait_for(lock, grace, [&] { return liveWorkers_ == 0; });
    if (!allReturned) {
      const int64_t now = nowMs();
      for (auto& [id, live] : active_) {
        if (!live->running) continue;
        live->record.status = ts::kCancelled;
        live->record.reason = "shutdown (the provider did not return in time)";
        live->record.endedAt = now;
        store_.saveTask(live->record);
      }
    }
  }
  for (auto& worker : workers_) {
    if (!worker.joinable()) continue;
    if (allReturned) {
      worker.join();
    } else {
      worker.detach();
    }
  }
  return allReturned;
}

Result<ExecuteAnswer> TaskService::execute(int64_t ruleId, const std::string& trigger) {
  std::lock_guard<std::mutex> lock(mutex_);
  return enqueueLocked(ruleId, trigger);
}

Result<ExecuteAnswer> TaskService::enqueueLocked(int64_t ruleId, const std::string& trigger) {
  if (stopping_) return unavailableError("the service is shutting down");
  if (auto it = activeByRule_.find(ruleId); it != activeByRule_.end()) {
    return ExecuteAnswer{snapshot(*active_.at(it->second)), true};
  }
  if (queue_.size() >= options_.queueLimit) {
    return resourceExhaustedError("the task queue is full (" +
                                  std::to_string(options_.queueLimit) +
                                  " queued, replication.queue_limit); try again later");
  }
  auto rule = store_.rule(ruleId);
  if (!rule) return notFoundError("no rule with id " + std::to_string(ruleId));
  auto live = std::make_shared<Live>();
  live->record = store_.insertTask(*rule, trigger, nowMs());
  live->destination = ruleFields(rule->json).destination;
  active_[live->record.id] = live;
  activeByRule_[ruleId] = live->record.id;
  queue_.push_back(live->record.id);
  publishQueueDepthLocked();
  workAvailable_.notify_one();
  return ExecuteAnswer{live->record, false};
}

Result<TaskRecord> TaskService::cancel(int64_t taskId) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = active_.find(taskId);
  if (it == active_.end()) {
    auto stored = store_.task(taskId);
    if (!stored) return notFoundError("no task with id " + std::to_string(taskId));
    return failedPreconditionError("task " + std::to_string(taskId) + " already ended: " +
                                   stored->status);
  }
  std::shared_ptr<Live> live = it->second;
  if (!ts::isActive(live->record.status)) {  // ended, not yet forgotten by its worker
    return failedPreconditionError("task " + std::to_string(taskId) + " already ended: " +
                                   live->record.status);
  }
  live->cancelReason = "cancelled by request";
  live->cancel = true;
  if (!live->running) {
    for (auto q = queue_.begin(); q != queue_.end(); ++q) {
      if (*q == taskId) {
        queue_.erase(q);
        break;
      }
    }
    live->record.status = ts::kCancelled;
    live->record.reason = live->cancelReason;
    live->record.endedAt = nowMs();
    store_.saveTask(live->record);
    finishLocked(live);
    if (metrics_) {
      metrics_->taskEnded(live->record.ruleName, ts::kCancelled, -1, ReportSummary{},
                          live->record.endedAt);
    }
    return live->record;
  }
  return snapshot(*live);
}

TaskRecord TaskService::snapshot(const Live& live) const {
  TaskRecord t = live.record;
  if (live.running) {
    t.bytesDone = live.bytesDone;
    t.bytesTotal = live.bytesTotal;
    t.blobsDone = live.blobsDone;
    t.blobsTotal = live.blobsTotal;
    t.tagsDone = live.tagsDone;
  }
  return t;
}

std::optional<TaskRecord> TaskService::task(int64_t id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = active_.find(id); it != active_.end()) return snapshot(*it->second);
  }
  return store_.task(id);
}

std::vector<TaskRecord> TaskService::tasks(int64_t ruleId, const std::string& status,
                                           int64_t beforeId, int limit) {
  std::vector<TaskRecord> list = store_.tasks(ruleId, status, beforeId, limit);
  std::lock_guard<std::mutex> lock(mutex_);
  for (TaskRecord& t : list) {
    if (auto it = active_.find(t.id); it != active_.end()) t = snapshot(*it->second);
  }
  return list;
}

Status TaskService::ruleChanged(int64_t ruleId) {
  auto rule = store_.rule(ruleId);
  if (!rule) return notFoundError("no rule with id " + std::to_string(ruleId));
  const std::string periodText = ruleFields(rule->json).updatePeriod;
  TRIB_ASSIGN_OR_RETURN(UpdatePeriod period, UpdatePeriod::parse(periodText));
  std::optional<Schedule> schedule;
  if (period.kind() != UpdatePeriod::Kind::kManual) {
    TRIB_ASSIGN_OR_RETURN(Schedule created, Schedule::create(period, options_.timezone));
    schedule = std::move(created);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = schedules_.try_emplace(ruleId);
  RuleSchedule& rs = it->second;
  if (inserted || rs.periodText != periodText || rule->nextRunAt == 0) {
    if (!inserted && rs.periodText == periodText && rs.nextRunAt != 0) {
      // same period: keep the current fire time (the update reset only the stored copy)
    } else {
      rs.periodText = periodText;
      rs.schedule = std::move(schedule);
      rs.nextRunAt = nextFire(rs, nowMs());
    }
    store_.setNextRun(ruleId, rs.nextRunAt);
  }
  // A queued task picks up the new rule when it starts; a running one keeps the rule it
  // started with (never interrupted by an update). The destination may have changed:
  if (auto active = activeByRule_.find(ruleId); active != activeByRule_.end()) {
    auto& live = *active_.at(active->second);
    if (!live.running) live.destination = ruleFields(rule->json).destination;
    live.record.ruleName = rule->name;
  }
  if (metrics_) metrics_->setRuleCount(static_cast<int64_t>(schedules_.size()));
  schedulerWake_.notify_all();
  return Status();
}

void TaskService::ruleDeleted(int64_t ruleId) {
  std::lock_guard<std::mutex> lock(mutex_);
  schedules_.erase(ruleId);
  if (metrics_) metrics_->setRuleCount(static_cast<int64_t>(schedules_.size()));
  auto active = activeByRule_.find(ruleId);
  if (active == activeByRule_.end()) return;
  std::shared_ptr<Live> live = active_.at(active->second);
  live->cancelReason = "rule deleted";
  live->cancel = true;
  if (!live->running) {
    for (auto q = queue_.begin(); q != queue_.end(); ++q) {
      if (*q == live->record.id) {
        queue_.erase(q);
        break;
      }
    }
    live->record.status = ts::kCancelled;
    live->record.reason = live->cancelReason;
    live->record.endedAt = nowMs();
    store_.saveTask(live->record);
    finishLocked(live);
  }
}

int64_t TaskService::nextRunAt(int64_t ruleId) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = schedules_.find(ruleId);
  return it == schedules_.end() ? 0 : it->second.nextRunAt;
}

size_t TaskService::queuedCount() {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void TaskService::publishQueueDepthLocked() {
  if (metrics_) {
    metrics_->setQueueDepth(static_cast<int64_t>(queue_.size()), static_cast<int64_t>(running_));
  }
}

// Forgets an ended task (mutex_ held).
void TaskService::finishLocked(const std::shared_ptr<Live>& live) {
  active_.erase(live->record.id);
  auto byRule = activeByRule_.find(live->record.ruleId);
  if (byRule != activeByRule_.end() && byRule->second == live->record.id) {
    activeByRule_.erase(byRule);
  }
  publishQueueDepthLocked();
}

void TaskService::workerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    std::shared_ptr<Live> next;
    workAvailable_.wait(lock, [&] {
      if (stopping_) return true;
      for (auto q = queue_.begin(); q != queue_.end(); ++q) {
        auto& live = active_.at(*q);
        if (busyDestinations_.count(live->destination) == 0) {
          next = live;
          queue_.erase(q);
          return true;
        }
      }
      return false;
    });
    if (!next) return;  // stopping
    next->running = true;
    ++running_;
    busyDestinations_.insert(next->destination);
    publishQueueDepthLocked();
    lock.unlock();
    run(next);
    lock.lock();
    busyDestinations_.erase(next->destination);
    --running_;
    finishLocked(next);
    workAvailable_.notify_all();  // a task held back by this destination may go now
  }
}

void TaskService::run(const std::shared_ptr<Live>& live) {
  auto rule = store_.rule(live->record.ruleId);
  TaskRecord record;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    live->record.status = ts::kRunning;
    live->record.startedAt = nowMs();
    if (rule) live->record.ruleName = live->record.ruleName.empty() ? rule->name : live->record.ruleName;
    record = live->record;
  }
  store_.saveTask(record);

  rp::ProviderReply reply;
  if (!rule) {
    reply.status = RP_ERR_CANCELLED;
    reply.message = "rule deleted";
    live->cancelReason = "rule deleted";
    live->cancel = true;
  } else {
    rp_task_v1 task;
    std::memset(&task, 0, sizeof(task));
    task.struct_size = sizeof(task);
    task.user_data = live.get();
    task.is_cancelled = [](void* user) -> int {
      return static_cast<Live*>(user)->cancel.load() ? 1 : 0;
    };
    task.progress = [](void* user, const rp_progress_event_v1* event) {
      if (event == nullptr) return;
      auto* l = static_cast<Live*>(user);
      if (event->bytes_total) l->bytesTotal = static_cast<int64_t>(event->bytes_total);
      if (event->blobs_total) l->blobsTotal = static_cast<int64_t>(event->blobs_total);
      if (event->bytes_done) l->bytesDone = static_cast<int64_t>(event->bytes_done);
      if (event->blobs_done) l->blobsDone = static_cast<int64_t>(event->blobs_done);
      if (event->kind == RP_PROGRESS_TAG_DONE) ++l->tagsDone;
    };
    try {
      reply = execute_(rule->json, &task);
    } catch (const std::exception& e) {
      reply.status = RP_ERR_INTERNAL;
      reply.message = std::string("host error while running the task: ") + e.what();
    }
  }

  const ReportSummary summary =
      reply.ok() ? ReportSummary::parse(reply.json) : ReportSummary{};
  ReportSummary metricsSummary = summary;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    TaskRecord& r = live->record;
    r.endedAt = nowMs();
    r.bytesDone = live->bytesDone;
    r.bytesTotal = live->bytesTotal;
    r.blobsDone = live->blobsDone;
    r.blobsTotal = live->blobsTotal;
    r.tagsDone = live->tagsDone;
    if (reply.ok()) {
      r.reportJson = reply.json;
      if (summary.status == ts::kSucceeded || summary.status == ts::kPartial ||
          summary.status == ts::kFailed) {
        r.status = summary.status;
      } else {
        r.status = ts::kFailed;
        r.reason = "the provider's report has no readable status";
      }
      if (summary.tagsByAction.size() > 0) {
        int64_t tags = 0;
        for (const auto& [action, n] : summary.tagsByAction) tags += n;
        r.tagsDone = std::max(r.tagsDone, tags);
      }
      if (summary.bytesFetched > r.bytesDone) r.bytesDone = summary.bytesFetched;
    } else if (reply.status == RP_ERR_CANCELLED || live->cancel) {
      r.status = ts::kCancelled;
      r.reason = live->cancelReason.empty() ? reply.message : live->cancelReason;
      r.errorCode = rp_status_str(reply.status);
    } else {
      r.status = ts::kFailed;
      r.reason = reply.message.empty() ? std::string(rp_status_str(reply.status)) : reply.message;
      r.errorCode = rp_status_str(reply.status);
    }
    // snapshot() reads the live counters while the worker still holds the task
    live->bytesDone = r.bytesDone;
    live->tagsDone = r.tagsDone;
    record = r;
    // Deferred tags (a source's pull budget ran out): run again when the budget resets.
    if (summary.deferred > 0 && summary.resetAtMs > 0 && !stopping_) {
      auto it = schedules_.find(r.ruleId);
      if (it != schedules_.end()) {
        it->second.retryAt = summary.resetAtMs;
        store_.setRetryAt(r.ruleId, summary.resetAtMs);
        schedulerWake_.notify_all();
      }
    }
  }
  store_.saveTask(record);
  if (metrics_) {
    metrics_->taskEnded(record.ruleName, record.status,
                        static_cast<double>(record.endedAt - record.startedAt) / 1000.0,
                        metricsSummary, record.endedAt);
  }
  store_.pruneTasks(record.endedAt - options_.retentionMs, options_.keepPerRule);
}

void TaskService::schedulerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const int64_t now = nowMs();
    int64_t wake = now + 1000;
    for (auto& [ruleId, rs] : schedules_) {
      if (rs.retryAt != 0 && rs.retryAt <= now) {
        auto queued = enqueueLocked(ruleId, "retry");
        if (queued.isOk() || queued.status().code() != StatusCode::kResourceExhausted) {
          rs.retryAt = 0;
          store_.setRetryAt(ruleId, 0);
        }
      }
      if (rs.schedule && rs.nextRunAt != 0 && rs.nextRunAt <= now) {
        // An active task (running long, or queued) means this fire is already covered: no
        // overlap, no pile-up.
        (void)enqueueLocked(ruleId, "scheduled");
        rs.nextRunAt = nextFire(rs, now);
        store_.setNextRun(ruleId, rs.nextRunAt);
      }
      if (rs.nextRunAt != 0) wake = std::min(wake, rs.nextRunAt);
      if (rs.retryAt != 0) wake = std::min(wake, rs.retryAt);
    }
    const int64_t waitMs = std::max<int64_t>(10, wake - nowMs());
    schedulerWake_.wait_for(lock, std::chrono::milliseconds(waitMs));
  }
}

}  // namespace tributary::scheduler
