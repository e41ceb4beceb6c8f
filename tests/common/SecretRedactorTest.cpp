// SecretRedactor: what the provider remembers never leaves in a message, in any form a
// message can carry it (as written, JSON-escaped, as a Basic header), and nothing else is
// touched.
#include "tributary/SecretRedactor.h"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace tributary;

BOOST_AUTO_TEST_SUITE(SecretRedactorTest)

BOOST_AUTO_TEST_CASE(a_password_echoed_by_a_source_is_redacted_as_written_and_as_basic) {
  SecretRedactor r;
  r.rememberBasic("alice", "EchoedSecretPw123");
  const std::string echoed =
      "listing tags: HTTP 403 (DENIED: bad credentials: Basic "
      "YWxpY2U6RWNob2VkU2VjcmV0UHcxMjM= (alice:EchoedSecretPw123))";
  BOOST_TEST(r.redact(echoed) ==
             "listing tags: HTTP 403 (DENIED: bad credentials: Basic <redacted> "
             "(alice:<redacted>))");
}

BOOST_AUTO_TEST_CASE(json_escaped_secrets_are_redacted_inside_a_report) {
  SecretRedactor r;
  r.rememberCredential("pa\"ss\\word");
  BOOST_TEST(r.redact(R"({"reason":"token pa\"ss\\word refused"})") ==
             R"({"reason":"token <redacted> refused"})");
}

BOOST_AUTO_TEST_CASE(every_occurrence_and_the_longest_secret_first) {
  SecretRedactor r;
  r.rememberIssued("token-abcdef");
  r.rememberIssued("token-abcdef-longer");
  BOOST_TEST(r.redact("token-abcdef-longer / token-abcdef / token-abcdef") ==
             "<redacted> / <redacted> / <redacted>");
}

BOOST_AUTO_TEST_CASE(short_secrets_and_other_text_are_left_alone) {
  SecretRedactor r;
  r.rememberCredential("abc");
  r.rememberBasic("u", "");
  BOOST_TEST(r.size() == 0u);
  const std::string text = "sha256:abcabc tag abc";
  BOOST_TEST(r.redact(text) == text);
}

BOOST_AUTO_TEST_CASE(issued_tokens_are_bounded_credentials_are_kept) {
  SecretRedactor r;
  r.rememberBasic("alice", "credential-password");
  for (size_t i = 0; i < SecretRedactor::kMaxIssued + 10; ++i)
    r.rememberIssued("issued-token-" + std::to_string(i));
  BOOST_TEST(r.size() == SecretRedactor::kMaxIssued + 2);  // + the password and its Basic
  BOOST_TEST(r.redact("credential-password") == "<redacted>");
  BOOST_TEST(r.redact("issued-token-0!") == "issued-token-0!");  // the oldest, forgotten
  const std::string newest = "issued-token-" + std::to_string(SecretRedactor::kMaxIssued + 9);
  BOOST_TEST(r.redact(newest) == "<redacted>");
}

BOOST_AUTO_TEST_SUITE_END()
