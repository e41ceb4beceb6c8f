// Reads the members of one JSON object whose keys are known once: every key the object may
// have is listed when the reader is made, and any other key is a problem that names the known
// ones and the closest ("unknown field `policy.latestN` (known: latest_n, platforms,
// tag_regex); did you mean `latest_n`?"). Typed getters add a problem for a wrong type and
// leave the output alone. Problems are collected, not returned one at a time, so a user sees
// every mistake at once.
//
// Not thread-safe: one reader per object being read.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "tributary/Status.h"

namespace tributary::plugin {

class JsonFieldReader {
 public:
  /// `object` may be null (then nothing is present). `path` prefixes keys in messages
  /// ("source." or "" at the root); `unknownWhat` names an unknown key in messages ("field",
  /// "provider config key"). Unknown keys are reported here, into `problems`.
  /// `nullIsAbsent`: a member given as null counts as not given (else null is a wrong type).
  JsonFieldReader(Poco::JSON::Object::Ptr object, std::string path, std::set<std::string> known,
                  std::vector<std::string>& problems, std::string unknownWhat = "field",
                  bool nullIsAbsent = true);

  /// Present (and not null, when null means absent). `key` must be one of the known keys.
  bool has(const std::string& key) const;
  /// The value as given (empty when absent).
  Poco::Dynamic::Var raw(const std::string& key) const;
  /// "source.domain" for "domain" under path "source.".
  std::string pathOf(const std::string& key) const { return path_ + key; }

  /// Each: false when absent or of the wrong type (then a problem says so); else `out` set.
  bool string(const std::string& key, std::string& out);
  bool boolean(const std::string& key, bool& out);
  /// A whole number in [min, max] (true is not a number here).
  bool wholeNumber(const std::string& key, int64_t min, int64_t max, int64_t& out);
  Poco::JSON::Object::Ptr object(const std::string& key, const std::string& expected = "");
  Poco::JSON::Array::Ptr array(const std::string& key, const std::string& expected = "");

  void problem(std::string text) { problems_.push_back(std::move(text)); }

  /// OK when `problems` is empty, else kInvalidArgument listing them one per line.
  static Status verdict(const std::vector<std::string>& problems);

  /// "a string", "an object", ... for messages.
  static std::string typeName(const Poco::Dynamic::Var& v);
  /// The known key closest to `key` by edit distance, or "" when none is plausibly meant.
  static std::string closest(const std::string& key, const std::set<std::string>& known);

 private:
  Poco::JSON::Object::Ptr object_;
  std::string path_;
  std::set<std::string> known_;
  std::vector<std::string>& problems_;
  bool nullIsAbsent_;
};

}  // namespace tributary::plugin
