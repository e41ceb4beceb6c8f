#include "FakeS3.h"

#include <Poco/URI.h>

#include <ctime>
#include <regex>

#include "tributary/storage/s3/SigV4Signer.h"

namespace tributary::storage::s3::testing {

using registry::testing::readBody;
using registry::testing::reply;

namespace {

std::string errorXml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>tx1</RequestId></Error>";
}

}  // namespace

FakeS3::FakeS3(std::string bucket, std::string accessKey)
    : bucket_(std::move(bucket)), accessKey_(std::move(accessKey)) {
  server_ = std::make_unique<registry::testing::FakeServer>(
      [this](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        handle(request, response);
      });
}

size_t FakeS3::count(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mutex);
  size_t n = 0;
  for (const auto& r : requests) n += r.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

void FakeS3::handle(Poco::Net::HTTPServerRequest& request,
                    Poco::Net::HTTPServerResponse& response) {
  const std::string body = readBody(request);
  Poco::URI uri(request.getURI());
  std::map<std::string, std::string> query;
  for (const auto& [name, value] : uri.getQueryParameters()) query[name] = value;
  const std::string method = request.getMethod();
  std::string path = uri.getPath();
  std::lock_guard<std::mutex> lock(mutex);
  requests.push_back(method + " " + path + (uri.getRawQuery().empty() ? "" : "?" + uri.getRawQuery()));
  const std::string authorization = request.get("Authorization", "");
  authorizations.push_back(authorization);
  payloadHashes.push_back(request.get("X-Amz-Content-Sha256", ""));
  const auto xml = "application/xml";

  static const std::regex kAuth(
      "AWS4-HMAC-SHA256 Credential=([^/]+)/[0-9]{8}/us-east-1/s3/aws4_request, "
      "SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*x-amz-date[a-z0-9;-]*, Signature=[0-9a-f]{64}");
  std::smatch m;
  if (!std::regex_match(authorization, m, kAuth) || m[1] != accessKey_)
    return reply(response, 403, errorXml("InvalidAccessKeyId", "bad Authorization"), xml);
  const std::string payload = request.get("X-Amz-Content-Sha256", "");
  if (payload != "UNSIGNED-PAYLOAD" && payload != SigV4Signer::sha256Hex(body))
    return reply(response, 400, errorXml("XAmzContentSHA256Mismatch", "payload hash"), xml);
  if (denyEverything) return reply(response, 403, errorXml("AccessDenied", "Access Denied."), xml);

  const std::string bucketPath = "/" + bucket_;
  if (path.rfind(bucketPath, 0) != 0)
    return reply(response, 404, errorXml("NoSuchBucket", "The specified bucket does not exist"), xml);
  std::string key = path.size() > bucketPath.size() + 1 ? path.substr(bucketPath.size() + 1) : "";

  if (key.empty()) {
    if (method == "GET" && query.count("uploads")) {
      std::string out = "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>false</IsTruncated>";
      for (const auto& [id, upload] : uploads) {
        if (upload.key.rfind(query["prefix"], 0) != 0) continue;
        char when[32];
        std::time_t t = static_cast<std::time_t>(upload.initiated);
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
        out += "<Upload><Key>" + upload.key + "</Key><UploadId>" + id + "</UploadId><Initiated>" +
               when + "</Initiated></Upload>";
      }
      return reply(response, 200, out + "</ListMultipartUploadsResult>", xml);
    }
    if (method == "GET" && query["list-type"] == "2") {
      const size_t maxKeys = std::stoul(query.count("max-keys") ? query["max-keys"] : "1000");
      size_t skip = query.count("continuation-token") ? std::stoul(query["continuation-token"]) : 0;
      // With a delimiter, keys that hold it past the prefix roll up into one CommonPrefixes
      // entry each (size npos marks one); entries are counted against max-keys in key order,
      // as S3 does.
      const std::string prefix = query["prefix"];
      const std::string delimiter = query.count("delimiter") ? query["delimiter"] : "";
      std::vector<std::pair<std::string, size_t>> matching;
      for (const auto& [k, v] : objects) {
        if (k.rfind(prefix, 0) != 0) continue;
        const size_t cut = delimiter.empty() ? std::string::npos : k.find(delimiter, prefix.size());
        if (cut == std::string::npos) {
          matching.emplace_back(k, v.size());
        } else {
          std::string common = k.substr(0, cut + delimiter.size());
          if (matching.empty() || matching.back().first != common)
            matching.emplace_back(std::move(common), std::string::npos);
        }
      }
      std::string out = "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
      const size_t end = std::min(matching.size(), skip + maxKeys);
      const bool truncated = end < matching.size();
      out += std::string("<IsTruncated>") + (truncated ? "true" : "false") + "</IsTruncated>";
      if (truncated) out += "<NextContinuationToken>" + std::to_string(end) + "</NextContinuationToken>";
      for (size_t i = skip; i < end; ++i) {
        if (matching[i].second == std::string::npos) {
          out += "<CommonPrefixes><Prefix>" + matching[i].first + "</Prefix></CommonPrefixes>";
        } else {
          out += "<Contents><Key>" + matching[i].first + "</Key><Size>" +
                 std::to_string(matching[i].second) + "</Size></Contents>";
        }
      }
      return reply(response, 200, out + "</ListBucketResult>", xml);
    }
    return reply(response, 400, errorXml("InvalidRequest", "unsupported bucket call"), xml);
  }

  if (method == "POST" && query.count("uploads")) {
    const std::string id = "upload-" + std::to_string(nextUpload_++);
    uploads[id] = Upload{key, {}, static_cast<long long>(std::time(nullptr))};
    return reply(response, 200,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult "
                 "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>" + bucket_ +
                     "</Bucket><Key>" + key + "</Key><UploadId>" + id +
                     "</UploadId></InitiateMultipartUploadResult>",
                 xml);
  }
  if (query.count("uploadId")) {
    auto found = uploads.find(query["uploadId"]);
    if (found == uploads.end() || found->second.key != key)
      return reply(response, 404, errorXml("NoSuchUpload", "The specified upload does not exist."), xml);
    Upload& upload = found->second;
    if (method == "PUT") {
      const int number = std::stoi(query["partNumber"]);
      if (number == failPartNumber)
        return reply(response, 500, errorXml("InternalError", "part store failed"), xml);
      upload.parts[number] = body;
      response.set("ETag", "\"etag-" + std::to_string(number) + "\"");
      return reply(response, 200, "", "text/plain");
    }
    if (method == "DELETE") {
      uploads.erase(found);
      response.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
      response.setContentLength(0);
      response.send();
      return;
    }
    if (method == "POST") {
      if (completeFailsWith200)
        return reply(response, 200, "   \n" + errorXml("InternalError", "We encountered an internal error."), xml);
      static const std::regex kPart("<Part><PartNumber>([0-9]+)</PartNumber><ETag>&quot;etag-([0-9]+)&quot;</ETag></Part>");
      std::string assembled;
      int expected = 1;
      for (auto it = std::sregex_iterator(body.begin(), body.end(), kPart); it != std::sregex_iterator(); ++it, ++expected) {
        const int number = std::stoi((*it)[1]);
        if (number != expected || std::stoi((*it)[2]) != number || !upload.parts.count(number))
          return reply(response, 400, errorXml("InvalidPart", "One or more of the specified parts could not be found."), xml);
        // S3's rule: every part but the last is at least 5 MiB.
        assembled += upload.parts[number];
      }
      if (expected == 1) return reply(response, 400, errorXml("MalformedXML", "no parts"), xml);
      for (int n = 1; n < expected - 1; ++n)
        if (upload.parts[n].size() < (5u << 20))
          return reply(response, 400, errorXml("EntityTooSmall", "part too small"), xml);
      objects[key] = assembled;
      uploads.erase(found);
      return reply(response, 200,
                   "  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult><Key>" + key +
                       "</Key><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>",
                   xml);
    }
  }
  if (method == "PUT") {
    objects[key] = body;
    response.set("ETag", "\"e\"");
    return reply(response, 200, "", "text/plain");
  }
  auto object = objects.find(key);
  if (method == "DELETE") {
    if (object != objects.end()) objects.erase(object);
    response.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
    response.setContentLength(0);
    response.send();
    return;
  }
  if (object == objects.end()) {
    if (method == "HEAD") {
      response.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      response.setContentLength(0);
      response.send();
      return;
    }
    return reply(response, 404, errorXml("NoSuchKey", "The specified key does not exist."), xml);
  }
  if (method == "HEAD") {
    response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    response.setContentLength64(static_cast<Poco::Int64>(object->second.size()));
    response.send();
    return;
  }
  return reply(response, 200, object->second, "application/octet-stream");
}

}  // namespace tributary::storage::s3::testing
