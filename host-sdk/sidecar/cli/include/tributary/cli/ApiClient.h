// ApiClient: a small blocking client of the admin API, for the CLI commands.
#pragma once

#include <string>

#include "tributary/Status.h"

namespace tributary::cli {

struct ApiReply {
  int status = 0;  // HTTP status
  std::string body;
};

/// One request per call over HTTP or HTTPS (the CA is the service's own certificate when the
/// config has replication.admin.tls, else the system's). Thread: one thread per client.
class ApiClient {
 public:
  /// `address` is host:port; `caFile` non-empty = HTTPS verified against it.
  ApiClient(std::string address, std::string token, std::string caFile, int timeoutSeconds = 60);

  /// kUnavailable naming the address when the service cannot be reached.
  Result<ApiReply> call(const std::string& method, const std::string& path,
                        const std::string& body = "");

  const std::string& address() const { return address_; }

 private:
  std::string address_;
  std::string token_;
  std::string caFile_;
  int timeoutSeconds_;
};

}  // namespace tributary::cli
