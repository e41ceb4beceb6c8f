// TagListMemory: what a custom source's last listing found, bounded in tags and keys.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tributary/custom/TagListMemory.h"

using tributary::custom::TagListMemory;

BOOST_AUTO_TEST_SUITE(TagListMemoryTest)

BOOST_AUTO_TEST_CASE(tag_list_memory_is_bounded_and_forgets_the_oldest_first) {
  TagListMemory memory;
  std::vector<TagListMemory::Tag> many;
  for (size_t i = 0; i < TagListMemory::kMaxTagsPerKey + 10; ++i)
    many.push_back({"t" + std::to_string(i), "sha256:" + std::string(63, 'a') + char('0' + i % 10)});
  memory.remember("big", many);
  BOOST_TEST(memory.recall("big").size() == TagListMemory::kMaxTagsPerKey);
  BOOST_TEST(memory.recall("big").front().name == "t0");
  BOOST_TEST(memory.recall("big")[7].digest == many[7].digest);
  for (size_t i = 0; i < TagListMemory::kMaxKeys; ++i)
    memory.remember("k" + std::to_string(i), {{"a", ""}});
  BOOST_TEST(memory.keys() == TagListMemory::kMaxKeys);
  BOOST_TEST(memory.recall("big").empty());  // the oldest went first
  BOOST_TEST(memory.recall("k0").size() == 1u);
  memory.remember("k0", {});  // an empty listing forgets
  BOOST_TEST(memory.recall("k0").empty());
  BOOST_TEST(memory.keys() == TagListMemory::kMaxKeys - 1);
}

BOOST_AUTO_TEST_SUITE_END()
