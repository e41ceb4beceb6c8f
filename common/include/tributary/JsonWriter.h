// Builds compact JSON text with keys in the order written, so the plan, report and normalised
// rule have a stable, documented shape (Poco's Object reorders keys).
// Not thread-safe: one writer per document.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::plugin {

class JsonWriter {
 public:
  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  /// Inside an object: the next value's key.
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t n);
  JsonWriter& value(uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  /// A string, or null when empty.
  JsonWriter& optionalValue(const std::optional<std::string>& s);

  const std::string& str() const { return out_; }

  /// `"..."` with JSON escapes (control characters as \u00XX).
  static std::string quote(std::string_view s);

 private:
  void separate();

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool afterKey_ = false;
};

}  // namespace tributary::plugin
