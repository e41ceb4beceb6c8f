#include "LinkHeader.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace tributary::registry {

std::string LinkHeader::nextReference(const std::string& value) {
  size_t i = 0;
  while (i < value.size()) {
    size_t open = value.find('<', i);
    if (open == std::string::npos) return "";
    size_t close = value.find('>', open);
    if (close == std::string::npos) return "";
    std::string ref = value.substr(open + 1, close - open - 1);
    // A URI reference has no spaces, controls, quotes or angle brackets (RFC 3986 §2); a
    // link whose target does, e.g. "<<a>", is malformed and is skipped, never followed.
    const bool wellFormed = !ref.empty() && std::all_of(ref.begin(), ref.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u > 0x20 && u < 0x7f && c != '<' && c != '>' && c != '"';
    });
    // Parameters run to the next link (a comma outside quotes) or the end.
    size_t j = close + 1;
    bool inQuote = false;
    std::string params;
    while (j < value.size()) {
      char c = value[j];
      if (c == '"') inQuote = !inQuote;
      if (c == ',' && !inQuote) break;
      params += c;
      ++j;
    }
    std::string lowered;
    for (char c : params) lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t rel = lowered.find("rel");
    while (rel != std::string::npos) {
      size_t eq = lowered.find_first_not_of(" \t", rel + 3);
      if (eq != std::string::npos && lowered[eq] == '=') {
        std::string v = lowered.substr(eq + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        if (!v.empty() && v.front() == '"') {
          v = v.substr(1, v.find('"', 1) == std::string::npos ? std::string::npos : v.find('"', 1) - 1);
        } else {
          v = v.substr(0, v.find_first_of("; \t"));
        }
        std::istringstream words(v);
        std::string w;
        while (words >> w) {
          if (w == "next" && wellFormed) return ref;
        }
      }
      rel = lowered.find("rel", rel + 3);
    }
    i = j + 1;
  }
  return "";
}

}  // namespace tributary::registry
