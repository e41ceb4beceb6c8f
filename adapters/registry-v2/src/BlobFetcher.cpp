#include "BlobFetcher.h"

#include <algorithm>
#include <memory>

#include "HttpErrorMapping.h"

namespace tributary::registry {

namespace {

// "bytes <first>-<last>/<total|*>"
bool parseContentRange(const std::string& v, uint64_t& first, uint64_t& last, uint64_t& total,
                       bool& totalKnown) {
  if (v.rfind("bytes ", 0) != 0) return false;
  size_t dash = v.find('-', 6), slash = v.find('/', 6);
  if (dash == std::string::npos || slash == std::string::npos || dash > slash) return false;
  try {
    first = std::stoull(v.substr(6, dash - 6));
    last = std::stoull(v.substr(dash + 1, slash - dash - 1));
    std::string t = v.substr(slash + 1);
    totalKnown = t != "*";
    total = totalKnown ? std::stoull(t) : 0;
  } catch (...) {
    return false;
  }
  return last >= first;
}

constexpr int kMaxTotalAttempts = 100;

}  // namespace

BlobFetcher::BlobFetcher(AuthorizedRequester& requester, const RetryPolicy& retry,
                         std::function<void(uint64_t)> onBytes)
    : requester_(requester), retry_(retry), onBytes_(std::move(onBytes)) {}

Status BlobFetcher::fetchWhole(const Url& blobUrl, const std::string& scope,
                               const std::string& context, uint64_t expectedSize, BlobSink& sink) {
  return run(blobUrl, scope, context, 0, expectedSize, false, sink);
}

Status BlobFetcher::fetchRange(const Url& blobUrl, const std::string& scope,
                               const std::string& context, uint64_t offset, uint64_t length,
                               BlobSink& sink) {
  if (length == 0) return Status();
  return run(blobUrl, scope, context, offset, length, true, sink);
}

Status BlobFetcher::run(const Url& blobUrl, const std::string& scope, const std::string& context,
                        uint64_t base, uint64_t total, bool rangeMode, BlobSink& sink) {
  std::unique_ptr<char[]> buffer(new char[kChunkSize]);  // not zeroed: it is overwritten
  int failuresWithoutProgress = 0;
  for (int attemptNo = 1;; ++attemptNo) {
    if (retry_.cancelled()) return cancelledError(context + ": cancelled");
    const uint64_t before = sink.offset();
    bool brokenMidBody = false;
    Status s = attempt(blobUrl, scope, context, base, total, rangeMode, sink, buffer.get(),
                       brokenMidBody);
    if (s.isOk() || !brokenMidBody || !isRetryable(s.code())) return s;
    // A timeout or a trickle below the low-speed limit counts even when a few bytes came:
    // otherwise a source sending one byte per try could hold the sync for 100 tries.
    const bool progressed = sink.offset() > before && s.code() != StatusCode::kDeadlineExceeded;
    failuresWithoutProgress = progressed ? 0 : failuresWithoutProgress + 1;
    if (failuresWithoutProgress >= retry_.maxAttempts() || attemptNo >= kMaxTotalAttempts)
      return s;
    if (failuresWithoutProgress > 0) {
      Status slept = retry_.sleep(retry_.delayFor(failuresWithoutProgress, std::nullopt));
      if (!slept.isOk()) return slept.withContext(context);
    }
  }
}

Status BlobFetcher::attempt(const Url& blobUrl, const std::string& scope,
                            const std::string& context, uint64_t base, uint64_t total,
                            bool rangeMode, BlobSink& sink, char* buffer, bool& brokenMidBody) {
  brokenMidBody = false;
  uint64_t have = sink.offset();
  if (have > total)
    return dataLossError(context + ": sink already holds " + std::to_string(have) +
                         " bytes, more than the expected " + std::to_string(total));
  if (total > 0 && have == total) return Status();
  HttpRequest req;
  req.url = blobUrl;
  req.abandoned = [&sink] { return sink.abandoned(); };
  // The digest is over the stored bytes: no transparent decompression anywhere.
  req.headers.emplace_back("Accept-Encoding", "identity");
  const bool wantRange = rangeMode || have > 0;
  const uint64_t from = base + have;
  if (wantRange) {
    std::string range = "bytes=" + std::to_string(from) + "-";
    if (rangeMode) range += std::to_string(base + total - 1);
    req.headers.emplace_back("Range", range);
  }
  TRIB_ASSIGN_OR_RETURN(auto ex, requester_.open(std::move(req), scope, context));
  const int status = ex->status();
  if (status == 206 && wantRange) {
    uint64_t first = 0, last = 0, size = 0;
    bool sizeKnown = false;
    std::string cr = ex->head().header("content-range");
    if (rangeMode && cr.empty())
      return unimplementedError(context + ": the server answered 206 without Content-Range; "
                                "it does not support byte ranges");
    if (!parseContentRange(cr, first, last, size, sizeKnown))
      return unavailableError(context + ": 206 answer with unusable Content-Range `" + cr + "`");
    if (first != from)
      return unavailableError(context + ": asked for bytes from " + std::to_string(from) +
                              ", server sent from " + std::to_string(first));
    if (!rangeMode && sizeKnown && size != total)
      return dataLossError(context + ": blob is " + std::to_string(size) + " bytes, expected " +
                           std::to_string(total));
  } else if (status == 200) {
    // A part fetch gains nothing from a whole-blob answer (it would download everything up
    // to the part); the caller falls back to one streamed fetch of the whole blob.
    if (rangeMode)
      return unimplementedError(context + ": the server ignores Range (HTTP 200 instead of 206)");
    if (have > 0) {
      // The server ignored Range: start over from byte 0.
      TRIB_RETURN_IF_ERROR(sink.reset());
      have = 0;
    }
    if (ex->head().contentLength && *ex->head().contentLength != total) {
      std::string got = std::to_string(*ex->head().contentLength);
      return dataLossError(context + ": blob is " + got + " bytes, expected " +
                           std::to_string(total));
    }
  } else {
    auto body = ex->readAll(64 * 1024, "error body");
    return HttpErrorMapping::fromHttpStatus(status, ex->head().reason,
                                            body.isOk() ? *body : std::string(),
                                            ex->where(context));
  }

  while (true) {
    if (retry_.cancelled()) return cancelledError(context + ": cancelled");
    auto n = ex->read(buffer, BlobFetcher::kChunkSize);
    if (!n.isOk()) {
      brokenMidBody = true;
      return n.status().withContext(ex->where(context) + " (at byte " +
                                    std::to_string(base + sink.offset()) + ")");
    }
    if (*n == 0) break;
    const char* p = buffer;
    size_t len = *n;
    if (have + len > total) {
      if (!rangeMode)
        return dataLossError(context + ": more than the expected " + std::to_string(total) +
                             " bytes arrived");
      len = static_cast<size_t>(total - have);
    }
    TRIB_RETURN_IF_ERROR(sink.write(p, len));
    have += len;
    if (onBytes_) onBytes_(len);
    if (rangeMode && have == total) return Status();  // a longer 206 than asked: rest unneeded
  }
  if (have != total) {
    // A body that ended cleanly but short (close-delimited or a lying Content-Length).
    brokenMidBody = true;
    return unavailableError(context + ": body ended after " + std::to_string(have) + " of " +
                            std::to_string(total) + " bytes");
  }
  return Status();
}

}  // namespace tributary::registry
