#include "tributary/registry/ContentStore.h"

#include "tributary/DigestHasher.h"

#include <exception>

#include "tributary/Names.h"

namespace tributary::registry {

bool ContentStore::fits(Kind kind, uint64_t size) const {
  return size <= (kind == Kind::kManifest ? limits_.maxManifestBytes : limits_.maxBlobBytes);
}

std::optional<ContentStore::Entry> ContentStore::find(Kind kind, const std::string& digest) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(Key(kind, digest));
  if (it == entries_.end()) return std::nullopt;
  ++hits_;
  return it->second;
}

Status ContentStore::verify(const std::string& digest, const std::string& bytes) {
  TRIB_ASSIGN_OR_RETURN(Digest d, parseDigest(digest));
  TRIB_ASSIGN_OR_RETURN(std::string hex, DigestHasher::hexDigestOf(d.algorithm, bytes));
  if (hex != d.hex)
    return dataLossError("content fetched as " + digest + " hashes to " + d.algorithm + ":" + hex);
  return Status();
}

void ContentStore::keepLocked(const Key& key, const Entry& entry) {
  const size_t size = entry.bytes ? entry.bytes->size() : 0;
  if (!entry.bytes || !fits(key.first, size) || entries_.count(key) > 0) return;
  if (bytes_ + size > limits_.maxTotalBytes) return;  // budget used up: hand through only
  entries_.emplace(key, entry);
  bytes_ += size;
}

Status ContentStore::put(Kind kind, const std::string& digest, std::string bytes,
                         std::string mediaType) {
  TRIB_RETURN_IF_ERROR(verify(digest, bytes));
  Entry entry{std::make_shared<const std::string>(std::move(bytes)), std::move(mediaType)};
  std::lock_guard<std::mutex> lock(mutex_);
  keepLocked(Key(kind, digest), entry);
  return Status();
}

void ContentStore::finish(const Key& key, const std::shared_ptr<Flight>& flight, Status status,
                          Entry entry) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status.isOk()) keepLocked(key, entry);
    flight->status = std::move(status);
    flight->entry = std::move(entry);
    flight->done = true;
    inFlight_.erase(key);
  }
  landed_.notify_all();
}

Result<ContentStore::Entry> ContentStore::getOrFetch(Kind kind, const std::string& digest,
                                                     const std::function<Result<Entry>()>& fetch) {
  const Key key(kind, digest);
  std::shared_ptr<Flight> flight;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    auto kept = entries_.find(key);
    if (kept != entries_.end()) {
      ++hits_;
      return kept->second;
    }
    auto running = inFlight_.find(key);
    if (running != inFlight_.end()) {
      // Another thread is fetching it: wait for that answer rather than asking again.
      std::shared_ptr<Flight> other = running->second;
      landed_.wait(lock, [&] { return other->done; });
      if (!other->status.isOk()) return other->status;
      ++hits_;
      return other->entry;
    }
    flight = std::make_shared<Flight>();
    inFlight_.emplace(key, flight);
    ++fetches_;
  }
  // Fetch without the lock; waiters are released on every path, exceptions included.
  Result<Entry> fetched = internalError("fetch of " + digest + " did not finish");
  try {
    fetched = fetch();
  } catch (...) {
    finish(key, flight, internalError("fetch of " + digest + " threw"), Entry());
    throw;
  }
  Status status = fetched.status();
  Entry entry;
  if (status.isOk()) {
    entry = std::move(*fetched);
    if (!entry.bytes) entry.bytes = std::make_shared<const std::string>();
    status = verify(digest, *entry.bytes);
  }
  finish(key, flight, status, status.isOk() ? entry : Entry());
  if (!status.isOk()) return status;
  return entry;
}

ContentStore::Stats ContentStore::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s;
  s.hits = hits_;
  s.fetches = fetches_;
  s.entries = entries_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace tributary::registry
