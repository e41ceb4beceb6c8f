#include "tributary/plugin/source/SourceEndpoints.h"

namespace tributary::plugin {
namespace {

// Errors that will repeat for every object of the run ("this host is down / refuses us / its
// TLS does not fit"), as opposed to "it lacks this object" (404) or "these bytes were wrong".
// Wrongly skipping a mirror only costs speed; asking a dead one for every object costs more.
bool unusable(StatusCode code) {
  return code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
         code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied ||
         code == StatusCode::kFailedPrecondition;
}

}  // namespace

SourceEndpoints::SourceEndpoints(registry::RegistryReader& origin, std::string originHost,
                                 Logger& logger)
    : logger_(logger) {
  auto e = std::make_unique<Endpoint>();
  e->host = std::move(originHost);
  e->reader = &origin;
  endpoints_.push_back(std::move(e));
}

void SourceEndpoints::addMirror(std::string host, registry::RegistryReader& reader) {
  auto e = std::make_unique<Endpoint>();
  e->host = std::move(host);
  e->reader = &reader;
  e->mirror = true;
  endpoints_.insert(endpoints_.end() - 1, std::move(e));
}

Status SourceEndpoints::tryInOrder(const std::string& what,
                                   const std::function<Status(Endpoint&)>& attempt,
                                   const Endpoint** servedBy) {
  for (const std::unique_ptr<Endpoint>& e : endpoints_) {
    if (e->mirror && e->unreachable.load()) continue;
    Status s = attempt(*e);
    if (s.isOk()) {
      if (servedBy) *servedBy = e.get();
      return s;
    }
    if (!e->mirror || s.code() == StatusCode::kCancelled) return s;
    if (unusable(s.code()) && !e->unreachable.exchange(true) &&
        logger_.enabled(LogLevel::kInfo)) {
      logger_.log(LogLevel::kInfo, "mirror " + e->host + " is not usable (" + s.message() +
                                       "); using the next endpoint for the rest of this run");
    }
    if (logger_.enabled(LogLevel::kDebug))
      logger_.log(LogLevel::kDebug, what + " from mirror " + e->host + " failed (" +
                                        s.message() + "); trying the next endpoint");
  }
  // Not reached: the origin is last and always returns above.
  return internalError(what + ": no endpoint to fetch from");
}

void SourceEndpoints::noteServedByMirror(const std::string& digest) {
  MutexLock lock(servedMutex_);
  servedByMirror_.insert(digest);
}

bool SourceEndpoints::servedByMirror(const std::string& digest) const {
  MutexLock lock(servedMutex_);
  return servedByMirror_.count(digest) > 0;
}

}  // namespace tributary::plugin
