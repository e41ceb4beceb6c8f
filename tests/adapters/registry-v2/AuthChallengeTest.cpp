// WWW-Authenticate parsing: the shapes real registries send, and the edge cases around them.
#define BOOST_TEST_MODULE registry_v2_tests
#include <boost/test/unit_test.hpp>

#include "AuthChallenge.h"

using tributary::registry::AuthChallenge;

BOOST_AUTO_TEST_SUITE(AuthChallengeTest)

BOOST_AUTO_TEST_CASE(docker_hub_bearer_challenge) {
  auto cs = AuthChallenge::parseHeader(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull")");
  BOOST_TEST_REQUIRE(cs.size() == 1u);
  BOOST_TEST(cs[0].scheme == "bearer");
  BOOST_TEST(cs[0].param("realm") == "https://auth.docker.io/token");
  BOOST_TEST(cs[0].param("service") == "registry.docker.io");
  BOOST_TEST(cs[0].param("scope") == "repository:library/nginx:pull");
}

BOOST_AUTO_TEST_CASE(scheme_and_keys_are_lower_cased_values_kept) {
  auto cs = AuthChallenge::parseHeader(R"(BEARER Realm="https://X.example/Token", SERVICE=Quay.IO)");
  BOOST_TEST_REQUIRE(cs.size() == 1u);
  BOOST_TEST(cs[0].scheme == "bearer");
  BOOST_TEST(cs[0].param("realm") == "https://X.example/Token");
  BOOST_TEST(cs[0].param("service") == "Quay.IO");
}

BOOST_AUTO_TEST_CASE(quoted_string_escapes_and_commas_inside_quotes) {
  auto cs = AuthChallenge::parseHeader(
      R"(Bearer realm="https://a/t",scope="repository:a/b:pull,push repository:c:pull",error="say \"hi\", \\ok")");
  BOOST_TEST_REQUIRE(cs.size() == 1u);
  BOOST_TEST(cs[0].param("scope") == "repository:a/b:pull,push repository:c:pull");
  BOOST_TEST(cs[0].param("error") == "say \"hi\", \\ok");
}

BOOST_AUTO_TEST_CASE(several_challenges_in_one_header) {
  auto cs = AuthChallenge::parseHeader(
      R"(Basic realm="Registry Realm", Bearer realm="https://a/token",service="a")");
  BOOST_TEST_REQUIRE(cs.size() == 2u);
  BOOST_TEST(cs[0].scheme == "basic");
  BOOST_TEST(cs[0].param("realm") == "Registry Realm");
  BOOST_TEST(cs[1].scheme == "bearer");
  BOOST_TEST(cs[1].param("service") == "a");
}

BOOST_AUTO_TEST_CASE(several_headers) {
  auto cs = AuthChallenge::parseHeaders({R"(Basic realm="r")", R"(Bearer realm="https://t")"});
  BOOST_TEST_REQUIRE(cs.size() == 2u);
  BOOST_TEST(cs[1].param("realm") == "https://t");
}

BOOST_AUTO_TEST_CASE(missing_service_and_scope_and_bare_scheme) {
  auto cs = AuthChallenge::parseHeader(R"(Bearer realm="https://gcr.io/v2/token")");
  BOOST_TEST_REQUIRE(cs.size() == 1u);
  BOOST_TEST(cs[0].param("service").empty());
  BOOST_TEST(cs[0].param("scope").empty());
  auto bare = AuthChallenge::parseHeader("Negotiate");
  BOOST_TEST_REQUIRE(bare.size() == 1u);
  BOOST_TEST(bare[0].scheme == "negotiate");
  BOOST_TEST(bare[0].params.empty());
}

BOOST_AUTO_TEST_CASE(unterminated_quote_and_garbage_do_not_crash) {
  auto cs = AuthChallenge::parseHeader(R"(Bearer service=s, realm="https://a/t, x)");
  BOOST_TEST_REQUIRE(cs.size() == 1u);
  BOOST_TEST(cs[0].scheme == "bearer");
  BOOST_TEST(cs[0].param("service") == "s");
  BOOST_TEST(cs[0].param("realm") == "https://a/t, x");
  BOOST_TEST(AuthChallenge::parseHeader("").empty());
  BOOST_TEST(AuthChallenge::parseHeader(" , ,").empty());
  auto odd = AuthChallenge::parseHeader("Bearer =x, realm=\"r\"");
  BOOST_TEST(odd.size() >= 1u);
}

BOOST_AUTO_TEST_CASE(insufficient_scope_error) {
  auto cs = AuthChallenge::parseHeader(
      R"(Bearer realm="https://a/t",service="s",scope="repository:x:pull",error="insufficient_scope")");
  BOOST_TEST_REQUIRE(cs.size() == 1u);
  BOOST_TEST(cs[0].param("error") == "insufficient_scope");
}

BOOST_AUTO_TEST_SUITE_END()
