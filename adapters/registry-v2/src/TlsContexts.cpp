#include "tributary/registry/TlsContexts.h"

#include <sys/stat.h>

#include <Poco/Exception.h>
#include <Poco/Net/SSLManager.h>

namespace tributary::registry {
namespace {

// What tells a replaced CA file from the one a context was built from.
std::string stampOf(const std::string& path) {
  if (path.empty()) return "";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "absent";
  return std::to_string(st.st_size) + "@" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

TlsContexts::~TlsContexts() {
  MutexLock lock(mutex_);
  contexts_.clear();  // the contexts go before OpenSSL's set-up is released
  if (sslInitialized_) Poco::Net::uninitializeSSL();
}

Result<Poco::Net::Context::Ptr> TlsContexts::get(const std::string& caFile) {
  const std::string stamp = stampOf(caFile);
  MutexLock lock(mutex_);
  auto it = contexts_.find(caFile);
  if (it != contexts_.end() && it->second.fileStamp == stamp) return it->second.context;
  if (!sslInitialized_) {
    Poco::Net::initializeSSL();
    sslInitialized_ = true;
  }
  try {
    Poco::Net::Context::Params params;
    params.caLocation = caFile;
    params.loadDefaultCAs = true;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.verificationDepth = 9;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    ++builds_;
    contexts_[caFile] = Entry{context, stamp};
    return context;
  } catch (const Poco::Exception& e) {
    contexts_.erase(caFile);
    return failedPreconditionError(
        "cannot set up TLS" + (caFile.empty() ? std::string() : " with CA file " + caFile) +
        ": " + e.displayText());
  }
}

int TlsContexts::builds() const {
  MutexLock lock(mutex_);
  return builds_;
}

}  // namespace tributary::registry
