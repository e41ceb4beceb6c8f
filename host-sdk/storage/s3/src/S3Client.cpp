#include "tributary/storage/s3/S3Client.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>

#include <ctime>
#include <istream>
#include <ostream>
#include <thread>

#include "S3XmlResponses.h"
#include "tributary/storage/s3/SigV4Signer.h"

namespace tributary::storage::s3 {

namespace {

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// Error bodies are a few hundred bytes; more is not an S3 error document.
constexpr size_t kMaxErrorBody = 64u << 10;
constexpr size_t kMaxListBody = 16u << 20;

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

struct S3Client::Response {
  int status = 0;
  std::string reason;
  std::string body;
  std::string etag;
  uint64_t contentLength = 0;
  bool hasContentLength = false;
  bool keepAlive = false;  // the server keeps the connection open
  bool drained = true;     // the whole body was read: the connection may carry another request
};

// A keep-alive session; `reused` once it carried a request (a failure on a reused connection
// before any answer may be the server closing an idle socket: retried at once).
struct S3Client::Connection {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  bool reused = false;
};

S3Client::S3Client(S3ClientOptions options, std::string scheme, std::string host, uint16_t port,
                   bool pathStyle)
    : options_(std::move(options)),
      scheme_(std::move(scheme)),
      host_(std::move(host)),
      port_(port),
      pathStyle_(pathStyle),
      // What is sent, and so what is signed: the port only when not 80/443; IPv6 in brackets.
      hostHeader_((host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) +
                  (port_ == 80 || port_ == 443 ? "" : ":" + std::to_string(port_))),
      signer_(std::make_unique<SigV4Signer>(options_.accessKey, options_.secretKey,
                                            options_.region, "s3")) {}

S3Client::~S3Client() {
  {
    MutexLock lock(mutex_);
    idle_.clear();
  }
  tlsContext_.reset();
  if (sslInitialized_) Poco::Net::uninitializeSSL();
}

Result<std::unique_ptr<S3Client>> S3Client::create(S3ClientOptions options) {
  if (options.bucket.empty()) return invalidArgumentError("the bucket name is empty");
  if (options.bucket.find('/') != std::string::npos)
    return invalidArgumentError("bucket `" + options.bucket + "` contains '/'");
  if (options.accessKey.empty() || options.secretKey.empty())
    return invalidArgumentError("the access key or the secret key is empty");
  if (options.region.empty()) return invalidArgumentError("the region is empty");

  std::string scheme = options.secure ? "https" : "http";
  std::string hostPort;
  bool pathStyle = false;
  if (!options.regionEndpoint.empty()) {
    std::string endpoint = options.regionEndpoint;
    // The endpoint may name its scheme, which then wins over `secure` (as in the AWS SDK).
    if (startsWith(endpoint, "http://")) {
      scheme = "http";
      endpoint = endpoint.substr(7);
    } else if (startsWith(endpoint, "https://")) {
      scheme = "https";
      endpoint = endpoint.substr(8);
    } else if (endpoint.find("://") != std::string::npos) {
      return invalidArgumentError("regionendpoint `" + options.regionEndpoint +
                                  "` has a scheme other than http or https");
    }
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    if (endpoint.empty() || endpoint.find_first_of("/?#@ ") != std::string::npos)
      return invalidArgumentError("regionendpoint `" + options.regionEndpoint +
                                  "` is not [scheme://]host[:port]");
    hostPort = endpoint;
    pathStyle = true;
  } else {
    hostPort = options.bucket + ".s3." + options.region + ".amazonaws.com";
  }
  std::string host = hostPort;
  uint16_t port = scheme == "https" ? 443 : 80;
  const auto colon = hostPort.rfind(':');
  const bool bracketed = !hostPort.empty() && hostPort.front() == '[';
  if (colon != std::string::npos && (!bracketed || hostPort.find(']') < colon)) {
    const std::string portText = hostPort.substr(colon + 1);
    char* end = nullptr;
    const unsigned long value = std::strtoul(portText.c_str(), &end, 10);
    if (portText.empty() || *end != '\0' || value == 0 || value > 65535)
      return invalidArgumentError("regionendpoint `" + options.regionEndpoint +
                                  "` has a bad port");
    port = static_cast<uint16_t>(value);
    host = hostPort.substr(0, colon);
  }
  if (bracketed && host.size() > 2 && host.back() == ']') host = host.substr(1, host.size() - 2);

  std::unique_ptr<S3Client> client(
      new S3Client(std::move(options), scheme, host, port, pathStyle));
  if (scheme == "https") {
    Poco::Net::initializeSSL();
    client->sslInitialized_ = true;
    try {
      Poco::Net::Context::Params params;
      params.loadDefaultCAs = true;
      params.verificationMode = client->options_.skipVerify ? Poco::Net::Context::VERIFY_NONE
                                                            : Poco::Net::Context::VERIFY_STRICT;
      params.verificationDepth = 9;
      params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
      client->tlsContext_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      client->tlsContext_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
      // skipverify also skips the host name check, as Go's InsecureSkipVerify does.
      if (client->options_.skipVerify)
        client->tlsContext_->enableExtendedCertificateVerification(false);
    } catch (const Poco::Exception& e) {
      return unavailableError("setting up TLS for " + client->describe() + ": " + e.displayText());
    }
  }
  return client;
}

std::string S3Client::describe() const {
  const std::string origin = scheme_ + "://" + hostHeader_;
  return pathStyle_ ? origin + "/" + options_.bucket : origin;
}

std::string S3Client::target(const std::string& key) const { return options_.bucket + "/" + key; }

Result<std::unique_ptr<S3Client::Connection>> S3Client::checkout() {
  {
    MutexLock lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  auto connection = std::make_unique<Connection>();
  try {
    if (scheme_ == "https") {
      connection->session =
          std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, tlsContext_);
    } else {
      connection->session = std::make_unique<Poco::Net::HTTPClientSession>(host_, port_);
    }
  } catch (const Poco::Exception& e) {
    return unavailableError("connecting to " + describe() + ": " + e.displayText());
  }
  const Poco::Timespan timeout(static_cast<long>(options_.timeout.count() / 1000),
                               static_cast<long>((options_.timeout.count() % 1000) * 1000));
  connection->session->setTimeout(timeout, timeout, timeout);
  connection->session->setKeepAlive(true);
  return connection;
}

void S3Client::giveBack(std::unique_ptr<Connection> connection) {
  connection->reused = true;
  MutexLock lock(mutex_);
  if (idle_.size() < options_.maxIdleConnections) idle_.push_back(std::move(connection));
}

Result<S3Client::Response> S3Client::attempt(Connection& connection, const std::string& method,
                                             const std::string& key, const Query& query,
                                             std::string_view body,
                                             const std::string& payloadHash,
                                             const Headers& extraHeaders, size_t maxBody) {
  std::string path = "/";
  if (pathStyle_) path += options_.bucket + (key.empty() ? "" : "/");
  path += key;
  SigV4Request toSign;
  toSign.method = method;
  toSign.canonicalUri = SigV4Signer::uriEncode(path, true);
  toSign.query = query;
  toSign.payloadHash = payloadHash;
  const std::string amzDate = SigV4Signer::amzDate(static_cast<long long>(std::time(nullptr)));
  toSign.headers = {{"Host", hostHeader_},
                    {"X-Amz-Date", amzDate},
                    {"X-Amz-Content-Sha256", payloadHash}};
  for (const auto& header : extraHeaders) {
    if (startsWith(header.first, "x-amz-") || startsWith(header.first, "X-Amz-"))
      toSign.headers.push_back(header);
  }
  const SigV4Signature signature = signer_->sign(toSign, amzDate);

  std::string uri = toSign.canonicalUri;
  for (size_t i = 0; i < query.size(); ++i) {
    uri += i == 0 ? '?' : '&';
    uri += SigV4Signer::uriEncode(query[i].first, false);
    if (!query[i].second.empty()) uri += "=" + SigV4Signer::uriEncode(query[i].second, false);
  }
  Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setHost(hostHeader_);
  request.set("X-Amz-Date", amzDate);
  request.set("X-Amz-Content-Sha256", payloadHash);
  for (const auto& header : extraHeaders) request.set(header.first, header.second);
  request.set("Authorization", signature.authorization);
  request.set("User-Agent", options_.userAgent.empty() ? "tributary" : options_.userAgent);
  request.setKeepAlive(true);
  if (method == "PUT" || method == "POST" || !body.empty())
    request.setContentLength(static_cast<std::streamsize>(body.size()));

  std::ostream& out = connection.session->sendRequest(request);
  if (!body.empty()) out.write(body.data(), static_cast<std::streamsize>(body.size()));
  out.flush();
  if (!out) throw Poco::Net::NetException("sending the request body failed");

  Poco::Net::HTTPResponse answer;
  std::istream& in = connection.session->receiveResponse(answer);
  Response response;
  response.status = static_cast<int>(answer.getStatus());
  response.reason = answer.getReason();
  if (answer.has("ETag")) response.etag = answer.get("ETag");
  response.hasContentLength = answer.hasContentLength();
  response.keepAlive = answer.getKeepAlive();
  if (response.hasContentLength)
    response.contentLength = static_cast<uint64_t>(answer.getContentLength64());
  if (method == "HEAD") return response;
  const bool ok = response.status >= 200 && response.status < 300;
  const size_t limit = ok ? maxBody : kMaxErrorBody;
  if (response.hasContentLength) {
    if (response.contentLength > limit) {
      if (ok)
        return outOfRangeError(method + " " + target(key) + ": the answer has " +
                               std::to_string(response.contentLength) + " bytes, more than " +
                               std::to_string(limit));
      response.body = "";  // an error page too large to parse: the status line says enough
      response.drained = false;
      return response;
    }
    response.body.resize(static_cast<size_t>(response.contentLength));
    in.read(response.body.data(), static_cast<std::streamsize>(response.body.size()));
    if (static_cast<size_t>(in.gcount()) != response.body.size())
      throw Poco::Net::NetException("the answer ended after " + std::to_string(in.gcount()) +
                                    " of " + std::to_string(response.body.size()) + " bytes");
  } else {
    char buffer[16384];
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
      response.body.append(buffer, static_cast<size_t>(in.gcount()));
      if (response.body.size() > limit) {
        if (ok)
          return outOfRangeError(method + " " + target(key) + ": the answer is longer than " +
                                 std::to_string(limit) + " bytes");
        response.drained = false;
        break;
      }
    }
  }
  return response;
}

Status S3Client::errorStatus(const std::string& method, const std::string& key,
                             const Response& response) const {
  const S3ErrorBody error = parseErrorBody(response.body);
  std::string text = method + " " + target(key) + ": HTTP " + std::to_string(response.status) +
                     " " + response.reason;
  if (!error.code.empty() || !error.message.empty())
    text += " (" + error.code + (error.message.empty() ? "" : ": " + error.message) + ")";
  const int s = response.status;
  if (s == 404) return notFoundError(text);
  if (s == 401 || error.code == "SignatureDoesNotMatch" || error.code == "InvalidAccessKeyId" ||
      error.code == "AuthorizationHeaderMalformed")
    return unauthenticatedError(text);
  if (s == 403) return permissionDeniedError(text);
  if (s == 429) return resourceExhaustedError(text);
  if (s >= 500) return unavailableError(text);
  return failedPreconditionError(text);
}

Result<S3Client::Response> S3Client::request(const std::string& method, const std::string& key,
                                             const Query& query, std::string_view body,
                                             const std::string& payloadHash,
                                             const Headers& extraHeaders, size_t maxBody) {
  Status last;
  std::chrono::milliseconds backoff(100);
  for (int attemptNumber = 1; attemptNumber <= std::max(1, options_.attempts); ++attemptNumber) {
    TRIB_ASSIGN_OR_RETURN(auto connection, checkout());
    const bool wasReused = connection->reused;
    try {
      Result<Response> response =
          attempt(*connection, method, key, query, body, payloadHash, extraHeaders, maxBody);
      if (!response.isOk()) return response.status();  // too large: not worth a retry
      const int s = response->status;
      if (response->drained && response->keepAlive) giveBack(std::move(connection));
      if (s >= 200 && s < 300) return response;
      last = errorStatus(method, key, *response);
      if (s != 500 && s != 502 && s != 503 && s != 504) return last;
    } catch (const Poco::Exception& e) {
      last = unavailableError(method + " " + target(key) + " at " + describe() + ": " +
                              e.displayText());
      if (wasReused) {
        // Most likely the server closed the idle connection: retry at once, not counted.
        --attemptNumber;
        continue;
      }
    } catch (const std::exception& e) {
      last = unavailableError(method + " " + target(key) + " at " + describe() + ": " + e.what());
    }
    if (attemptNumber < options_.attempts) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
  }
  return last;
}

Status S3Client::putObject(const std::string& key, std::string_view body) {
  Headers headers = options_.objectHeaders;
  headers.emplace_back("Content-Type", "application/octet-stream");
  return request("PUT", key, {}, body, SigV4Signer::sha256Hex(body), headers, kMaxErrorBody)
      .status();
}

Result<std::string> S3Client::getObject(const std::string& key, size_t maxBytes) {
  TRIB_ASSIGN_OR_RETURN(Response response,
                        request("GET", key, {}, {}, kEmptySha256, {}, maxBytes));
  return std::move(response.body);
}

Result<uint64_t> S3Client::headObject(const std::string& key) {
  TRIB_ASSIGN_OR_RETURN(Response response, request("HEAD", key, {}, {}, kEmptySha256, {}, 0));
  if (!response.hasContentLength)
    return unavailableError("HEAD " + target(key) + ": the answer has no Content-Length");
  return response.contentLength;
}

Status S3Client::deleteObject(const std::string& key) {
  Status status = request("DELETE", key, {}, {}, kEmptySha256, {}, kMaxErrorBody).status();
  return status.code() == StatusCode::kNotFound ? Status() : status;
}

Result<S3ObjectPage> S3Client::listObjectsV2(const std::string& prefix,
                                             const std::string& continuationToken, int maxKeys,
                                             const std::string& delimiter) {
  Query query = {{"list-type", "2"}, {"max-keys", std::to_string(maxKeys)}, {"prefix", prefix}};
  if (!delimiter.empty()) query.emplace_back("delimiter", delimiter);
  if (!continuationToken.empty()) query.emplace_back("continuation-token", continuationToken);
  TRIB_ASSIGN_OR_RETURN(Response response,
                        request("GET", "", query, {}, kEmptySha256, {}, kMaxListBody));
  return parseListObjectsV2(response.body);
}

Result<std::string> S3Client::createMultipartUpload(const std::string& key) {
  Headers headers = options_.objectHeaders;
  headers.emplace_back("Content-Type", "application/octet-stream");
  TRIB_ASSIGN_OR_RETURN(Response response, request("POST", key, {{"uploads", ""}}, {},
                                                   kEmptySha256, headers, kMaxErrorBody));
  return parseInitiateMultipartUpload(response.body);
}

Result<std::string> S3Client::uploadPart(const std::string& key, const std::string& uploadId,
                                         int number, std::string_view data) {
  const std::string payloadHash =
      options_.unsignedPartPayload ? "UNSIGNED-PAYLOAD" : SigV4Signer::sha256Hex(data);
  TRIB_ASSIGN_OR_RETURN(
      Response response,
      request("PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", uploadId}}, data,
              payloadHash, {}, kMaxErrorBody));
  if (response.etag.empty())
    return unavailableError("PUT " + target(key) + " part " + std::to_string(number) +
                            ": the answer has no ETag");
  return std::move(response.etag);
}

