#define BOOST_TEST_MODULE serve_tests
#include <boost/test/unit_test.hpp>
