// Manifest kinds by mediaType, Content-Type and (OCI without mediaType) by shape.
#include <boost/test/unit_test.hpp>

#include "FakeRegistry.h"
#include "tributary/registry/ParsedManifest.h"

using namespace tributary;
using namespace tributary::registry;

BOOST_AUTO_TEST_SUITE(ParsedManifestTest)

BOOST_AUTO_TEST_CASE(docker_image_with_foreign_layer) {
  testing::FakeRegistry reg;
  std::string cfg = reg.addConfig("linux", "amd64", "", "2024-01-01T00:00:00Z");
  std::string layer = reg.addBlob("layer");
  std::string d = reg.addImage(cfg, {layer}, {testing::sha256("foreign")});
  auto m = registry::ParsedManifest::parse(reg.manifestBytes(d), "");
  BOOST_REQUIRE(m.isOk());
  BOOST_TEST(static_cast<int>(m->kind) == static_cast<int>(registry::ManifestKind::kImage));
  BOOST_TEST(m->config.digest == cfg);
  BOOST_REQUIRE(m->layers.size() == 2u);
  BOOST_TEST(m->layers[0].urls.empty());
  BOOST_TEST(m->layers[1].urls.size() == 1u);
}

BOOST_AUTO_TEST_CASE(oci_without_media_type_detected_by_shape) {
  testing::FakeRegistry reg;
  std::string cfg = reg.addConfig("linux", "amd64", "", "");
  std::string d = reg.addImage(cfg, {}, {}, true, true);
  auto m = registry::ParsedManifest::parse(reg.manifestBytes(d), "");
  BOOST_REQUIRE(m.isOk());
  BOOST_TEST(static_cast<int>(m->kind) == static_cast<int>(registry::ManifestKind::kImage));
  BOOST_TEST(m->mediaType == kOciManifest);
  auto idx = registry::ParsedManifest::parse("{\"schemaVersion\":2,\"manifests\":[]}", "");
  BOOST_REQUIRE(idx.isOk());
  BOOST_TEST(static_cast<int>(idx->kind) == static_cast<int>(registry::ManifestKind::kIndex));
  BOOST_TEST(idx->mediaType == kOciIndex);
}

BOOST_AUTO_TEST_CASE(index_children_and_attestations) {
  testing::FakeRegistry reg;
  std::string a = reg.addSimpleImage("linux", "amd64", "", "2024-01-01T00:00:00Z", "a");
  std::string att = reg.addSimpleImage("unknown", "unknown", "", "", "att");
  std::string idx = reg.addIndex({{a, "linux", "amd64", ""}, {att, "unknown", "unknown", "", true}});
  auto m = registry::ParsedManifest::parse(reg.manifestBytes(idx), "");
  BOOST_REQUIRE(m.isOk());
  BOOST_REQUIRE(m->children.size() == 2u);
  BOOST_TEST(!m->children[0].isAttestation());
  BOOST_TEST(m->children[1].isAttestation());
}

BOOST_AUTO_TEST_CASE(schema1_is_recognised) {
  auto m = registry::ParsedManifest::parse(
      "{\"schemaVersion\":1,\"name\":\"x\",\"history\":[{\"v1Compatibility\":\"{\\\"created\\\":\\\"2020-01-02T03:04:05Z\\\"}\"}]}",
      "application/vnd.docker.distribution.manifest.v1+prettyjws");
  BOOST_REQUIRE(m.isOk());
  BOOST_TEST(static_cast<int>(m->kind) == static_cast<int>(registry::ManifestKind::kSchema1));
  BOOST_TEST(m->schema1Created == "2020-01-02T03:04:05Z");
}

BOOST_AUTO_TEST_CASE(rejects_bad_digest_and_unknown_type) {
  auto bad = registry::ParsedManifest::parse(
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
      "\"config\":{\"digest\":\"sha256:../../etc\",\"size\":1},\"layers\":[]}", "");
  BOOST_TEST(!bad.isOk());
  BOOST_TEST(bad.status().message().find("config") != std::string::npos);
  auto unknown = registry::ParsedManifest::parse(
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\"}", "");
  BOOST_TEST(!unknown.isOk());
  BOOST_TEST(unknown.status().message().find("not supported") != std::string::npos);
}

namespace {

const std::string kCfg = "sha256:" + std::string(64, 'a');
const std::string kLayer = "sha256:" + std::string(64, 'b');

// A Docker schema2 manifest whose layer descriptor carries `layerExtra` after its size.
std::string imageWith(const std::string& layerSize, const std::string& layerExtra = "",
                      const std::string& top = "\"schemaVersion\":2,\"mediaType\":"
                                               "\"application/vnd.docker.distribution.manifest.v2+json\"") {
  return "{" + top + ",\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
         "\"digest\":\"" + kCfg + "\",\"size\":10},\"layers\":[{\"mediaType\":"
         "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"" + kLayer +
         "\",\"size\":" + layerSize + layerExtra + "}]}";
}

std::string indexWith(const std::string& child) {
  return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
         "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
         "\"digest\":\"" + kCfg + "\"" + child + "}]}";
}

std::string rejection(const std::string& bytes) {
  auto m = registry::ParsedManifest::parse(bytes, "");
  return m.isOk() ? std::string("accepted") : m.status().message();
}

}  // namespace

