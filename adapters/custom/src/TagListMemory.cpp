#include "tributary/custom/TagListMemory.h"

#include <utility>

namespace tributary::custom {

std::vector<TagListMemory::Tag> TagListMemory::recall(const std::string& key) const {
  MutexLock lock(mutex_);
  auto it = entries_.find(key);
  return it == entries_.end() ? std::vector<Tag>{} : it->second.tags;
}

void TagListMemory::remember(const std::string& key, std::vector<Tag> tags) {
  MutexLock lock(mutex_);
  forgetLocked(key);
  if (tags.empty()) return;
  if (tags.size() > kMaxTagsPerKey) tags.resize(kMaxTagsPerKey);
  while (entries_.size() >= kMaxKeys && !byAge_.empty()) {
    const std::string oldest = byAge_.begin()->second;
    forgetLocked(oldest);
  }
  const uint64_t age = nextAge_++;
  byAge_.emplace(age, key);
  entries_.emplace(key, Entry{std::move(tags), age});
}

void TagListMemory::forget(const std::string& key) {
  MutexLock lock(mutex_);
  forgetLocked(key);
}

size_t TagListMemory::keys() const {
  MutexLock lock(mutex_);
  return entries_.size();
}

void TagListMemory::forgetLocked(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  byAge_.erase(it->second.age);
  entries_.erase(it);
}

}  // namespace tributary::custom
