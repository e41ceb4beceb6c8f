// Helpers shared by the storage tests: temp roots, umask, hashing, tree snapshots.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include "tributary/DigestHasher.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace storage_test {

/// A unique directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/rp-storage-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Sets a umask for the scope (the writer must not depend on it).
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : previous_(::umask(mask)) {}
  ~UmaskGuard() { ::umask(previous_); }

 private:
  mode_t previous_;
};

inline std::string hexDigest(const char* algorithm, std::string_view bytes) {
  return tributary::DigestHasher::hexDigestOf(algorithm, bytes).value();
}

inline std::string sha256Of(std::string_view bytes) { return "sha256:" + hexDigest("sha256", bytes); }
inline std::string sha512Of(std::string_view bytes) { return "sha512:" + hexDigest("sha512", bytes); }

inline std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void writeAll(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline mode_t permissionsOf(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + path);
  return st.st_mode & 07777;
}

/// Every entry below `root` (relative path -> "dir <mode>" or "file <mode> <content>"), so two
/// snapshots compare the tree byte for byte.
inline std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> tree;
  if (!exists(root)) return tree;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    std::string rel = entry.path().string().substr(root.size());
    std::ostringstream desc;
    desc << std::oct << permissionsOf(entry.path().string());
    if (entry.is_directory()) {
      tree[rel] = "dir " + desc.str();
    } else {
      tree[rel] = "file " + desc.str() + " " + readAll(entry.path().string());
    }
  }
  return tree;
}

/// Only the files of a snapshot(): what a registry could serve (empty directories left by an
/// aborted write are not content).
inline std::map<std::string, std::string> filesOf(const std::map<std::string, std::string>& tree) {
  std::map<std::string, std::string> files;
  for (const auto& [path, desc] : tree)
    if (desc.rfind("file ", 0) == 0) files[path] = desc;
  return files;
}

/// Relative paths below `root` whose file name starts with ".tmp-".
inline std::vector<std::string> tempEntries(const std::string& root) {
  std::vector<std::string> found;
  if (!exists(root)) return found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().filename().string().rfind(".tmp-", 0) == 0)
      found.push_back(entry.path().string().substr(root.size()));
  }
  return found;
}

/// Names directly inside `dir` (sorted); empty when absent.
inline std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> names;
  if (!exists(dir)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace storage_test
