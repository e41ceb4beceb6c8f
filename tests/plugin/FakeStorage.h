// In-memory host storage for engine tests: verifies blob digests on commit like the real
// host, and records every visible change in order ("blob <d>", "link <repo> <d>",
// "manifest <repo> <d>", "tag <repo>:<tag> <d>") so tests can check the publish order.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "FakeRegistry.h"
#include "tributary/plugin/host/Storage.h"

namespace tributary::testing {

class FakeStorage final : public plugin::Storage {
 public:
  class Writer final : public BlobWriter {
   public:
    Writer(FakeStorage& s, std::string digest, uint64_t size)
        : s_(s), digest_(std::move(digest)), size_(size) {}
    ~Writer() override {
      if (!done_) {
        std::lock_guard<std::mutex> l(s_.m_);
        ++s_.aborts;
      }
    }
    Status write(const char* data, size_t len) override {
      if (data_.size() + len > size_) return dataLossError("past expected size (fake)");
      data_.append(data, len);
      return Status();
    }
    Status reset() override {
      data_.clear();
      return Status();
    }
    uint64_t offset() const override { return data_.size(); }
    Status commit() override {
      done_ = true;
      if (data_.size() != size_ || sha256(data_) != digest_)
        return dataLossError("digest or size mismatch for " + digest_ + " (fake)");
      std::lock_guard<std::mutex> l(s_.m_);
      s_.blobs[digest_] = data_;
      s_.events.push_back("blob " + digest_);
      return Status();
    }

   private:
    FakeStorage& s_;
    std::string digest_;
    uint64_t size_;
    std::string data_;
    bool done_ = false;
  };

  Result<uint64_t> blobStat(const std::string& digest) override {
    std::lock_guard<std::mutex> l(m_);
    ++stats;
    auto it = blobs.find(digest);
    if (it == blobs.end() || vanished.count(digest)) return notFoundError("no blob " + digest);
    return static_cast<uint64_t>(it->second.size());
  }
  Result<std::unique_ptr<BlobWriter>> openBlobWriter(const std::string& digest,
                                                     uint64_t expectedSize) override {
    return std::unique_ptr<BlobWriter>(new Writer(*this, digest, expectedSize));
  }
  Status linkBlob(const std::string& repository, const std::string& digest) override {
    std::lock_guard<std::mutex> l(m_);
    if (blobs.count(digest) == 0) return notFoundError("link of absent blob " + digest);
    layers[repository].insert(digest);
    events.push_back("link " + repository + " " + digest);
    return Status();
  }
  Status putManifest(const std::string& repository, const std::string& digest,
                     const std::string& bytes) override {
    std::lock_guard<std::mutex> l(m_);
    if (sha256(bytes) != digest) return dataLossError("manifest digest mismatch (fake)");
    manifests[repository][digest] = bytes;
    events.push_back("manifest " + repository + " " + digest);
    return Status();
  }
  Status manifestExists(const std::string& repository, const std::string& digest) override {
    std::lock_guard<std::mutex> l(m_);
    return manifests[repository].count(digest) ? Status() : notFoundError("no manifest");
  }
  Result<std::optional<std::string>> tagGet(const std::string& repository,
                                            const std::string& tag) override {
    if (tagGetDelay.count() > 0) std::this_thread::sleep_for(tagGetDelay);  // a remote store
    std::lock_guard<std::mutex> l(m_);
    tagReaders.insert(std::this_thread::get_id());
    ++tagGets;
    if (!failTagGet.isOk()) return failTagGet.withContext("reading tag " + repository + ":" + tag);
    auto it = tags.find(repository + ":" + tag);
    if (it == tags.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status tagSet(const std::string& repository, const std::string& tag,
                const std::string& digest) override {
    std::lock_guard<std::mutex> l(m_);
    if (manifests[repository].count(digest) == 0)
      return failedPreconditionError("tag_set to a manifest that is not stored (fake)");
    tags[repository + ":" + tag] = digest;
    events.push_back("tag " + repository + ":" + tag + " " + digest);
    return Status();
  }

  /// Index of the first event equal to `e`, or -1.
  int indexOf(const std::string& e) const {
    for (size_t i = 0; i < events.size(); ++i)
      if (events[i] == e) return static_cast<int>(i);
    return -1;
  }

  std::mutex m_;
  std::map<std::string, std::string> blobs;
  std::map<std::string, std::set<std::string>> layers;
  std::map<std::string, std::map<std::string, std::string>> manifests;
  std::map<std::string, std::string> tags;  // "repo:tag" -> digest
  std::chrono::microseconds tagGetDelay{0};
  std::set<std::thread::id> tagReaders;     // the threads that called tagGet
  int tagGets = 0;
  Status failTagGet;                        // every tagGet answers this when not OK
  std::vector<std::string> events;
  int stats = 0;
  int aborts = 0;
  /// Blobs blob_stat calls absent even once committed (a GC sweep or an operator removed them).
  std::set<std::string> vanished;
};

}  // namespace tributary::testing
