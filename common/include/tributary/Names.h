// Grammar checks for repository names, tags and digests (Distribution / OCI distribution-spec).
//
// Every path built from a name goes through these first: they are what stands between a rule
// or a manifest and `../` in a filesystem path. See registry-facts.md §E.
#pragma once

#include <string>
#include <string_view>

#include "tributary/Status.h"

namespace tributary {

/// Longest repository name Distribution accepts (reference.NameTotalLengthMax).
constexpr size_t kMaxRepositoryNameLength = 255;
/// Longest tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
constexpr size_t kMaxTagLength = 128;

/// A parsed `<algorithm>:<hex>` digest. Only sha256 (64 hex) and sha512 (128 hex), lowercase.
struct Digest {
  std::string algorithm;  // "sha256" | "sha512"
  std::string hex;        // lowercase hex, 64 or 128 chars

  std::string toString() const { return algorithm + ":" + hex; }
};

/// Checks `name` against the OCI v1.1.1 repository grammar:
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255 chars.
/// The error names the offending component and why ("component `..` ...").
Status validateRepositoryName(std::string_view name);

/// Checks `tag` against `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
Status validateTag(std::string_view tag);

/// Parses and checks a digest: `sha256:` + 64 lowercase hex or `sha512:` + 128 lowercase hex.
Result<Digest> parseDigest(std::string_view digest);

inline Status validateDigest(std::string_view digest) { return parseDigest(digest).status(); }

// ---- implementation (header-only: tiny, used by every layer) ----

namespace names_detail {
inline bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
inline bool isLowerHex(char c) { return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'); }
inline std::string quoted(std::string_view s) {
  std::string out = "`";
  for (char c : s) {
    if (c == '\0') {
      out += "\\0";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += c;
    }
  }
  out += "`";
  return out;
}

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
inline Status validateComponent(std::string_view name, std::string_view comp) {
  const std::string prefix = "repository name " + quoted(name) + ": component " + quoted(comp);
  if (comp.empty()) return invalidArgumentError(prefix + " is empty (no leading, trailing or double `/`)");
  if (!isLowerAlnum(comp.front()))
    return invalidArgumentError(prefix + " must start with a lowercase letter or digit");
  if (!isLowerAlnum(comp.back()))
    return invalidArgumentError(prefix + " must end with a lowercase letter or digit");
  size_t i = 0;
  while (i < comp.size()) {
    char c = comp[i];
    if (isLowerAlnum(c)) {
      ++i;
      continue;
    }
    if (c >= 'A' && c <= 'Z')
      return invalidArgumentError(prefix + " contains uppercase `" + std::string(1, c) +
                                  "`; repository names must be lowercase");
    // separator run: ".", "_", "__" or "-+"
    size_t j = i;
    while (j < comp.size() && !isLowerAlnum(comp[j])) ++j;
    std::string_view sep = comp.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) {
      for (char s : sep) {
        if (s != '.' && s != '_' && s != '-') {
          return invalidArgumentError(prefix + " contains character " +
                                      quoted(std::string_view(&s, 1)) +
                                      "; allowed are [a-z0-9] and the separators . _ __ -");
        }
      }
      return invalidArgumentError(prefix + " has separator run " + quoted(sep) +
                                  "; allowed are `.`, `_`, `__` or dashes");
    }
    i = j;
  }
  return Status();
}
}  // namespace names_detail

inline Status validateRepositoryName(std::string_view name) {
  using names_detail::quoted;
  if (name.empty()) return invalidArgumentError("repository name is empty");
  if (name.size() > kMaxRepositoryNameLength)
    return invalidArgumentError("repository name " + quoted(name.substr(0, 40)) + "... is " +
                                std::to_string(name.size()) + " characters; the limit is " +
                                std::to_string(kMaxRepositoryNameLength));
  if (name.find('\0') != std::string_view::npos)
    return invalidArgumentError("repository name " + quoted(name) + " contains a NUL byte");
  if (name.front() == '/')
    return invalidArgumentError("repository name " + quoted(name) +
                                " is an absolute path; expected <namespace>/<repository>");
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    std::string_view comp =
        name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    TRIB_RETURN_IF_ERROR(names_detail::validateComponent(name, comp));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status();
}

inline Status validateTag(std::string_view tag) {
  using names_detail::quoted;
  if (tag.empty()) return invalidArgumentError("tag is empty");
  if (tag.size() > kMaxTagLength)
    return invalidArgumentError("tag " + quoted(tag.substr(0, 40)) + "... is " +
                                std::to_string(tag.size()) + " characters; the limit is 128");
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (!word(tag.front()))
    return invalidArgumentError("tag " + quoted(tag) +
                                " must start with a letter, digit or `_` ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})");
  for (char c : tag) {
    if (!word(c) && c != '.' && c != '-')
      return invalidArgumentError("tag " + quoted(tag) + " contains character " +
                                  quoted(std::string_view(&c, 1)) +
                                  "; allowed are [A-Za-z0-9._-]");
  }
  return Status();
}

inline Result<Digest> parseDigest(std::string_view digest) {
  using names_detail::quoted;
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos)
    return invalidArgumentError("digest " + quoted(digest) + " has no `<algorithm>:` prefix");
  std::string_view alg = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  size_t want = 0;
  if (alg == "sha256") {
    want = 64;
  } else if (alg == "sha512") {
    want = 128;
  } else {
    return invalidArgumentError("digest " + quoted(digest) + " uses algorithm " + quoted(alg) +
                                "; supported are sha256 and sha512");
  }
  if (hex.size() != want)
    return invalidArgumentError("digest " + quoted(digest) + ": " + std::string(alg) + " needs " +
                                std::to_string(want) + " hex characters, got " +
                                std::to_string(hex.size()));
  for (char c : hex) {
    if (!names_detail::isLowerHex(c)) {
      if ((c >= 'A' && c <= 'F'))
        return invalidArgumentError("digest " + quoted(digest) + " has uppercase hex; digests must be lowercase");
      return invalidArgumentError("digest " + quoted(digest) + " contains non-hex character " +
                                  quoted(std::string_view(&c, 1)));
    }
  }
  return Digest{std::string(alg), std::string(hex)};
}

}  // namespace tributary
