#define BOOST_TEST_MODULE gcr_adapter_tests
#include <boost/test/unit_test.hpp>

#include "tributary/gcr/GcrSource.h"
#include "tributary/gcr/GcrTagList.h"

using tributary::gcr::GcrSource;
using tributary::gcr::GcrTagList;

BOOST_AUTO_TEST_SUITE(GcrTagListTest)

// The shape go-containerregistry's google.Tags reads (registry-facts §D.2).
BOOST_AUTO_TEST_CASE(upload_time_per_digest_and_every_tag_of_a_digest) {
  const char* body = R"({"child":[],"name":"proj/app","tags":["another","latest","v1"],
    "manifest":{
      "sha256:aa":{"imageSizeBytes":"763789","layerId":"","mediaType":"application/vnd.docker.distribution.manifest.v2+json",
                   "tag":["another","latest"],"timeCreatedMs":"1595895577054","timeUploadedMs":"1597767277119"},
      "sha256:bb":{"tag":["v1"],"timeCreatedMs":"1500000000000","timeUploadedMs":"0"},
      "sha256:cc":{"tag":[],"timeUploadedMs":"1600000000000"}}})";
  auto list = GcrTagList::parse(body);
  BOOST_REQUIRE(list.isOk());
  BOOST_TEST(list->hasManifestMap);
  BOOST_TEST(list->tags.size() == 3u);
  BOOST_TEST(list->digestOfTag.at("another") == "sha256:aa");
  BOOST_TEST(list->digestOfTag.at("latest") == "sha256:aa");
  BOOST_TEST(*list->manifests.at("sha256:aa").timeMs == 1597767277119);
  BOOST_TEST(list->manifests.at("sha256:aa").timestampSource == "gcr.timeUploadedMs");
  // Artifact Registry's "0": fall back to a non-zero timeCreatedMs.
  BOOST_TEST(*list->manifests.at("sha256:bb").timeMs == 1500000000000);
  BOOST_TEST(list->manifests.at("sha256:bb").timestampSource == "gcr.timeCreatedMs");
}

BOOST_AUTO_TEST_CASE(a_plain_tags_list_has_no_manifest_map) {
  auto list = GcrTagList::parse(R"({"name":"a/b","tags":["x"]})");
  BOOST_REQUIRE(list.isOk());
  BOOST_TEST(!list->hasManifestMap);
  BOOST_TEST(!GcrTagList::parse("[1,2]").isOk());
}

BOOST_AUTO_TEST_CASE(pages_merge_and_the_next_link_is_found) {
  auto a = GcrTagList::parse(R"({"tags":["a"],"manifest":{"sha256:1":{"tag":["a"],"timeUploadedMs":"5"}}})");
  auto b = GcrTagList::parse(R"({"tags":["b"],"manifest":{"sha256:2":{"tag":["b"],"timeUploadedMs":"6"}}})");
  BOOST_REQUIRE(a.isOk() && b.isOk());
  a->merge(std::move(*b));
  BOOST_TEST(a->tags.size() == 2u);
  BOOST_TEST(a->digestOfTag.at("b") == "sha256:2");
  BOOST_TEST(GcrTagList::nextLink(R"(</v2/p/a/tags/list?n=2&last=b>; rel="next")") ==
             "/v2/p/a/tags/list?n=2&last=b");
  BOOST_TEST(GcrTagList::nextLink(R"(<https://x/prev>; rel="prev", <https://x/n>; rel="next")") ==
             "https://x/n");
  BOOST_TEST(GcrTagList::nextLink("").empty());
}

BOOST_AUTO_TEST_CASE(a_google_host_leading_the_repository_is_split_off) {
  auto ar = GcrSource::splitHost("us-docker.pkg.dev/proj/repo/img");
  BOOST_TEST(ar.first == "us-docker.pkg.dev");
  BOOST_TEST(ar.second == "proj/repo/img");
  BOOST_TEST(GcrSource::splitHost("eu.gcr.io/proj/img").first == "eu.gcr.io");
  BOOST_TEST(GcrSource::splitHost("proj/img").first.empty());
  BOOST_TEST(!GcrSource::isGoogleHost("evil.example.org"));
  BOOST_TEST(!GcrSource::isGoogleHost("gcr.io.evil.org"));
}

BOOST_AUTO_TEST_SUITE_END()
