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

BOOST_AUTO_TEST_SUITE_END()
