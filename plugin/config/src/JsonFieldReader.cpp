#include "tributary/plugin/config/JsonFieldReader.h"

#include <algorithm>
#include <cassert>
#include <cctype>

namespace tributary::plugin {
namespace {

using Poco::Dynamic::Var;

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// latestN vs latest_n: separators and case do not count as typos.
std::string folded(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != '_' && c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

JsonFieldReader::JsonFieldReader(Poco::JSON::Object::Ptr object, std::string path,
                                 std::set<std::string> known, std::vector<std::string>& problems,
                                 std::string unknownWhat, bool nullIsAbsent)
    : object_(std::move(object)), path_(std::move(path)), known_(std::move(known)),
      problems_(problems), nullIsAbsent_(nullIsAbsent) {
  if (!object_) return;
  for (const std::string& name : object_->getNames()) {
    if (known_.count(name) != 0) continue;
    std::string list;
    for (const std::string& k : known_) list += (list.empty() ? "" : ", ") + k;
    std::string text = "unknown " + unknownWhat + " `" + path_ + name + "` (known: " + list + ")";
    const std::string guess = closest(name, known_);
    if (!guess.empty()) text += "; did you mean `" + path_ + guess + "`?";
    problems_.push_back(std::move(text));
  }
}

std::string JsonFieldReader::closest(const std::string& key, const std::set<std::string>& known) {
  std::string best;
  size_t bestDistance = 0;
  for (const std::string& k : known) {
    const size_t d = editDistance(folded(key), folded(k));
    if (best.empty() || d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  // A guess only when most of the key survives: 1 edit for short keys, a third of longer ones.
  const size_t allowed = std::max<size_t>(1, key.size() / 3);
  return !best.empty() && bestDistance <= allowed ? best : std::string();
}

Status JsonFieldReader::verdict(const std::vector<std::string>& problems) {
  if (problems.empty()) return Status();
  std::string joined;
  for (size_t i = 0; i < problems.size(); ++i) joined += (i ? "\n" : "") + problems[i];
  return invalidArgumentError(joined);
}

bool JsonFieldReader::has(const std::string& key) const {
  assert(known_.count(key) != 0 && "JsonFieldReader: read a key that is not listed as known");
  return object_ && object_->has(key) && !(nullIsAbsent_ && object_->isNull(key));
}

Var JsonFieldReader::raw(const std::string& key) const {
  return has(key) ? object_->get(key) : Var();
}

std::string JsonFieldReader::typeName(const Var& v) {
  if (v.isEmpty()) return "null";
  if (v.isString()) return "a string";
  if (v.isBoolean()) return "a boolean";
  if (v.isNumeric()) return "a number";
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) return "an object";
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) return "an array";
  return "another type";
}

bool JsonFieldReader::string(const std::string& key, std::string& out) {
  if (!has(key)) return false;
  Var v = object_->get(key);
  if (!v.isString()) {
    problem(pathOf(key) + " must be a string, got " + typeName(v));
    return false;
  }
  out = v.convert<std::string>();
  return true;
}

bool JsonFieldReader::boolean(const std::string& key, bool& out) {
  if (!has(key)) return false;
  Var v = object_->get(key);
  if (!v.isBoolean()) {
    problem(pathOf(key) + " must be true or false, got " + typeName(v));
    return false;
  }
  out = v.convert<bool>();
  return true;
}

bool JsonFieldReader::wholeNumber(const std::string& key, int64_t min, int64_t max,
                                  int64_t& out) {
  if (!has(key)) return false;
  Var v = object_->get(key);
  // Poco counts a JSON `true` as an integer (1); true is a mistake, not 1.
  if (!v.isInteger() || v.isBoolean() || v.convert<int64_t>() < min ||
      v.convert<int64_t>() > max) {
    problem(pathOf(key) + " must be a whole number " + std::to_string(min) + ".." +
            std::to_string(max) + ", got " +
            (v.isEmpty() ? std::string("null") : v.convert<std::string>()));
    return false;
  }
  out = v.convert<int64_t>();
  return true;
}

Poco::JSON::Object::Ptr JsonFieldReader::object(const std::string& key,
                                                const std::string& expected) {
  if (!has(key)) return nullptr;
  Var v = object_->get(key);
  if (v.type() != typeid(Poco::JSON::Object::Ptr)) {
    problem(pathOf(key) + " must be " + (expected.empty() ? "an object" : expected) + ", got " +
            typeName(v));
    return nullptr;
  }
  return v.extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr JsonFieldReader::array(const std::string& key,
                                              const std::string& expected) {
  if (!has(key)) return nullptr;
  Var v = object_->get(key);
  if (v.type() != typeid(Poco::JSON::Array::Ptr)) {
    problem(pathOf(key) + " must be " + (expected.empty() ? "an array" : expected) + ", got " +
            typeName(v));
    return nullptr;
  }
  return v.extract<Poco::JSON::Array::Ptr>();
}

}  // namespace tributary::plugin
