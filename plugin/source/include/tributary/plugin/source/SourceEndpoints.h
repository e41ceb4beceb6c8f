// Where the content-addressed objects (blobs, manifests by digest) of one source can be
// fetched from: the configured mirrors of the origin host, in order, then the origin itself
// (DESIGN §2 "Acceleration"). Content is verified by digest whatever served it, so a mirror
// is only ever a faster path: any error there (404, auth, network, wrong bytes) moves on to
// the next endpoint with a debug log line, and the origin's answer is final.
//
// A mirror that cannot be used (network error, timeout, 5xx, auth refused, TLS mismatch) is
// skipped for the rest of the run, so a dead mirror costs one failed request, not one per
// object. Mirrors get no credentials (the rule's secret belongs to the origin).
//
// Thread rules: mirrors are added before use; after that every method may be called from
// several threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tributary/Mutex.h"
#include "tributary/Status.h"
#include "tributary/plugin/host/Logger.h"
#include "tributary/registry/RegistryReader.h"

namespace tributary::plugin {

class SourceEndpoints {
 public:
  struct Endpoint {
    std::string host;                  // host[:port], for log lines and reports
    registry::RegistryReader* reader;  // borrowed
    bool mirror = false;
    std::atomic<bool> unreachable{false};  // mirrors only: skipped for the rest of the run
    std::atomic<bool> noRanges{false};     // answered a part request with the whole blob
  };

  /// `origin` and `logger` are borrowed and must outlive this object.
  SourceEndpoints(registry::RegistryReader& origin, std::string originHost, Logger& logger);

  /// Appends a mirror (tried before the origin, after the mirrors added earlier).
  void addMirror(std::string host, registry::RegistryReader& reader);

  bool hasMirrors() const { return endpoints_.size() > 1; }
  registry::RegistryReader& origin() { return *endpoints_.back()->reader; }
  const std::string& originHost() const { return endpoints_.back()->host; }

  /// Calls `attempt` for each usable endpoint, mirrors first, until one returns OK; returns
  /// that OK, or the origin's error, or kCancelled at once. `what` names the object in the
  /// debug line ("blob sha256:..."). `servedBy`, when given, gets the endpoint that succeeded.
  Status tryInOrder(const std::string& what,
                    const std::function<Status(Endpoint&)>& attempt,
                    const Endpoint** servedBy = nullptr);

  /// Remembers that a mirror served blob `digest` to a reader (a config read while planning),
  /// so the transfer that later stores those bytes from memory still reports it mirror-served.
  void noteServedByMirror(const std::string& digest);
  bool servedByMirror(const std::string& digest) const;

 private:
  Logger& logger_;
  mutable Mutex servedMutex_;
  std::set<std::string> servedByMirror_ GUARDED_BY(servedMutex_);
  std::vector<std::unique_ptr<Endpoint>> endpoints_;  // mirrors in order, the origin last
};

}  // namespace tributary::plugin
