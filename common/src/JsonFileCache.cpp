#include "tributary/JsonFileCache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

namespace tributary {
namespace {

std::string errnoText(int err) { return std::strerror(err); }

// Writes `content` to a temp file beside `path`, fsyncs and renames it over `path`, so a
// reader sees the old file or the new one, never half of one.
Status writeAtomically(const std::string& path, const std::string& content) {
  std::random_device rd;
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return internalError("cache file " + tmp + ": " + errnoText(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return internalError("writing cache file " + tmp + ": " + errnoText(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return internalError("syncing cache file " + tmp + ": " + errnoText(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return internalError("renaming cache file to " + path + ": " + errnoText(err));
  }
  return Status();
}

}  // namespace

JsonFileCache::JsonFileCache(std::string path, size_t maxEntries, bool readOnly)
    : path_(std::move(path)), maxEntries_(maxEntries), readOnly_(readOnly) {
  if (path_.empty()) return;
  MutexLock lock(mutex_);  // nobody else can see the object yet; the analysis cannot know
  load();
}

void JsonFileCache::load() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
    auto entries = root->getObject("entries");
    if (!entries) return;
    for (const auto& name : entries->getNames()) {
      auto value = entries->get(name);
      if (value.isString()) entries_[name] = value.convert<std::string>();
    }
  } catch (const std::exception&) {
    entries_.clear();  // a corrupt cache file is just a cold cache
  }
}

std::optional<std::string> JsonFileCache::get(const std::string& key) const {
  MutexLock lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void JsonFileCache::put(const std::string& key, const std::string& value) {
  MutexLock lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second == value) return;
  if (it == entries_.end() && entries_.size() >= maxEntries_) entries_.clear();  // crude cap
  entries_[key] = value;
  dirty_ = true;
}

size_t JsonFileCache::size() const {
  MutexLock lock(mutex_);
  return entries_.size();
}

Status JsonFileCache::flush() {
  MutexLock lock(mutex_);
  if (path_.empty() || !dirty_ || readOnly_) return Status();
  std::string content;
  try {
    Poco::JSON::Object::Ptr entries = new Poco::JSON::Object();
    for (const auto& [k, v] : entries_) entries->set(k, v);
    Poco::JSON::Object root;
    root.set("version", 1);
    root.set("entries", entries);
    std::ostringstream out;
    root.stringify(out);
    content = out.str();
  } catch (const std::exception& e) {
    return internalError(std::string("serialising cache: ") + e.what());
  }
  TRIB_RETURN_IF_ERROR(writeAtomically(path_, content));
  dirty_ = false;
  return Status();
}

}  // namespace tributary
