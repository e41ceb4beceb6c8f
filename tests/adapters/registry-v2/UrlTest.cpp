// URL parsing and reference resolution: Location and Link headers, byte-exact targets.
#include <boost/test/unit_test.hpp>

#include "LinkHeader.h"
#include "Url.h"

using tributary::registry::LinkHeader;
using tributary::registry::Url;

BOOST_AUTO_TEST_SUITE(UrlTest)

BOOST_AUTO_TEST_CASE(parse_keeps_target_bytes_exact) {
  auto u = Url::parse("https://Bucket.S3.example:8443/a%2Fb/c?X-Amz-Signature=ab%2B%3D&x=1#frag");
  BOOST_TEST_REQUIRE(u.isOk());
  BOOST_TEST(u->host() == "bucket.s3.example");
  BOOST_TEST(u->port() == 8443);
  BOOST_TEST(u->target() == "/a%2Fb/c?X-Amz-Signature=ab%2B%3D&x=1");
  BOOST_TEST(u->authority() == "bucket.s3.example:8443");
  BOOST_TEST(Url::parse("https://h/")->port() == 443);
  BOOST_TEST(Url::parse("http://h")->target() == "/");
  BOOST_TEST(Url::parse("http://[::1]:5000/v2/")->host() == "::1");
  BOOST_TEST(!Url::parse("ftp://h/").isOk());
  BOOST_TEST(!Url::parse("http://user:pw@h/").isOk());
  BOOST_TEST(!Url::parse("http://h:99999/").isOk());
  BOOST_TEST(!Url::parse("http://h/a b").isOk());
}

BOOST_AUTO_TEST_CASE(resolve_references) {
  auto base = *Url::parse("https://r.example/v2/foo/bar/tags/list?n=2");
  BOOST_TEST(base.resolve("/v2/foo/bar/tags/list?n=2&last=b")->toString() ==
             "https://r.example/v2/foo/bar/tags/list?n=2&last=b");
  BOOST_TEST(base.resolve("list?last=c")->toString() == "https://r.example/v2/foo/bar/tags/list?last=c");
  BOOST_TEST(base.resolve("../x")->toString() == "https://r.example/v2/foo/bar/x");
  BOOST_TEST(base.resolve("?last=z")->toString() == "https://r.example/v2/foo/bar/tags/list?last=z");
  BOOST_TEST(base.resolve("//cdn.example/blob")->toString() == "https://cdn.example/blob");
  BOOST_TEST(base.resolve("http://other:81/p?q=http://x")->toString() == "http://other:81/p?q=http://x");
  BOOST_TEST(base.resolve("/a?next=https://evil/")->host() == "r.example");
  BOOST_TEST(!base.sameOrigin(*base.resolve("http://r.example/")));
}

BOOST_AUTO_TEST_CASE(link_header_next) {
  BOOST_TEST(LinkHeader::nextReference(R"(</v2/x/tags/list?last=b&n=2>; rel="next")") ==
             "/v2/x/tags/list?last=b&n=2");
  BOOST_TEST(LinkHeader::nextReference(R"(<https://a/prev>; rel="prev", <https://a/next>; rel=next)") ==
             "https://a/next");
  BOOST_TEST(LinkHeader::nextReference(R"(<https://a/n>; title="x, y"; rel="first next")") ==
             "https://a/n");
  BOOST_TEST(LinkHeader::nextReference(R"(<https://a/p>; rel="prev")").empty());
  BOOST_TEST(LinkHeader::nextReference("").empty());
}

// Found by fuzz_link_header: a target holding '<' (or spaces, controls, quotes) is not a URI
// reference; that link is skipped, and a later well-formed next link is still found.
BOOST_AUTO_TEST_CASE(link_header_skips_malformed_targets) {
  BOOST_TEST(LinkHeader::nextReference(R"(<</v2/x/tags/list?last=b&n=100>; rel="next")").empty());
  BOOST_TEST(LinkHeader::nextReference("</v2/x\x1e/tags/list>; rel=\"next\"").empty());
  BOOST_TEST(LinkHeader::nextReference(R"(</a b>; rel="next")").empty());
  BOOST_TEST(LinkHeader::nextReference(R"(<>; rel="next")").empty());
  BOOST_TEST(LinkHeader::nextReference(R"(<</bad>; rel="next", </v2/x/tags/list?last=c>; rel="next")") ==
             "/v2/x/tags/list?last=c");
}

BOOST_AUTO_TEST_SUITE_END()
