// rp/host.hpp's ProviderOwnedString with rp/provider.hpp's allocator, and HostOwnedString.
#include "rp/host.hpp"

#include <boost/test/unit_test.hpp>

#include "FakeHost.h"
#include "rp/provider.hpp"

namespace {
int freed = 0;
void countingFree(rp_provider_owned_str* str) {
  ++freed;
  rp::freeProviderOwnedString(str);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ProviderOwnedStringTest)

BOOST_AUTO_TEST_CASE(made_strings_are_nul_terminated_copies) {
  rp_provider_owned_str s = rp::makeProviderOwnedString(std::string_view("abc\0d", 5));
  BOOST_REQUIRE(s.ptr != nullptr);
  BOOST_TEST(s.len == 5u);
  BOOST_TEST(s.ptr[5] == '\0');
  rp::freeProviderOwnedString(&s);
  BOOST_TEST(s.ptr == nullptr);
  BOOST_TEST(s.len == 0u);
  rp::freeProviderOwnedString(&s);  // NULL ptr: no-op
  rp::setProviderOwnedString(nullptr, "ignored");  // NULL out-param: no-op
}

BOOST_AUTO_TEST_CASE(owner_frees_exactly_once_through_the_provider) {
  freed = 0;
  {
    rp::ProviderOwnedString a(countingFree);
    *a.out() = rp::makeProviderOwnedString("first");
    BOOST_TEST(a.view() == "first");
    *a.out() = rp::makeProviderOwnedString("second");  // out() released "first"
    BOOST_TEST(freed == 1);
    rp::ProviderOwnedString b = std::move(a);
    BOOST_TEST(a.empty());
    BOOST_TEST(b.str() == "second");
  }
  BOOST_TEST(freed == 2);
  {
    rp::ProviderOwnedString none(countingFree);
    none.out();  // never filled
  }
  BOOST_TEST(freed == 2);  // {NULL, 0} is not passed to free_str
}

BOOST_AUTO_TEST_CASE(host_owned_string_frees_through_the_host) {
  FakeHost host;
  rp::HostOwnedString s(host.table());
  char* text = static_cast<char*>(std::malloc(3));
  std::memcpy(text, "hi", 3);
  *s.out() = rp_host_owned_str{text, 2};
  BOOST_TEST(s.view() == "hi");
  s.reset();
  BOOST_TEST(s.empty());
}

BOOST_AUTO_TEST_SUITE_END()
