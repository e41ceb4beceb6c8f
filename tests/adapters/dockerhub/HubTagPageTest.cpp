#include <boost/test/unit_test.hpp>

#include "tributary/dockerhub/HubTagPage.h"
#include "tributary/registry/VendorEndpoint.h"

using tributary::dockerhub::HubTagPage;

BOOST_AUTO_TEST_SUITE(HubTagPageTest)

// The documented `paginated_tags` shape (registry-facts §D.1), trimmed.
BOOST_AUTO_TEST_CASE(tag_last_pushed_orders_and_last_updated_is_the_fallback) {
  const char* body = R"({"count":3,
    "next":"https://hub.docker.com/v2/namespaces/library/repositories/nginx/tags?page=2&page_size=100",
    "previous":null,
    "results":[
      {"name":"1.27","last_updated":"2024-05-01T00:00:00Z","tag_last_pushed":"2024-06-02T10:20:30.5Z",
       "digest":"sha256:aa","images":[{"architecture":"amd64","os":"linux"},
                                      {"architecture":"arm","os":"linux","variant":"v7"}]},
      {"name":"old","last_updated":"2023-01-01T00:00:00Z","tag_last_pushed":null,"images":[]},
      {"name":"bare"}
    ]})";
  auto page = HubTagPage::parse(body);
  BOOST_REQUIRE(page.isOk());
  BOOST_TEST(page->next ==
             "https://hub.docker.com/v2/namespaces/library/repositories/nginx/tags?page=2&page_size=100");
  BOOST_REQUIRE(page->tags.size() == 3u);
  BOOST_TEST(page->tags[0].name == "1.27");
  BOOST_TEST(*page->tags[0].pushedAtMs == 1717323630500);
  BOOST_TEST(page->tags[0].timestampSource == "hub.tag_last_pushed");
  BOOST_REQUIRE(page->tags[0].platforms.size() == 2u);
  BOOST_TEST(page->tags[0].platforms[1].variant == "v7");
  BOOST_TEST(*page->tags[1].pushedAtMs == 1672531200000);
  BOOST_TEST(page->tags[1].timestampSource == "hub.last_updated");
  BOOST_TEST(!page->tags[2].pushedAtMs.has_value());
}

BOOST_AUTO_TEST_CASE(the_last_page_has_next_null) {
  auto page = HubTagPage::parse(R"({"count":0,"next":null,"previous":null,"results":[]})");
  BOOST_REQUIRE(page.isOk());
  BOOST_TEST(page->next.empty());
  BOOST_TEST(page->tags.empty());
}

BOOST_AUTO_TEST_CASE(not_the_documented_shape_is_data_loss) {
  BOOST_TEST(!HubTagPage::parse("<html>").isOk());
  BOOST_TEST(!HubTagPage::parse(R"({"count":1})").isOk());
}

// The `next` link must stay on the Hub API's origin (it carries the Hub token).
BOOST_AUTO_TEST_CASE(next_links_must_stay_on_the_api_origin) {
  auto e = tributary::registry::VendorEndpoint::parse("https://Hub.Docker.com/", "hub_api");
  BOOST_REQUIRE(e.isOk());
  BOOST_TEST(e->host == "hub.docker.com");
  BOOST_TEST(*e->targetOf("https://hub.docker.com/v2/x?page=2") == "/v2/x?page=2");
  BOOST_TEST(*e->targetOf("https://hub.docker.com:443/v2/x") == "/v2/x");
  BOOST_TEST(*e->targetOf("/v2/x?page=3") == "/v2/x?page=3");
  BOOST_TEST(!e->targetOf("https://hub.docker.com.evil.org/v2/x").isOk());
  BOOST_TEST(!e->targetOf("http://hub.docker.com/v2/x").isOk());
  BOOST_TEST(!e->targetOf("//evil.org/v2/x").isOk());
  BOOST_TEST(!tributary::registry::VendorEndpoint::parse("https://u:p@h", "x").isOk());
  BOOST_TEST(!tributary::registry::VendorEndpoint::parse("https://h/path", "x").isOk());
  BOOST_TEST(tributary::registry::VendorEndpoint::parse("http://127.0.0.1:8080", "x")->plainHttp);
}

BOOST_AUTO_TEST_SUITE_END()
