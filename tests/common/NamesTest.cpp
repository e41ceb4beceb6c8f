// Grammar tests for tributary/Names.h: every name that reaches a filesystem path passes here.
#define BOOST_TEST_MODULE common_tests
#include <boost/test/unit_test.hpp>

#include <string>

#include "tributary/Names.h"

using namespace tributary;
using namespace std::string_literals;

namespace {

// The status is INVALID_ARGUMENT and its message contains `fragment`.
void expectRejected(const Status& status, const std::string& fragment) {
  BOOST_TEST_CONTEXT("message: " << status.message()) {
    BOOST_TEST(!status.isOk());
    BOOST_TEST(static_cast<int>(status.code()) == static_cast<int>(StatusCode::kInvalidArgument));
    BOOST_TEST(status.message().find(fragment) != std::string::npos,
               "expected fragment `" << fragment << "`");
  }
}

const std::string kHex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kHex128 = kHex64 + kHex64;

}  // namespace

BOOST_AUTO_TEST_SUITE(RepositoryNames)

BOOST_AUTO_TEST_CASE(accepts_the_oci_grammar) {
  for (const char* name :
       {"a", "library/nginx", "mirror/nginx", "a0/b1/c2", "foo.bar", "foo_bar", "foo__bar",
        "foo-bar", "foo---bar", "0", "x.y.z/a-b_c__d", "gcr.io/google-containers/pause"}) {
    BOOST_TEST_CONTEXT(name) { BOOST_TEST(validateRepositoryName(name).isOk()); }
  }
}

BOOST_AUTO_TEST_CASE(rejects_empty) { expectRejected(validateRepositoryName(""), "repository name is empty"); }

BOOST_AUTO_TEST_CASE(rejects_path_traversal) {
  expectRejected(validateRepositoryName("../x"), "component `..` must start with a lowercase letter or digit");
  expectRejected(validateRepositoryName("a/../b"), "component `..`");
  expectRejected(validateRepositoryName("a/./b"), "component `.`");
  expectRejected(validateRepositoryName(".."), "must start with a lowercase letter or digit");
}

BOOST_AUTO_TEST_CASE(rejects_absolute_paths) {
  expectRejected(validateRepositoryName("/etc/passwd"), "is an absolute path");
}

