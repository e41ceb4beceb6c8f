// SigV4Signer against AWS's published Signature Version 4 test vectors.
//
// Source of the suite cases: the "aws-sig-v4-test-suite" as kept in awslabs/aws-c-auth,
// tests/aws-signing-test-suite/v4/<case>/{request.txt, context.json,
// header-canonical-request.txt, header-string-to-sign.txt, header-signature.txt,
// header-signed-request.txt} at commit 495329c2433034bd8fd53fc6ba9e0202d3fac876
// (credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1,
// service "service", 2015-08-30T12:36:00Z). That copy's post-x-www-form-urlencoded signs the
// body (sign_body: true), so its signed headers include content-length and
// x-amz-content-sha256.
//
// The S3 case is the "GET Object" example of the Amazon S3 API reference, "Signature
// Calculations for the Authorization Header: Transferring Payload in a Single Chunk"
// (examplebucket, test.txt, Range bytes=0-9, 20130524T000000Z, AKIAIOSFODNN7EXAMPLE).
#define BOOST_TEST_MODULE storage_s3_tests
#include "tributary/storage/s3/SigV4Signer.h"

#include <boost/test/unit_test.hpp>

namespace tributary::storage::s3 {
namespace {

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kSuiteDate = "20150830T123600Z";

SigV4Signer suiteSigner() {
  return SigV4Signer("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1",
                     "service");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SigV4SignerTest)

BOOST_AUTO_TEST_CASE(get_vanilla_matches_the_suite) {
  SigV4Request request;
  request.method = "GET";
  request.canonicalUri = "/";
  request.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kSuiteDate}};
  request.payloadHash = kEmptySha256;
  SigV4Signature s = suiteSigner().sign(request, kSuiteDate);
  BOOST_TEST(s.canonicalRequest ==
             "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
             "host;x-amz-date\n"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(s.stringToSign ==
             "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
             "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  BOOST_TEST(s.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  BOOST_TEST(s.authorization ==
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
             "SignedHeaders=host;x-amz-date, "
             "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

BOOST_AUTO_TEST_CASE(get_vanilla_query_order_key_case_sorts_the_query) {
  SigV4Request request;
  request.method = "GET";
  request.canonicalUri = "/";
  request.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  request.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kSuiteDate}};
  request.payloadHash = kEmptySha256;
  SigV4Signature s = suiteSigner().sign(request, kSuiteDate);
  BOOST_TEST(s.canonicalRequest ==
             "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
             "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(s.stringToSign ==
             "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
             "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  BOOST_TEST(s.signature == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

BOOST_AUTO_TEST_CASE(post_x_www_form_urlencoded_signs_the_body_hash) {
  const std::string body = "Param1=value1";
  SigV4Request request;
  request.method = "POST";
  request.canonicalUri = "/";
  request.payloadHash = SigV4Signer::sha256Hex(body);
  BOOST_TEST(request.payloadHash ==
             "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Host", "example.amazonaws.com"},
                     {"Content-Length", "13"},
                     {"X-Amz-Date", kSuiteDate},
                     {"x-amz-content-sha256", request.payloadHash}};
  SigV4Signature s = suiteSigner().sign(request, kSuiteDate);
  BOOST_TEST(s.canonicalRequest ==
             "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\n"
             "host:example.amazonaws.com\n"
             "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
             "x-amz-date:20150830T123600Z\n\n"
             "content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
             "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  BOOST_TEST(s.stringToSign ==
             "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
             "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb");
  BOOST_TEST(s.signature == "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b");
  BOOST_TEST(s.signedHeaders == "content-length;content-type;host;x-amz-content-sha256;x-amz-date");
}

BOOST_AUTO_TEST_CASE(get_header_value_trim_collapses_blanks) {
  SigV4Request request;
  request.method = "GET";
  request.canonicalUri = "/";
  request.headers = {{"Host", "example.amazonaws.com"},
                     {"My-Header1", " value1"},
                     {"My-Header2", " \"a   b   c\""},
                     {"X-Amz-Date", kSuiteDate}};
  request.payloadHash = kEmptySha256;
  SigV4Signature s = suiteSigner().sign(request, kSuiteDate);
  BOOST_TEST(s.canonicalRequest ==
             "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
             "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(s.stringToSign ==
             "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
             "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7");
  BOOST_TEST(s.signature == "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

BOOST_AUTO_TEST_CASE(s3_get_object_with_range_matches_the_s3_example) {
  SigV4Signer signer("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                     "us-east-1", "s3");
  SigV4Request request;
  request.method = "GET";
  request.canonicalUri = "/test.txt";
  request.payloadHash = kEmptySha256;
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"Range", "bytes=0-9"},
                     {"x-amz-content-sha256", kEmptySha256},
                     {"x-amz-date", "20130524T000000Z"}};
  SigV4Signature s = signer.sign(request, "20130524T000000Z");
  BOOST_TEST(s.canonicalRequest ==
             "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
             "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
             "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(s.stringToSign ==
             "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
             "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  BOOST_TEST(s.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

BOOST_AUTO_TEST_CASE(uri_encoding_is_rfc3986_with_upper_case_hex) {
  BOOST_TEST(SigV4Signer::uriEncode("a-b_c.d~e", false) == "a-b_c.d~e");
  BOOST_TEST(SigV4Signer::uriEncode("a b+c/d:e=", false) == "a%20b%2Bc%2Fd%3Ae%3D");
  BOOST_TEST(SigV4Signer::uriEncode("/docker/registry/v2/x:y", true) ==
             "/docker/registry/v2/x%3Ay");
  BOOST_TEST(SigV4Signer::uriEncode("\xc3\xa9", false) == "%C3%A9");
}

BOOST_AUTO_TEST_CASE(query_values_are_encoded_before_sorting) {
  SigV4Request request;
  request.method = "GET";
  request.canonicalUri = "/bucket";
  request.query = {{"prefix", "a/b c"}, {"list-type", "2"}, {"continuation-token", "x+y="}};
  request.headers = {{"Host", "h"}, {"X-Amz-Date", kSuiteDate}};
  request.payloadHash = kEmptySha256;
  SigV4Signature s = suiteSigner().sign(request, kSuiteDate);
  BOOST_TEST(s.canonicalRequest.find("\ncontinuation-token=x%2By%3D&list-type=2&prefix=a%2Fb%20c\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_secret_key_is_in_no_output) {
  SigV4Signer signer("AKID", "SECRETSECRET", "us-east-1", "s3");
  SigV4Request request;
  request.method = "GET";
  request.canonicalUri = "/";
  request.headers = {{"Host", "h"}, {"X-Amz-Date", kSuiteDate}};
  request.payloadHash = "UNSIGNED-PAYLOAD";
  SigV4Signature s = signer.sign(request, kSuiteDate);
  for (const std::string* text :
       {&s.canonicalRequest, &s.stringToSign, &s.authorization, &s.signature})
    BOOST_TEST(text->find("SECRET") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(amz_date_is_utc_basic_format) {
  BOOST_TEST(SigV4Signer::amzDate(1440938160) == "20150830T123600Z");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tributary::storage::s3
