// Streams a blob (or a byte range of one) into a BlobSink in constant memory: 1 MiB reads
// straight from the socket into one buffer and from there into the sink, no other copy.
// A connection that breaks mid-body is resumed with `Range: bytes=<sink.offset()>-` from the
// registry URL (presigned redirect URLs expire, so each try starts over at the registry);
// a 200 instead of 206 resets the sink and starts over. A part fetch (fetchRange) answered
// with 200 or without Content-Range is kUnimplemented instead: the source does not do ranges.
//
// Thread rules: one BlobFetcher per fetch; the requester it uses is shared and thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "AuthorizedRequester.h"
#include "RetryPolicy.h"
#include "tributary/Status.h"
#include "tributary/registry/BlobSink.h"

namespace tributary::registry {

class BlobFetcher {
 public:
  static constexpr size_t kChunkSize = 1 << 20;

  BlobFetcher(AuthorizedRequester& requester, const RetryPolicy& retry,
              std::function<void(uint64_t)> onBytes);

  /// Whole blob: exactly `expectedSize` bytes must arrive (more is kDataLoss).
  Status fetchWhole(const Url& blobUrl, const std::string& scope, const std::string& context,
                    uint64_t expectedSize, BlobSink& sink);

  /// Bytes [offset, offset+length): the sink receives `length` bytes. kUnimplemented when the
  /// server does not honour Range (200, or 206 without Content-Range).
  Status fetchRange(const Url& blobUrl, const std::string& scope, const std::string& context,
                    uint64_t offset, uint64_t length, BlobSink& sink);

 private:
  // One request; `brokenMidBody` tells a resumable body failure from a failed request.
  Status attempt(const Url& blobUrl, const std::string& scope, const std::string& context,
                 uint64_t base, uint64_t total, bool rangeMode, BlobSink& sink, char* buffer,
                 bool& brokenMidBody);
  Status run(const Url& blobUrl, const std::string& scope, const std::string& context,
             uint64_t base, uint64_t total, bool rangeMode, BlobSink& sink);

  AuthorizedRequester& requester_;
  const RetryPolicy& retry_;
  std::function<void(uint64_t)> onBytes_;
};

}  // namespace tributary::registry