BOOST_AUTO_TEST_CASE(rejects_nul_bytes) {
  expectRejected(validateRepositoryName("a\0b"s), "contains a NUL byte");
  // The NUL is shown escaped, never raw.
  BOOST_TEST(validateRepositoryName("a\0b"s).message().find("`a\\0b`") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_uppercase) {
  expectRejected(validateRepositoryName("library/nGinx"), "contains uppercase `G`; repository names must be lowercase");
  expectRejected(validateRepositoryName("Library/nginx"), "component `Library` must start with a lowercase letter or digit");
}

BOOST_AUTO_TEST_CASE(rejects_empty_components) {
  expectRejected(validateRepositoryName("a//b"), "component `` is empty (no leading, trailing or double `/`)");
  expectRejected(validateRepositoryName("a/"), "is empty");
}

BOOST_AUTO_TEST_CASE(rejects_underscore_prefixed_components) {
  expectRejected(validateRepositoryName("_layers"), "component `_layers` must start with a lowercase letter or digit");
  expectRejected(validateRepositoryName("repo/_manifests"), "component `_manifests`");
  expectRejected(validateRepositoryName("a/.tmp-1"), "component `.tmp-1`");
}

BOOST_AUTO_TEST_CASE(rejects_bad_endings_and_separators) {
  expectRejected(validateRepositoryName("a-"), "must end with a lowercase letter or digit");
  expectRejected(validateRepositoryName("a___b"), "has separator run `___`");
  expectRejected(validateRepositoryName("a.-b"), "has separator run `.-`");
  expectRejected(validateRepositoryName("a..b"), "has separator run `..`");
  expectRejected(validateRepositoryName("a@b"), "contains character `@`");
  expectRejected(validateRepositoryName("a b"), "contains character ` `");
  expectRejected(validateRepositoryName("a:b"), "contains character `:`");
  expectRejected(validateRepositoryName("a\\b"), "contains character `\\`");
}

BOOST_AUTO_TEST_CASE(control_characters_are_not_echoed_raw) {
  Status s = validateRepositoryName("a\nb");
  BOOST_TEST(!s.isOk());
  BOOST_TEST(s.message().find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(enforces_length_limit) {
  std::string longest = std::string(127, 'a') + "/" + std::string(127, 'b');
  BOOST_TEST(longest.size() == kMaxRepositoryNameLength);
  BOOST_TEST(validateRepositoryName(longest).isOk());
  expectRejected(validateRepositoryName(longest + "c"), "is 256 characters; the limit is 255");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(Tags)

BOOST_AUTO_TEST_CASE(accepts_the_tag_grammar) {
  for (const char* tag : {"latest", "v1.2.3", "_", "A", "1.25-alpine", "Latest", "x_y.z-w", "sha256-abc"}) {
    BOOST_TEST_CONTEXT(tag) { BOOST_TEST(validateTag(tag).isOk()); }
  }
  BOOST_TEST(validateTag(std::string(kMaxTagLength, 'a')).isOk());
}

BOOST_AUTO_TEST_CASE(rejects_bad_tags) {
  expectRejected(validateTag(""), "tag is empty");
  expectRejected(validateTag("."), "must start with a letter, digit or `_`");
  expectRejected(validateTag(".."), "must start with a letter, digit or `_`");
  expectRejected(validateTag(".tmp-abc"), "must start with a letter, digit or `_`");
  expectRejected(validateTag("-rc"), "must start with a letter, digit or `_`");
  expectRejected(validateTag("a/b"), "contains character `/`; allowed are [A-Za-z0-9._-]");
  expectRejected(validateTag("../../x"), "must start with");
  expectRejected(validateTag("v1:2"), "contains character `:`");
  expectRejected(validateTag("v 1"), "contains character ` `");
  expectRejected(validateTag("v\0"s), "contains character `\\0`");
  expectRejected(validateTag(std::string(kMaxTagLength + 1, 'a')), "is 129 characters; the limit is 128");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(Digests)

BOOST_AUTO_TEST_CASE(parses_sha256_and_sha512) {
  Result<Digest> d = parseDigest("sha256:" + kHex64);
  BOOST_REQUIRE(d.isOk());
  BOOST_TEST(d->algorithm == "sha256");
  BOOST_TEST(d->hex == kHex64);
  BOOST_TEST(d->toString() == "sha256:" + kHex64);

  Result<Digest> e = parseDigest("sha512:" + kHex128);
  BOOST_REQUIRE(e.isOk());
  BOOST_TEST(e->algorithm == "sha512");
  BOOST_TEST(e->hex.size() == 128u);
  BOOST_TEST(validateDigest("sha512:" + kHex128).isOk());
}

BOOST_AUTO_TEST_CASE(rejects_bad_digests) {
  expectRejected(parseDigest(kHex64).status(), "has no `<algorithm>:` prefix");
  expectRejected(parseDigest("").status(), "has no `<algorithm>:` prefix");
  expectRejected(parseDigest("md5:" + kHex64).status(), "uses algorithm `md5`; supported are sha256 and sha512");
  expectRejected(parseDigest("sha384:" + kHex64).status(), "supported are sha256 and sha512");
  expectRejected(parseDigest("SHA256:" + kHex64).status(), "uses algorithm `SHA256`");
  expectRejected(parseDigest("sha256:" + kHex64.substr(1)).status(), "sha256 needs 64 hex characters, got 63");
  expectRejected(parseDigest("sha256:" + kHex64 + "0").status(), "got 65");
  expectRejected(parseDigest("sha512:" + kHex64).status(), "sha512 needs 128 hex characters, got 64");
  std::string upper = kHex64;
  upper[10] = 'A';
  expectRejected(parseDigest("sha256:" + upper).status(), "has uppercase hex; digests must be lowercase");
  std::string bad = kHex64;
  bad[0] = 'g';
  expectRejected(parseDigest("sha256:" + bad).status(), "contains non-hex character `g`");
  std::string traversal = "../" + kHex64.substr(3);
  expectRejected(parseDigest("sha256:" + traversal).status(), "contains non-hex character `.`");
  std::string nul = kHex64;
  nul[5] = '\0';
  expectRejected(parseDigest("sha256:" + nul).status(), "contains non-hex character `\\0`");
  expectRejected(validateDigest("sha256:"), "got 0");
}

BOOST_AUTO_TEST_SUITE_END()
