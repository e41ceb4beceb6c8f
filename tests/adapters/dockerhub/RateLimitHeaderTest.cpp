#define BOOST_TEST_MODULE dockerhub_adapter_tests
#include <boost/test/unit_test.hpp>

#include "tributary/dockerhub/RateLimitHeader.h"

using tributary::dockerhub::RateLimitHeader;

BOOST_AUTO_TEST_SUITE(RateLimitHeaderTest)

BOOST_AUTO_TEST_CASE(count_and_window_as_docker_hub_sends_them) {
  auto h = RateLimitHeader::parse("100;w=21600");
  BOOST_REQUIRE(h);
  BOOST_TEST(h->count == 100);
  BOOST_TEST(*h->windowSeconds == 21600);
  auto spaced = RateLimitHeader::parse(" 76 ; w=21600 ");
  BOOST_REQUIRE(spaced);
  BOOST_TEST(spaced->count == 76);
  BOOST_TEST(*spaced->windowSeconds == 21600);
}

BOOST_AUTO_TEST_CASE(a_bare_number_has_no_window_and_garbage_is_refused) {
  auto bare = RateLimitHeader::parse("7");
  BOOST_REQUIRE(bare);
  BOOST_TEST(bare->count == 7);
  BOOST_TEST(!bare->windowSeconds.has_value());
  BOOST_TEST(!RateLimitHeader::parse("").has_value());
  BOOST_TEST(!RateLimitHeader::parse("w=100").has_value());
  BOOST_TEST(!RateLimitHeader::parse("-3;w=1").has_value());
}

BOOST_AUTO_TEST_CASE(a_repeated_header_counts_its_first_value) {
  auto h = RateLimitHeader::parse("4;w=10, 200;w=21600");
  BOOST_REQUIRE(h);
  BOOST_TEST(h->count == 4);
  BOOST_TEST(*h->windowSeconds == 10);
}

BOOST_AUTO_TEST_SUITE_END()
