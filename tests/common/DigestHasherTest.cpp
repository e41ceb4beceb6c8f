// The one digest hasher: known vectors, streaming equals one-shot, reset, unknown algorithms.
#include "tributary/DigestHasher.h"

#include <boost/test/unit_test.hpp>

#include "tributary/Hex.h"

using namespace tributary;

BOOST_AUTO_TEST_SUITE(DigestHasherTest)

BOOST_AUTO_TEST_CASE(known_vectors_for_sha256_and_sha512) {
  BOOST_TEST(DigestHasher::digestOf("sha256", "abc").value() ==
             "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(DigestHasher::hexDigestOf("sha512", "abc").value() ==
             "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

BOOST_AUTO_TEST_CASE(streamed_bytes_and_reset_give_the_one_shot_digest) {
  auto hasher = DigestHasher::forDigest("sha256:whatever");
  BOOST_REQUIRE(hasher.isOk());
  BOOST_TEST((*hasher)->update("junk", 4).isOk());
  BOOST_TEST((*hasher)->reset().isOk());
  BOOST_TEST((*hasher)->update("a", 1).isOk());
  BOOST_TEST((*hasher)->update("bc", 2).isOk());
  BOOST_TEST((*hasher)->finishHex().value() ==
             DigestHasher::hexDigestOf("sha256", "abc").value());
}

BOOST_AUTO_TEST_CASE(unknown_algorithms_are_refused_with_the_reason) {
  auto md5 = DigestHasher::create("md5");
  BOOST_REQUIRE(!md5.isOk());
  BOOST_TEST(static_cast<int>(md5.status().code()) == static_cast<int>(StatusCode::kInvalidArgument));
  BOOST_TEST(md5.status().message() == "digest algorithm `md5` is not supported; use sha256 or sha512");
  BOOST_TEST(!DigestHasher::forDigest("no-colon").isOk());
}

BOOST_AUTO_TEST_CASE(hex_is_lowercase_two_digits_a_byte) {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa0, 0xff};
  BOOST_TEST(hexEncode(bytes, sizeof bytes) == "000fa0ff");
}

BOOST_AUTO_TEST_SUITE_END()
