#include "tributary/scheduler/TaskService.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>

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

void TaskService::warn(const std::string& message) const {
  if (options_.warn) {
    options_.warn(message);
  } else {
    std::cerr << "tributary: " << message << '\n';
  }
}

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

// The rule's parsed period, from the cache while its update_period text is unchanged (rules
// are re-read from the store at every scheduler pass; parsing each time would be waste).
TaskService::RuleSchedule TaskService::scheduleFor(const RuleRecord& rule) {
  const std::string periodText = ruleFields(rule.json).updatePeriod;
  {
    MutexLock lock(mutex_);
    auto it = schedules_.find(rule.id);
    if (it != schedules_.end() && it->second.periodText == periodText) return it->second;
  }
  RuleSchedule rs;
  rs.periodText = periodText;
  auto period = UpdatePeriod::parse(periodText);
  if (period.isOk() && period->kind() != UpdatePeriod::Kind::kManual) {
    auto schedule = Schedule::create(*std::move(period), options_.timezone);
    if (schedule.isOk()) rs.schedule = std::make_shared<const Schedule>(*std::move(schedule));
  }
  rs.nextRunAt = rule.nextRunAt;
  MutexLock lock(mutex_);
  schedules_[rule.id] = rs;
  return rs;
}

Status TaskService::start() {
  {
    // The time zone once, here, rather than silently treating every cron rule as manual.
    auto tz = Schedule::create(*UpdatePeriod::parse("1h"), options_.timezone);
    if (!tz.isOk()) return tz.status();
  }
  const int64_t now = nowMs();
  // Tasks this sidecar left behind: running ones failed, queued ones queued again.
  std::vector<TaskRecord> queued =
      store_.recoverTasks(options_.owner, "interrupted", options_.leaseTtlMs, now);
  store_.pruneTasks(now - options_.retentionMs, options_.keepPerRule);
  for (const RuleRecord& rule : store_.rules()) {
    RuleSchedule rs = scheduleFor(rule);
    if (rs.schedule && rule.nextRunAt == 0) {
      store_.claimNextRun(rule.id, 0, nextFire(rs, now));
    }
    // nextRunAt in the past = missed while down: the scheduler's first pass runs it once.
  }
  MutexLock lock(mutex_);
  for (const TaskRecord& task : queued) {
    auto live = std::make_shared<Live>();
    live->record = task;
    live->claimedAt = now;
    if (auto rule = store_.rule(task.ruleId)) {
      live->destination = ruleFields(rule->json).destination;
    }
    active_[task.id] = live;
    activeByRule_[task.ruleId] = task.id;
    queue_.push_back(task.id);
  }
  if (metrics_) metrics_->setRuleCount(static_cast<int64_t>(schedules_.size()));
  publishQueueDepthLocked();
  started_ = true;
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    ++liveWorkers_;
    workers_.emplace_back([this] {
      workerLoop();
      MutexLock lock(mutex_);
      --liveWorkers_;
      workerExited_.notify_all();
    });
  }
  scheduler_ = std::thread([this] { schedulerLoop(); });
  upkeep_ = std::thread([this] { upkeepLoop(); });
  return Status();
}

