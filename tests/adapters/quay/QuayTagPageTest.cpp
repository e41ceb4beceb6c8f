#define BOOST_TEST_MODULE quay_adapter_tests
#include <boost/test/unit_test.hpp>

#include "tributary/quay/QuayTagPage.h"

using tributary::quay::QuayTagPage;

BOOST_AUTO_TEST_SUITE(QuayTagPageTest)

// quay endpoints/api/tag.py shape (registry-facts §D.3).
BOOST_AUTO_TEST_CASE(start_ts_in_seconds_and_has_additional) {
  const char* body = R"({"page":1,"has_additional":true,"tags":[
    {"name":"v2","reversion":false,"start_ts":1700000100,"manifest_digest":"sha256:bb",
     "is_manifest_list":true,"size":null,"last_modified":"Tue, 14 Nov 2023 22:15:00 -0000"},
    {"name":"gone","start_ts":1600000000,"end_ts":1650000000,"manifest_digest":"sha256:cc"},
    {"name":"later","start_ts":1600000000,"end_ts":1900000000,"manifest_digest":"sha256:dd"},
    {"name":"nots","manifest_digest":"sha256:ee"}]})";
  auto page = QuayTagPage::parse(body, 1700000200);
  BOOST_REQUIRE(page.isOk());
  BOOST_TEST(page->hasAdditional);
  BOOST_REQUIRE(page->tags.size() == 3u);  // the expired one is history
  BOOST_TEST(page->tags[0].name == "v2");
  BOOST_TEST(*page->tags[0].pushedAtMs == 1700000100000);
  BOOST_TEST(page->tags[0].digest == "sha256:bb");
  BOOST_TEST(page->tags[1].name == "later");  // expires in the future: still active
  BOOST_TEST(!page->tags[2].pushedAtMs.has_value());
}

BOOST_AUTO_TEST_CASE(the_last_page_and_bad_shapes) {
  auto last = QuayTagPage::parse(R"({"page":3,"has_additional":false,"tags":[]})", 0);
  BOOST_REQUIRE(last.isOk());
  BOOST_TEST(!last->hasAdditional);
  BOOST_TEST(!QuayTagPage::parse(R"({"page":1})", 0).isOk());
  BOOST_TEST(!QuayTagPage::parse("nope", 0).isOk());
}

BOOST_AUTO_TEST_SUITE_END()
