// rp/provider.hpp's ReceivedTable, against tables "built" with older and newer headers.
#include "rp/provider.hpp"

#include <boost/test/unit_test.hpp>

#include "FakeHost.h"

BOOST_AUTO_TEST_SUITE(ReceivedTableTest)

BOOST_AUTO_TEST_CASE(full_table_is_copied_and_complete) {
  FakeHost host;
  rp::ReceivedTable<rp_host_v1> table(host.table());
  RP_REQUIRE_MEMBER(table, rp_host_v1, log);
  RP_REQUIRE_MEMBER(table, rp_host_v1, free_str);
  RP_REQUIRE_MEMBER(table, rp_host_v1, host_name);
  BOOST_TEST(table.complete());
  BOOST_TEST(table.missing().empty());
  BOOST_TEST(table->user_data == static_cast<const void*>(&host));
  BOOST_TEST(table->struct_size == sizeof(rp_host_v1));
}

BOOST_AUTO_TEST_CASE(older_smaller_table_zeroes_the_rest) {
  FakeHost host;
  host.mutableTable().struct_size = offsetof(rp_host_v1, secret_get);
  rp::ReceivedTable<rp_host_v1> table(host.table());
  RP_REQUIRE_MEMBER(table, rp_host_v1, log);
  RP_REQUIRE_MEMBER(table, rp_host_v1, secret_get);
  RP_REQUIRE_MEMBER(table, rp_host_v1, free_str);
  BOOST_TEST(!table.complete());
  BOOST_TEST(table.missing() == "secret_get, free_str");
  // Members beyond the received size are zero in the copy even though the sender has them.
  BOOST_TEST(table->free_str == nullptr);
  BOOST_TEST(table->log != nullptr);
}

BOOST_AUTO_TEST_CASE(newer_bigger_table_is_clamped) {
  struct Bigger {
    rp_host_v1 v1;
    uint64_t appended;
  } bigger{};
  FakeHost host;
  bigger.v1 = *host.table();
  bigger.v1.struct_size = sizeof(Bigger);
  rp::ReceivedTable<rp_host_v1> table(&bigger.v1);
  BOOST_TEST(table->struct_size == sizeof(rp_host_v1));
  RP_REQUIRE_MEMBER(table, rp_host_v1, free_str);
  BOOST_TEST(table.complete());
}

BOOST_AUTO_TEST_CASE(null_pointer_members_count_as_missing) {
  FakeHost host;
  rp::ReceivedTable<rp_host_v1> table(host.table());
  RP_REQUIRE_MEMBER(table, rp_host_v1, storage);  // FakeHost has no storage
  BOOST_TEST(table.missing() == "storage");
}

BOOST_AUTO_TEST_CASE(null_table_is_incomplete) {
  rp::ReceivedTable<rp_host_v1> table(nullptr);
  BOOST_TEST(!table.complete());
  BOOST_TEST(table.missing() == "(no table)");
}

BOOST_AUTO_TEST_SUITE_END()
