#include "tributary/host/HostServices.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

#include "tributary/JsonWriter.h"
#include "tributary/rp/HostString.h"
#include "tributary/rp/StatusMapping.h"
#include "tributary/storage/StorageTable.h"

namespace tributary::host {

using config::Credential;
using plugin::JsonWriter;

// Host-owned strings come from rp::setHostString, so the one free_str
// (rp::freeHostString) releases the storage table's and ours alike.

HostServices::HostServices(std::map<std::string, Credential, std::less<>> credentials,
                           const rp_storage_v1* storage, rp_log_level threshold,
                           std::ostream& logStream)
    : credentials_(std::move(credentials)), threshold_(threshold), logStream_(logStream) {
  std::memset(&table_, 0, sizeof(table_));
  table_.struct_size = sizeof(rp_host_v1);
  table_.user_data = this;
  table_.host_name = rp_str{kHostName, std::strlen(kHostName)};
  table_.log = [](void* self, rp_log_level level, rp_str message) {
    static_cast<HostServices*>(self)->log(level, std::string_view(message.ptr, message.len));
  };
  table_.log_enabled = [](void* self, rp_log_level level) -> int {
    return static_cast<HostServices*>(self)->logEnabled(level) ? 1 : 0;
  };
  table_.secret_get = [](void* self, rp_str name, rp_host_owned_str* outValue,
                         rp_host_owned_str* outError) -> rp_status {
    if (outValue != nullptr) *outValue = rp_host_owned_str{nullptr, 0};
    if (outError != nullptr) *outError = rp_host_owned_str{nullptr, 0};
    try {
      auto secret = static_cast<HostServices*>(self)->secretJson(
          std::string_view(name.ptr == nullptr ? "" : name.ptr, name.len));
      if (!secret.isOk()) {
        rp::setHostString(outError, secret.status().message());
        return rp::toRpStatus(secret.status());
      }
      if (outValue == nullptr) return RP_ERR_INVALID_ARGUMENT;
      rp::setHostString(outValue, secret.value());
      return outValue->ptr != nullptr ? RP_OK : RP_ERR_INTERNAL;
    } catch (...) {  // nothing may unwind into the provider
      rp::setHostString(outError, "internal error looking up a secret");
      return RP_ERR_INTERNAL;
    }
  };
  table_.free_str = rp::freeHostString;
  table_.storage = storage;
}

Result<std::string> HostServices::secretJson(std::string_view name) const {
  auto found = credentials_.find(name);
  if (found == credentials_.end()) {
    std::string defined;
    for (const auto& [known, credential] : credentials_) {
      defined += (defined.empty() ? "`" : ", `") + known + "`";
    }
    return notFoundError("no credential named `" + std::string(name) +
                         "` in replication.credentials (defined: " +
                         (defined.empty() ? std::string("none") : defined) + ")");
  }
  const Credential& credential = found->second;
  TRIB_ASSIGN_OR_RETURN(std::string password, passwordOf(found->first, credential));
  std::string token;
  if (!credential.tokenFile.empty()) {
    TRIB_ASSIGN_OR_RETURN(token, readSecretFile(found->first, "token_file", credential.tokenFile));
  }
  const auto quote = JsonWriter::quote;
  return "{\"username\":" + quote(credential.username) + ",\"password\":" + quote(password) +
         (token.empty() ? std::string() : ",\"token\":" + quote(token)) + "}";
}

Result<std::string> HostServices::passwordOf(std::string_view name, const Credential& credential) {
  if (credential.password) return *credential.password;
  return readSecretFile(name, "password_file", credential.passwordFile);
}

Result<std::string> HostServices::readSecretFile(std::string_view name, std::string_view key,
                                                 const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return failedPreconditionError("credential `" + std::string(name) + "`: cannot read " +
                                   std::string(key) + " `" + path + "`: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << file.rdbuf();
  std::string secret = text.str();
  // Files written by `echo` or editors end with a newline that is not part of the secret.
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

void HostServices::log(rp_log_level level, std::string_view message) {
  if (!logEnabled(level)) return;
  std::string line = "tributary: " + levelName(level) + ": " + std::string(message);
  std::lock_guard<std::mutex> lock(logMutex_);
  if (lineWriter_) {
    lineWriter_(line);
    return;
  }
  line += '\n';  // one write: a line is never split from its end by another writer
  logStream_ << line;
  logStream_.flush();
}

std::string HostServices::levelName(rp_log_level level) {
  switch (level) {
    case RP_LOG_DEBUG: return "DEBUG";
    case RP_LOG_INFO: return "INFO";
    case RP_LOG_WARN: return "WARN";
    case RP_LOG_ERROR: return "ERROR";
  }
  return "LEVEL" + std::to_string(static_cast<int>(level));
}

}  // namespace tributary::host
