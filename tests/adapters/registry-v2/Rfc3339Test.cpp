// Parsing image config `created` timestamps (RFC 3339 with fractions and zones) to ms.
#include <boost/test/unit_test.hpp>

#include "tributary/registry/Rfc3339.h"

using tributary::registry::Rfc3339;

BOOST_AUTO_TEST_SUITE(Rfc3339Test)

BOOST_AUTO_TEST_CASE(parses_utc_without_fraction) {
  auto ms = Rfc3339::parseMs("2024-05-01T10:20:30Z");
  BOOST_REQUIRE(ms.has_value());
  BOOST_TEST(*ms == 1714558830000LL);
}

BOOST_AUTO_TEST_CASE(truncates_nanoseconds_to_milliseconds) {
  auto ms = Rfc3339::parseMs("2024-05-01T10:20:30.123456789Z");
  BOOST_REQUIRE(ms.has_value());
  BOOST_TEST(*ms == 1714558830123LL);
  BOOST_TEST(*Rfc3339::parseMs("2024-05-01T10:20:30.5Z") == 1714558830500LL);
}

BOOST_AUTO_TEST_CASE(applies_zone_offsets) {
  // 12:20:30+02:00 is 10:20:30Z; 05:20:30-05:00 is 10:20:30Z.
  BOOST_TEST(*Rfc3339::parseMs("2024-05-01T12:20:30+02:00") == 1714558830000LL);
  BOOST_TEST(*Rfc3339::parseMs("2024-05-01T05:20:30.000-05:00") == 1714558830000LL);
}

BOOST_AUTO_TEST_CASE(epoch_and_leap_day) {
  BOOST_TEST(*Rfc3339::parseMs("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(*Rfc3339::parseMs("2024-02-29T00:00:00Z") == 1709164800000LL);
  BOOST_TEST(!Rfc3339::parseMs("2023-02-29T00:00:00Z").has_value());
}

BOOST_AUTO_TEST_CASE(rejects_malformed) {
  BOOST_TEST(!Rfc3339::parseMs("").has_value());
  BOOST_TEST(!Rfc3339::parseMs("2024-05-01").has_value());
  BOOST_TEST(!Rfc3339::parseMs("2024-05-01T10:20:30").has_value());  // no zone
  BOOST_TEST(!Rfc3339::parseMs("2024-13-01T10:20:30Z").has_value());
  BOOST_TEST(!Rfc3339::parseMs("2024-05-01T10:20:30.Z").has_value());
  BOOST_TEST(!Rfc3339::parseMs("2024-05-01T10:20:30Zjunk").has_value());
}

BOOST_AUTO_TEST_CASE(rejects_instants_outside_four_digit_years) {
  // Written in years 0000 and 9999, but outside them once the offset is applied: no UTC form.
  BOOST_TEST(!Rfc3339::parseMs("0000-01-01T02:34:56+05:00").has_value());
  BOOST_TEST(!Rfc3339::parseMs("9999-12-31T23:00:00-05:00").has_value());
  // The edges themselves round trip.
  auto first = Rfc3339::parseMs("0000-01-01T00:00:00Z");
  auto last = Rfc3339::parseMs("9999-12-31T23:59:59.999Z");
  BOOST_REQUIRE(first.has_value());
  BOOST_REQUIRE(last.has_value());
  BOOST_TEST(Rfc3339::formatMs(*first) == "0000-01-01T00:00:00Z");
  BOOST_TEST(Rfc3339::formatMs(*last) == "9999-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(formats_round_trip) {
  BOOST_TEST(Rfc3339::formatMs(1714558830123LL) == "2024-05-01T10:20:30.123Z");
  BOOST_TEST(Rfc3339::formatMs(1714558830000LL) == "2024-05-01T10:20:30Z");
  BOOST_TEST(Rfc3339::formatMs(0) == "1970-01-01T00:00:00Z");
  BOOST_TEST(*Rfc3339::parseMs(Rfc3339::formatMs(1709164800999LL)) == 1709164800999LL);
}

BOOST_AUTO_TEST_SUITE_END()