BOOST_AUTO_TEST_CASE(sizes_must_be_go_int64_integers_not_just_json_numbers) {
  BOOST_REQUIRE(registry::ParsedManifest::parse(imageWith("12000"), "").isOk());
  BOOST_TEST(registry::ParsedManifest::parse(imageWith("12000"), "")->layers[0].size == 12000u);
  for (const char* bad : {"12000.5", "1.2e4", "12000.0", "1E4", "18446744073709551616",
                          "9223372036854775808", "\"12000\"", "true", "-1"}) {
    const std::string why = rejection(imageWith(bad));
    BOOST_TEST_INFO("size " << bad << ": " << why);
    BOOST_TEST(why.find("layers[0].size") != std::string::npos);
  }
  BOOST_TEST(registry::ParsedManifest::parse(imageWith("9223372036854775807"), "").isOk());
}

BOOST_AUTO_TEST_CASE(schema_version_and_media_type_must_have_go_types) {
  BOOST_TEST(rejection(imageWith("1", "", "\"schemaVersion\":2.5")).find("schemaVersion") !=
             std::string::npos);
  BOOST_TEST(rejection(imageWith("1", "", "\"schemaVersion\":2.0")).find("schemaVersion") !=
             std::string::npos);
  BOOST_TEST(rejection(imageWith("1", "", "\"schemaVersion\":\"2\"")).find("schemaVersion") !=
             std::string::npos);
  BOOST_TEST(rejection(imageWith("1", "", "\"schemaVersion\":2,\"mediaType\":5")).find("mediaType") !=
             std::string::npos);
  BOOST_TEST(rejection(imageWith("1", ",\"mediaType\":5")).find("layers[0].mediaType") !=
             std::string::npos);
  BOOST_TEST(rejection(imageWith("1", ",\"urls\":\"http://x\"")).find("layers[0].urls") !=
             std::string::npos);
  BOOST_TEST(rejection(imageWith("1", ",\"urls\":[5]")).find("layers[0].urls[0]") !=
             std::string::npos);
  BOOST_TEST(rejection(imageWith("1", ",\"annotations\":{\"a\":1}")).find("annotations.a") !=
             std::string::npos);
  BOOST_TEST(rejection(imageWith("1", ",\"platform\":{\"os\":7}")).find("platform.os") !=
             std::string::npos);
  // null is Go's "leave the zero value": accepted.
  BOOST_TEST(registry::ParsedManifest::parse(imageWith("1", ",\"urls\":null,\"annotations\":null"), "")
                 .isOk());
}

BOOST_AUTO_TEST_CASE(index_children_are_decoded_as_strictly) {
  BOOST_TEST(registry::ParsedManifest::parse(indexWith(",\"size\":442,\"platform\":{\"os\":\"linux\","
                                                       "\"architecture\":\"arm64\",\"features\":[\"x\"]}"),
                                             "")
                 .isOk());
  BOOST_TEST(rejection(indexWith(",\"size\":442.5")).find("manifests[0].size") != std::string::npos);
  BOOST_TEST(rejection(indexWith(",\"size\":1,\"platform\":{\"os\":7}")).find("manifests[0].platform.os") !=
             std::string::npos);
  BOOST_TEST(rejection(indexWith(",\"size\":1,\"platform\":\"linux\"")).find("manifests[0].platform") !=
             std::string::npos);
  BOOST_TEST(rejection(indexWith(",\"size\":1,\"platform\":{\"os.features\":[1]}"))
                 .find("os.features[0]") != std::string::npos);
  BOOST_TEST(rejection(indexWith(",\"size\":1,\"config\":{}")) == "accepted");  // unknown in a child
}

BOOST_AUTO_TEST_CASE(keys_go_would_read_differently_are_refused) {
  // Go matches keys case-insensitively and keeps the last: we would store one digest and the
  // registry would reference another.
  BOOST_TEST(rejection(imageWith("1", ",\"Digest\":\"" + kCfg + "\"")).find("`layers[0].Digest`") !=
             std::string::npos);
  BOOST_TEST(rejection(imageWith("1", ",\"SIZE\":2")).find("SIZE") != std::string::npos);
  BOOST_TEST(rejection(imageWith("1", ",\"size\":2")).find("more than once") != std::string::npos);
  BOOST_TEST(rejection(imageWith("1", ",\"\xe2\x84\xaaind\":2")) == "accepted");  // not a field
  BOOST_TEST(rejection(imageWith("1", ",\"\xc5\xbfize\":2")).find("would be read as `size`") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(only_strict_json_is_a_manifest) {
  for (const std::string& bad :
       {imageWith("1") + " x", imageWith("01"), imageWith("1", ",\"a\":NaN"),
        std::string("{\"schemaVersion\":2,}"), std::string("[2]"),
        std::string("{\"schemaVersion\":2,\"mediaType\":\"a\tb\"}"),
        std::string(300, '[') + std::string(300, ']')}) {
    BOOST_TEST_INFO(bad.substr(0, 80));
    BOOST_TEST(rejection(bad) != "accepted");
  }
  BOOST_TEST(registry::ParsedManifest::parse(imageWith("1", ",\"x\":\"\\ud83d\\ude00\\u00e9\"") + "\n ", "")
                 .isOk());
}

BOOST_AUTO_TEST_CASE(oci_shape_mixtures_are_refused) {
  BOOST_TEST(rejection("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                       "\"manifests\":[],\"config\":{}}")
                 .find("OCI index") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(non_distributable_layer_types) {
  registry::Descriptor d;
  d.mediaType = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
  BOOST_TEST(d.isNonDistributable());
  d.mediaType = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
  BOOST_TEST(d.isNonDistributable());
  d.mediaType = "application/vnd.oci.image.layer.v1.tar+gzip";
  BOOST_TEST(!d.isNonDistributable());
}

BOOST_AUTO_TEST_SUITE_END()
