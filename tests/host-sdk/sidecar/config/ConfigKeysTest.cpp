#include "tributary/config/ConfigKeys.h"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

using namespace tributary::config;

BOOST_AUTO_TEST_SUITE(ConfigKeysTest)

BOOST_AUTO_TEST_CASE(table_lists_parents_before_children_and_each_path_once) {
  std::set<std::string> seen;
  for (const ConfigKey& key : configKeys()) {
    const std::string path = key.path;
    BOOST_TEST(seen.insert(path).second, path << " twice");
    const auto dot = path.rfind('.');
    if (dot != std::string::npos) {
      BOOST_TEST(seen.count(path.substr(0, dot)) == 1u, path << " before its parent");
    }
    BOOST_TEST(std::string(key.summary).size() > 0u);
  }
  BOOST_TEST(findConfigKey("replication.credentials.*.password_file") != nullptr);
  BOOST_TEST(findConfigKey("replication.nope") == nullptr);
}

BOOST_AUTO_TEST_CASE(children_of_a_path) {
  BOOST_TEST((childKeyNames("replication.provider") == std::vector<std::string>{"library", "config"}));
  BOOST_TEST((childKeyNames("replication.credentials.*") ==
              std::vector<std::string>{"username", "password", "password_file", "token_file"}));
  BOOST_TEST(childKeyNames("replication.state_dir").empty());
}

BOOST_AUTO_TEST_CASE(typos_are_close_and_other_words_are_not) {
  BOOST_TEST(editDistance("replication", "replication") == 0u);
  BOOST_TEST(editDistance("replicaton", "replication") == 1u);
  BOOST_TEST(editDistance("confgi", "config") == 1u);  // neighbours swapped
  BOOST_TEST(editDistance("", "abc") == 3u);
  const std::vector<std::string> known = {"state_dir", "provider", "credentials"};
  BOOST_TEST(closestMatch("providr", known) == "provider");
  BOOST_TEST(closestMatch("state_dri", known) == "state_dir");
  BOOST_TEST(closestMatch("credential", known) == "credentials");
  BOOST_TEST(closestMatch("colour", known) == "");
  BOOST_TEST(closestMatch("ab", {"cd"}) == "");  // 2 edits in 2 letters is not a typo
}

BOOST_AUTO_TEST_SUITE_END()
