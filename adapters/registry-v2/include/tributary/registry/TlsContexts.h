// The TLS client contexts of a provider, shared by every RegistryClient it creates: one per
// extra CA file (and one for the system store alone). Building a context parses the whole
// system CA bundle — tens of milliseconds, most of the CPU of a no-op run against an https
// source — so a long-running host builds it once, not once per run. OpenSSL's own set-up
// (Poco::Net::initializeSSL) is likewise done on first use and released with the object.
//
// A context follows its CA file: one whose size or modification time changed is built again
// (an operator replacing a custom CA needs no restart). The system store is read once per
// object: `update-ca-certificates` takes effect at the host's next start.
//
// Thread rules: get() from any thread (one internal lock, held while a context is built);
// the contexts it returns are reference counted and shared by connections on any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <Poco/Net/Context.h>

#include "tributary/Mutex.h"
#include "tributary/Status.h"

namespace tributary::registry {

class TlsContexts {
 public:
  TlsContexts() = default;
  ~TlsContexts();
  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  /// The context trusting the system store plus `caFile` (PEM; "" = the system store only),
  /// verifying strictly, TLS 1.2 or later. An error names the CA file and OpenSSL's reason;
  /// a failure is not kept (the next call tries again).
  Result<Poco::Net::Context::Ptr> get(const std::string& caFile) EXCLUDES(mutex_);

  /// Contexts built so far (for tests).
  int builds() const EXCLUDES(mutex_);

 private:
  struct Entry {
    Poco::Net::Context::Ptr context;
    std::string fileStamp;  // size and mtime of the CA file when it was read
  };
  mutable Mutex mutex_;
  bool sslInitialized_ GUARDED_BY(mutex_) = false;
  std::map<std::string, Entry> contexts_ GUARDED_BY(mutex_);
  int builds_ GUARDED_BY(mutex_) = 0;
};

}  // namespace tributary::registry