bool TaskService::stop(std::chrono::milliseconds grace) {
  std::vector<std::pair<int64_t, int64_t>> released;  // (rule, task) leases given back
  {
    MutexLock lock(mutex_);
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
        released.emplace_back(live->record.ruleId, id);
      }
    }
    for (int64_t id : queue_) {
      auto it = active_.find(id);
      if (it != active_.end()) {
        activeByRule_.erase(it->second->record.ruleId);
        store_.saveTask(it->second->record);
        active_.erase(it);
      }
    }
    queue_.clear();
  }
  // Given back now rather than left to expire: another sidecar can run these rules at once.
  for (const auto& [rule, task] : released) store_.releaseLease(rule, task);
  workAvailable_.notify_all();
  schedulerWake_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  if (upkeep_.joinable()) upkeep_.join();
  bool allReturned = true;
  {
    MutexLock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (liveWorkers_ != 0 &&
           workerExited_.wait_until(lock, deadline) != std::cv_status::timeout) {
    }
    allReturned = liveWorkers_ == 0;
    if (!allReturned) {
      const int64_t now = nowMs();
      for (auto& [id, live] : active_) {
        if (!live->running) continue;
        live->record.status = ts::kCancelled;
        live->record.reason = "shutdown (the provider did not return in time)";
        live->record.endedAt = now;
        store_.saveTask(live->record);
        store_.releaseLease(live->record.ruleId, id);
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
  MutexLock lock(mutex_);
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
  const int64_t now = nowMs();
  state::RuleRunClaim claim =
      store_.claimRuleRun(*rule, trigger, options_.owner, options_.leaseTtlMs, now);
  if (!claim.acquired) return ExecuteAnswer{claim.task, true};  // another sidecar's task
  auto live = std::make_shared<Live>();
  live->record = claim.task;
  live->claimedAt = now;
  live->destination = ruleFields(rule->json).destination;
  active_[live->record.id] = live;
  activeByRule_[ruleId] = live->record.id;
  queue_.push_back(live->record.id);
  publishQueueDepthLocked();
  workAvailable_.notify_one();
  return ExecuteAnswer{live->record, false};
}

// `live` by value: finishLocked() drops the map's reference the caller may have passed.
Result<TaskRecord> TaskService::cancelLocked(std::shared_ptr<Live> live,
                                             const std::string& reason) {
  const int64_t taskId = live->record.id;
  if (!ts::isActive(live->record.status)) {  // ended, not yet forgotten by its worker
    return failedPreconditionError("task " + std::to_string(taskId) + " already ended: " +
                                   live->record.status);
  }
  if (live->cancel) return snapshot(*live);  // asked already
  live->cancelReason = reason;
  live->cancel = true;
  if (live->running) return snapshot(*live);
  for (auto q = queue_.begin(); q != queue_.end(); ++q) {
    if (*q == taskId) {
      queue_.erase(q);
      break;
    }
  }
  live->record.status = ts::kCancelled;
  live->record.reason = reason;
  live->record.endedAt = nowMs();
  store_.saveTask(live->record);
  store_.releaseLease(live->record.ruleId, taskId);
  finishLocked(live);
  if (metrics_) {
    metrics_->taskEnded(live->record.ruleName, ts::kCancelled, -1, ReportSummary{},
                        live->record.endedAt);
  }
  return live->record;
}

Result<TaskRecord> TaskService::cancel(int64_t taskId) {
  MutexLock lock(mutex_);
  if (auto it = active_.find(taskId); it != active_.end()) {
    return cancelLocked(it->second, "cancelled by request");
  }
  auto stored = store_.task(taskId);
  if (!stored) return notFoundError("no task with id " + std::to_string(taskId));
  // Another sidecar's (or an ended) task: its owner reads the request at its next upkeep.
  if (ts::isActive(stored->status) && store_.requestCancel(taskId, "cancelled by request")) {
    return *stored;
  }
  stored = store_.task(taskId);
  return failedPreconditionError("task " + std::to_string(taskId) + " already ended: " +
                                 (stored ? stored->status : std::string("deleted")));
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
    MutexLock lock(mutex_);
    if (auto it = active_.find(id); it != active_.end()) return snapshot(*it->second);
  }
  return store_.task(id);
}

std::vector<TaskRecord> TaskService::tasks(int64_t ruleId, const std::string& status,
                                           int64_t beforeId, int limit) {
  std::vector<TaskRecord> list = store_.tasks(ruleId, status, beforeId, limit);
  MutexLock lock(mutex_);
  for (TaskRecord& t : list) {
    if (auto it = active_.find(t.id); it != active_.end()) {
      t = snapshot(*it->second);
      t.reportJson.clear();  // ended, not yet forgotten by its worker: a list has no reports
    }
  }
  return list;
}

Status TaskService::ruleChanged(int64_t ruleId) {
  auto rule = store_.rule(ruleId);
  if (!rule) return notFoundError("no rule with id " + std::to_string(ruleId));
  const std::string periodText = ruleFields(rule->json).updatePeriod;
  TRIB_ASSIGN_OR_RETURN(UpdatePeriod period, UpdatePeriod::parse(periodText));
  RuleSchedule fresh;
  fresh.periodText = periodText;
  if (period.kind() != UpdatePeriod::Kind::kManual) {
    TRIB_ASSIGN_OR_RETURN(Schedule created, Schedule::create(period, options_.timezone));
    fresh.schedule = std::make_shared<const Schedule>(std::move(created));
  }
  MutexLock lock(mutex_);
  auto known = schedules_.find(ruleId);
  // An update resets the stored fire time; the same period keeps the one this sidecar knew.
  const bool samePeriod = known != schedules_.end() && known->second.periodText == periodText &&
                          known->second.nextRunAt != 0;
  fresh.nextRunAt = samePeriod ? known->second.nextRunAt : nextFire(fresh, nowMs());
  if (rule->nextRunAt == 0) {
    store_.claimNextRun(ruleId, 0, fresh.nextRunAt);
  } else {
    fresh.nextRunAt = rule->nextRunAt;
  }
  schedules_[ruleId] = fresh;
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
  {
    MutexLock lock(mutex_);
    schedules_.erase(ruleId);
    if (metrics_) metrics_->setRuleCount(static_cast<int64_t>(schedules_.size()));
    if (auto active = activeByRule_.find(ruleId); active != activeByRule_.end()) {
      (void)cancelLocked(active_.at(active->second), "rule deleted");
    }
  }
  // A task of this rule on another sidecar: asked to stop (it also finds its lease gone).
  store_.requestCancelForRule(ruleId, "rule deleted");
}

int64_t TaskService::nextRunAt(int64_t ruleId) {
  auto rule = store_.rule(ruleId);
  return rule ? rule->nextRunAt : 0;
}

size_t TaskService::queuedCount() {
  MutexLock lock(mutex_);
  return queue_.size();
}

void TaskService::publishQueueDepthLocked() {
  if (metrics_) {
    metrics_->setQueueDepth(static_cast<int64_t>(queue_.size()), static_cast<int64_t>(running_));
  }
}

// Forgets an ended task.
void TaskService::finishLocked(const std::shared_ptr<Live>& live) {
  active_.erase(live->record.id);
  auto byRule = activeByRule_.find(live->record.ruleId);
  if (byRule != activeByRule_.end() && byRule->second == live->record.id) {
    activeByRule_.erase(byRule);
  }
  publishQueueDepthLocked();
}

// The next queued task whose destination is free, marked running; null when stopping.
std::shared_ptr<TaskService::Live> TaskService::takeNext() {
  MutexLock lock(mutex_);
  while (!stopping_) {
    for (auto q = queue_.begin(); q != queue_.end(); ++q) {
      std::shared_ptr<Live> live = active_.at(*q);
      if (busyDestinations_.count(live->destination) == 0) {
        queue_.erase(q);
        live->running = true;
        ++running_;
        busyDestinations_.insert(live->destination);
        publishQueueDepthLocked();
        return live;
      }
    }
    workAvailable_.wait(lock);
  }
  return nullptr;
}

void TaskService::workerLoop() {
  while (std::shared_ptr<Live> next = takeNext()) {
    run(next);
    MutexLock lock(mutex_);
    busyDestinations_.erase(next->destination);
    --running_;
    finishLocked(next);
    workAvailable_.notify_all();  // a task held back by this destination may go now
  }
}

void TaskService::run(const std::shared_ptr<Live>& live) {
  std::optional<RuleRecord> rule;
  TaskRecord record;
  try {
    rule = store_.rule(live->record.ruleId);
    {
      MutexLock lock(mutex_);
      live->record.status = ts::kRunning;
      live->record.startedAt = nowMs();
      if (rule && live->record.ruleName.empty()) live->record.ruleName = rule->name;
      record = live->record;
    }
    store_.saveTask(record);
  } catch (const std::exception& e) {
    warn("starting task " + std::to_string(record.id) + ": state database: " + e.what());
  }

  rp::ProviderReply reply;
  if (!rule) {
    reply.status = RP_ERR_CANCELLED;
    reply.message = "rule deleted";
    MutexLock lock(mutex_);
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
  bool retryLater = false;
  {
    MutexLock lock(mutex_);
    TaskRecord& r = live->record;
    r.endedAt = nowMs();
    r.bytesDone = live->bytesDone;
    r.bytesTotal = live->bytesTotal;
    r.blobsDone = live->blobsDone;
    r.blobsTotal = live->blobsTotal;
    r.tagsDone = live->tagsDone;
    if (reply.ok()) {
      r.reportJson = reply.json;
      r.summaryJson = summary.taskSummaryJson();  // what task lists show instead
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
    retryLater = summary.deferred > 0 && summary.resetAtMs > 0 && !stopping_;
  }
  try {
    if (retryLater && rule) {
      store_.setRetryAt(record.ruleId, summary.resetAtMs);
      schedulerWake_.notify_all();
    }
    // The record first, then the lease: a sidecar that takes the lease next finds the task
    // ended. A crash in between leaves a lease on an ended task, which a claim takes at once.
    store_.saveTask(record);
    store_.releaseLease(record.ruleId, record.id);
  } catch (const std::exception& e) {
    warn("recording task " + std::to_string(record.id) + " (" + record.status +
         "): state database: " + e.what());
  }
  if (metrics_) {
    metrics_->taskEnded(record.ruleName, record.status,
                        static_cast<double>(record.endedAt - record.startedAt) / 1000.0,
                        metricsSummary, record.endedAt);
  }
  try {
    store_.pruneTasks(record.endedAt - options_.retentionMs, options_.keepPerRule);
  } catch (const std::exception& e) {
    warn(std::string("pruning old tasks: state database: ") + e.what());
  }
}

void TaskService::schedulerLoop() {
  while (true) {
    {
      MutexLock lock(mutex_);
      if (stopping_) return;
    }
    int64_t wake = nowMs() + 1000;
    try {
      wake = schedulePass();
    } catch (const std::exception& e) {
      warn(std::string("scheduling: state database: ") + e.what());
    }
    MutexLock lock(mutex_);
    if (stopping_) return;
    const int64_t waitMs = std::clamp<int64_t>(wake - nowMs(), 10, 1000);
    schedulerWake_.wait_for(lock, std::chrono::milliseconds(waitMs));
  }
}

// One look at every rule in the store (rules made or changed on other sidecars included):
// fires what is due and answers when to look again. At most a second apart, so a change made
// elsewhere is seen within a second.
int64_t TaskService::schedulePass() {
  const int64_t now = nowMs();
  int64_t wake = now + 1000;
  std::set<int64_t> seen;
  for (const RuleRecord& rule : store_.rules()) {
    seen.insert(rule.id);
    RuleSchedule rs = scheduleFor(rule);
    if (rule.retryAt != 0) {
      if (rule.retryAt <= now) {
        if (store_.claimRetry(rule.id, rule.retryAt)) {
          auto queued = execute(rule.id, "retry");
          if (!queued.isOk() && queued.status().code() == StatusCode::kResourceExhausted) {
            store_.setRetryAt(rule.id, rule.retryAt);  // the queue is full: next pass
          }
        }
      } else {
        wake = std::min(wake, rule.retryAt);
      }
    }
    if (!rs.schedule) continue;
    int64_t next = rule.nextRunAt;
    if (next == 0) {  // updated on a sidecar that has not scheduled it yet
      next = nextFire(rs, now);
      if (!store_.claimNextRun(rule.id, 0, next)) continue;  // it just did
    } else if (next <= now) {
      next = nextFire(rs, now);
      // Exactly one sidecar moves next_run_at on and fires this period. An active task
      // (running long, or queued) means this fire is already covered: no overlap, no pile-up.
      if (store_.claimNextRun(rule.id, rule.nextRunAt, next)) (void)execute(rule.id, "scheduled");
    }
    {
      MutexLock lock(mutex_);
      if (auto it = schedules_.find(rule.id); it != schedules_.end()) it->second.nextRunAt = next;
    }
    if (next != 0) wake = std::min(wake, next);
  }
  MutexLock lock(mutex_);
  for (auto it = schedules_.begin(); it != schedules_.end();) {
    it = seen.count(it->first) ? std::next(it) : schedules_.erase(it);  // deleted elsewhere
  }
  if (metrics_) metrics_->setRuleCount(static_cast<int64_t>(schedules_.size()));
  return wake;
}

void TaskService::upkeepLoop() {
  int64_t lastRenew = nowMs();
  while (true) {
    {
      MutexLock lock(mutex_);
      if (stopping_) return;
    }
    const int64_t now = nowMs();
    const bool renew = now - lastRenew >= options_.leaseRenewMs;
    if (renew) lastRenew = now;
    try {
      upkeepPass(renew);
    } catch (const std::exception& e) {
      warn(std::string("lease upkeep: state database: ") + e.what());
    }
    MutexLock lock(mutex_);
    if (stopping_) return;
    schedulerWake_.wait_for(
        lock, std::chrono::milliseconds(std::min(options_.upkeepMs, options_.leaseRenewMs)));
  }
}

// Progress out, cancel requests in, leases renewed (every leaseRenewMs), expired ones reaped.
void TaskService::upkeepPass(bool renew) {
  std::vector<TaskRecord> progress;
  {
    MutexLock lock(mutex_);
    for (const auto& [id, live] : active_) {
      if (live->running && live->record.status == ts::kRunning) progress.push_back(snapshot(*live));
    }
  }
  // A record that ended meanwhile is not overwritten (saveTask changes active tasks only).
  for (const TaskRecord& t : progress) store_.saveTask(t);

  for (const auto& [taskId, reason] : store_.cancelRequests(options_.owner)) {
    MutexLock lock(mutex_);
    if (auto it = active_.find(taskId); it != active_.end()) (void)cancelLocked(it->second, reason);
  }

  if (renew) {
    const int64_t renewedAt = nowMs();
    std::set<std::pair<int64_t, int64_t>> held;
    for (const state::HeldLease& l : store_.renewLeases(options_.owner, options_.leaseTtlMs)) {
      held.emplace(l.ruleId, l.taskId);
    }
    MutexLock lock(mutex_);
    std::vector<std::shared_ptr<Live>> lost;
    for (const auto& [id, live] : active_) {
      if (live->claimedAt < renewedAt && ts::isActive(live->record.status) &&
          held.count({live->record.ruleId, id}) == 0) {
        lost.push_back(live);
      }
    }
    for (const auto& live : lost) {
      warn("task " + std::to_string(live->record.id) + " lost its lease on rule `" +
           live->record.ruleName + "` (not renewed in time, or the rule was deleted): stopping it");
      (void)cancelLocked(live, "lease lost: not renewed within replication.lease.ttl_seconds");
    }
  }

  // A manual Execute whose sidecar died runs again at once; a scheduled run waits for its
  // next period (the scheduler fires it).
  for (const TaskRecord& t : store_.reapExpiredLeases("interrupted", nowMs())) {
    warn("task " + std::to_string(t.id) + " of rule `" + t.ruleName + "` failed: " + t.reason);
    if (t.trigger == "manual") (void)execute(t.ruleId, "manual");
  }
}

}  // namespace tributary::scheduler