Status S3Client::completeMultipartUpload(const std::string& key, const std::string& uploadId,
                                         const std::vector<S3CompletedPart>& parts) {
  const std::string body = completeMultipartUploadBody(parts);
  Result<Response> response =
      request("POST", key, {{"uploadId", uploadId}}, body, SigV4Signer::sha256Hex(body),
              {{"Content-Type", "application/xml"}}, kMaxErrorBody);
  if (!response.isOk()) return response.status();
  Status parsed = parseCompleteMultipartUpload(response->body);
  if (!parsed.isOk()) return parsed.withContext("POST " + target(key) + " (complete)");
  return Status();
}

Status S3Client::abortMultipartUpload(const std::string& key, const std::string& uploadId) {
  Status status =
      request("DELETE", key, {{"uploadId", uploadId}}, {}, kEmptySha256, {}, kMaxErrorBody)
          .status();
  return status.code() == StatusCode::kNotFound ? Status() : status;
}

Result<S3UploadPage> S3Client::listMultipartUploads(const std::string& prefix,
                                                    const std::string& keyMarker,
                                                    const std::string& uploadIdMarker) {
  Query query = {{"uploads", ""}, {"prefix", prefix}};
  if (!keyMarker.empty()) query.emplace_back("key-marker", keyMarker);
  if (!uploadIdMarker.empty()) query.emplace_back("upload-id-marker", uploadIdMarker);
  TRIB_ASSIGN_OR_RETURN(Response response,
                        request("GET", "", query, {}, kEmptySha256, {}, kMaxListBody));
  return parseListMultipartUploads(response.body);
}

}  // namespace tributary::storage::s3
