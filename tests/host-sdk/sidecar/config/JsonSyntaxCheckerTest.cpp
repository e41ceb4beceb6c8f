#include "tributary/config/JsonSyntaxChecker.h"

#include <boost/test/unit_test.hpp>

using tributary::config::JsonSyntaxChecker;

BOOST_AUTO_TEST_SUITE(JsonSyntaxCheckerTest)

BOOST_AUTO_TEST_CASE(valid_json_is_empty) {
  BOOST_TEST(JsonSyntaxChecker::check(R"({"a": [1, -2.5e3, true, false, null, "x\"\u00e9"]})")
                 .empty());
  BOOST_TEST(JsonSyntaxChecker::check(" \n[]\n").empty());
  BOOST_TEST(JsonSyntaxChecker::check("{}").empty());
}

BOOST_AUTO_TEST_CASE(errors_say_line_column_and_what_was_expected) {
  BOOST_TEST(JsonSyntaxChecker::check("{\n  \"a\": 1,\n  \"b\": tru\n}") ==
             "line 3, column 8: expected `true`");
  BOOST_TEST(JsonSyntaxChecker::check("{\"a\": 1}}") ==
             "line 1, column 9: unexpected text after the JSON value");
  BOOST_TEST(JsonSyntaxChecker::check("{\"a\": 1,") ==
             "line 1, column 9: expected a \"key\" in quotes, found the end of the text");
  BOOST_TEST(JsonSyntaxChecker::check("{\"a\" 1}") ==
             "line 1, column 6: expected `:` after the key, found `1`");
  BOOST_TEST(JsonSyntaxChecker::check("[1 2]") == "line 1, column 4: expected `,` or `]`, found `2`");
  BOOST_TEST(JsonSyntaxChecker::check("{'a': 1}") ==
             "line 1, column 2: expected a \"key\" in quotes, found `'`");
  BOOST_TEST(JsonSyntaxChecker::check("\"open") ==
             "line 1, column 6: expected `\"` to close the string, found the end of the text");
  BOOST_TEST(JsonSyntaxChecker::check("").rfind("line 1, column 1: expected a value", 0) == 0);
  BOOST_TEST(JsonSyntaxChecker::check(std::string(300, '[')).find("nesting deeper than 256") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
