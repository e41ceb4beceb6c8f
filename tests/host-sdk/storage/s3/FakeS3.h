// Test helper: an in-memory S3 (the calls S3Client makes, path-style) on 127.0.0.1, over the
// registry client tests' FakeServer. It checks what a real S3 checks cheaply — a SigV4
// Authorization header for the configured access key and an x-amz-content-sha256 that is the
// body's sha256 — and records every request as "<METHOD> <path>?<query>".
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "FakeServer.h"

namespace tributary::storage::s3::testing {

class FakeS3 {
 public:
  explicit FakeS3(std::string bucket = "registry", std::string accessKey = "test:tester");

  std::string endpoint() const { return server_->url(); }

  struct Upload {
    std::string key;
    std::map<int, std::string> parts;
    long long initiated = 0;
  };

  // Everything below is guarded by mutex; read it after the client calls returned.
  std::mutex mutex;
  std::map<std::string, std::string> objects;
  std::map<std::string, Upload> uploads;  // by upload id
  std::vector<std::string> requests;
  std::vector<std::string> authorizations;
  std::vector<std::string> payloadHashes;  // X-Amz-Content-Sha256 of each request
  // Faults.
  bool denyEverything = false;      // 403 AccessDenied with S3's XML body
  bool completeFailsWith200 = false;  // CompleteMultipartUpload answers 200 + <Error>
  int failPartNumber = 0;             // UploadPart of this number answers 500, every time

  /// Requests whose text starts with `prefix`.
  size_t count(const std::string& prefix);

 private:
  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

  const std::string bucket_;
  const std::string accessKey_;
  int nextUpload_ = 1;
  std::unique_ptr<registry::testing::FakeServer> server_;
};

}  // namespace tributary::storage::s3::testing
