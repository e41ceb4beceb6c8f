#include "tributary/config/YamlToJson.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>

#include "tributary/JsonWriter.h"

namespace tributary::config {
namespace {

// The JSON for a plain scalar under the YAML 1.2 core schema, or "" when it is a string.
std::string typedPlainScalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return "null";
  }
  if (text == "true" || text == "True" || text == "TRUE") return "true";
  if (text == "false" || text == "False" || text == "FALSE") return "false";

  // Core schema integers: decimal, 0o octal, 0x hex. Re-emitted in decimal (JSON has no
  // leading zeros, '+' or other bases).
  static const std::regex decimal("[-+]?[0-9]+");
  static const std::regex octal("0o[0-7]+");
  static const std::regex hex("0x[0-9a-fA-F]+");
  auto integer = [&](const char* digits, int base) -> std::string {
    errno = 0;
    char* end = nullptr;
    long long value = std::strtoll(digits, &end, base);
    if (errno == ERANGE || end == digits || *end != '\0') return "";
    return std::to_string(value);
  };
  if (std::regex_match(text, decimal)) {
    std::string value = integer(text.c_str(), 10);
    if (!value.empty()) return value;
  } else if (std::regex_match(text, octal)) {
    std::string value = integer(text.c_str() + 2, 8);
    if (!value.empty()) return value;
  } else if (std::regex_match(text, hex)) {
    std::string value = integer(text.c_str() + 2, 16);
    if (!value.empty()) return value;
  }
  static const std::regex floating(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, floating)) {
    double value = std::strtod(text.c_str(), nullptr);
    if (std::isfinite(value)) {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.15g", value);
      if (std::strtod(buffer, nullptr) != value) {
        std::snprintf(buffer, sizeof(buffer), "%.17g", value);
      }
      return buffer;
    }
  }
  return "";  // not a number/bool/null: a string
}

void append(const YAML::Node& node, std::string& out) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out += "null";
      return;
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      // yaml-cpp tags quoted and block scalars "!" (non-specific, non-plain) and plain ones "?".
      if (node.Tag() != "!") {
        std::string typed = typedPlainScalar(text);
        if (!typed.empty()) {
          out += typed;
          return;
        }
      }
      out += plugin::JsonWriter::quote(text);
      return;
    }
    case YAML::NodeType::Sequence: {
      out += '[';
      bool first = true;
      for (const YAML::Node& item : node) {
        if (!first) out += ',';
        first = false;
        append(item, out);
      }
      out += ']';
      return;
    }
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (const auto& entry : node) {
        if (!first) out += ',';
        first = false;
        out += plugin::JsonWriter::quote(entry.first.Scalar());
        out += ':';
        append(entry.second, out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string yamlToJson(const YAML::Node& node) {
  std::string out;
  append(node, out);
  return out;
}

}  // namespace tributary::config
