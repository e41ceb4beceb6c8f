// S3's XML answers, as AWS documents them and as Swift's s3api sends them.
#include "S3XmlResponses.h"

#include <boost/test/unit_test.hpp>

#include "StatusPrinting.h"

namespace tributary::storage::s3 {

BOOST_AUTO_TEST_SUITE(S3XmlResponsesTest)

BOOST_AUTO_TEST_CASE(an_error_body_gives_its_code_and_message) {
  const S3ErrorBody error = parseErrorBody(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
      "<Message>The specified key does not exist.</Message><Key>a/b</Key>"
      "<RequestId>tx9</RequestId></Error>");
  BOOST_TEST(error.code == "NoSuchKey");
  BOOST_TEST(error.message == "The specified key does not exist.");
  BOOST_TEST(parseErrorBody("<html><body>502 Bad Gateway</body></html>").code.empty());
  BOOST_TEST(parseErrorBody("").code.empty());
  BOOST_TEST(parseErrorBody("not xml at all <").code.empty());
}

BOOST_AUTO_TEST_CASE(list_objects_v2_pages_carry_the_continuation_token) {
  auto page = parseListObjectsV2(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>registry</Name><Prefix>docker/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
      "<Contents><Key>docker/a</Key><LastModified>2026-11-30T13:00:00.000Z</LastModified>"
      "<ETag>\"x\"</ETag><Size>71</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>docker/b &amp; c</Key><Size>5368709120</Size></Contents>"
      "</ListBucketResult>");
  BOOST_REQUIRE(page.isOk());
  BOOST_TEST(page->truncated);
  BOOST_TEST(page->nextContinuationToken == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  BOOST_REQUIRE(page->objects.size() == 2u);
  BOOST_TEST(page->objects[0].key == "docker/a");
  BOOST_TEST(page->objects[0].size == 71u);
  BOOST_TEST(page->objects[1].key == "docker/b & c");
  BOOST_TEST(page->objects[1].size == 5368709120ull);

  auto last = parseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  BOOST_REQUIRE(last.isOk());
  BOOST_TEST(!last->truncated);
  BOOST_TEST(last->objects.empty());
}

BOOST_AUTO_TEST_CASE(a_delimited_list_gives_its_common_prefixes) {
  // As Swift's s3api and AWS answer `delimiter=/` over a tags/ prefix: the "directories" as
  // CommonPrefixes, an object right under the prefix as Contents.
  auto page = parseListObjectsV2(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>registry</Name><Prefix>r/_manifests/tags/</Prefix><KeyCount>3</KeyCount>"
      "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>"
      "<Contents><Key>r/_manifests/tags/stray</Key><Size>1</Size></Contents>"
      "<CommonPrefixes><Prefix>r/_manifests/tags/latest/</Prefix></CommonPrefixes>"
      "<CommonPrefixes><Prefix>r/_manifests/tags/v1.0/</Prefix></CommonPrefixes>"
      "</ListBucketResult>");
  BOOST_REQUIRE(page.isOk());
  BOOST_REQUIRE(page->objects.size() == 1u);
  BOOST_TEST(page->objects[0].key == "r/_manifests/tags/stray");
  const std::vector<std::string> expected = {"r/_manifests/tags/latest/",
                                             "r/_manifests/tags/v1.0/"};
  BOOST_TEST(page->commonPrefixes == expected, boost::test_tools::per_element());
  auto empty = parseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><CommonPrefixes><Prefix></Prefix>"
      "</CommonPrefixes></ListBucketResult>");
  BOOST_TEST(empty.status().message().find("CommonPrefixes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_list_that_is_not_what_s3_documents_is_refused_with_what_was_wrong) {
  auto truncatedWithoutToken =
      parseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
  BOOST_TEST(truncatedWithoutToken.status().code() == StatusCode::kUnavailable);
  BOOST_TEST(truncatedWithoutToken.status().message().find("NextContinuationToken") !=
             std::string::npos);
  auto badSize = parseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>x</Size>"
      "</Contents></ListBucketResult>");
  BOOST_TEST(!badSize.isOk());
  auto html = parseListObjectsV2("<html><body>proxy error</body></html>");
  BOOST_TEST(html.status().message().find("expected <ListBucketResult>, got <html>") !=
             std::string::npos);
  auto broken = parseListObjectsV2("<ListBucketResult><IsTruncated>");
  BOOST_TEST(broken.status().message().find("not XML") != std::string::npos);
  auto error = parseListObjectsV2("<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>");
  BOOST_TEST(error.status().message().find("SlowDown: Reduce your request rate.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(initiate_multipart_upload_gives_the_upload_id) {
  auto id = parseInitiateMultipartUpload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
      "</InitiateMultipartUploadResult>");
  BOOST_REQUIRE(id.isOk());
  BOOST_TEST(*id == "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  BOOST_TEST(!parseInitiateMultipartUpload(
                  "<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>")
                  .isOk());
}

BOOST_AUTO_TEST_CASE(complete_multipart_upload_may_fail_after_http_200) {
  // Swift's s3api (and S3) send blanks while assembling, then the document.
  BOOST_TEST(parseCompleteMultipartUpload(
                 "   \n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult "
                 "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>/b/k</Location>"
                 "<Bucket>b</Bucket><Key>k</Key><ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>"
                 "</CompleteMultipartUploadResult>")
                 .isOk());
  Status transient = parseCompleteMultipartUpload(
      "  <Error><Code>InternalError</Code><Message>We encountered an internal error. Please try "
      "again.</Message></Error>");
  BOOST_TEST(transient.code() == StatusCode::kUnavailable);
  BOOST_TEST(transient.message().find("InternalError: We encountered an internal error.") !=
             std::string::npos);
  Status permanent = parseCompleteMultipartUpload(
      "<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be "
      "found.</Message></Error>");
  BOOST_TEST(permanent.code() == StatusCode::kFailedPrecondition);
  BOOST_TEST(permanent.message().find("InvalidPart") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(list_multipart_uploads_gives_keys_ids_and_initiation_times) {
  auto page = parseListMultipartUploads(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListMultipartUploadsResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><KeyMarker></KeyMarker>"
      "<UploadIdMarker></UploadIdMarker><NextKeyMarker>my-movie.m2ts</NextKeyMarker>"
      "<NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>"
      "<MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated>"
      "<Upload><Key>my-divisor</Key><UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>"
      "<Initiator><ID>arn</ID></Initiator><StorageClass>STANDARD</StorageClass>"
      "<Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>"
      "<Upload><Key>my-movie.m2ts</Key><UploadId>VXBsb2FkIElE</UploadId>"
      "<Initiated>2010-11-10T20:48:33Z</Initiated></Upload>"
      "</ListMultipartUploadsResult>");
  BOOST_REQUIRE(page.isOk());
  BOOST_TEST(page->truncated);
  BOOST_TEST(page->nextKeyMarker == "my-movie.m2ts");
  BOOST_TEST(page->nextUploadIdMarker == "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
  BOOST_REQUIRE(page->uploads.size() == 2u);
  BOOST_TEST(page->uploads[0].key == "my-divisor");
  BOOST_TEST(page->uploads[0].uploadId == "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
  BOOST_TEST(page->uploads[0].initiatedUnixSeconds == 1289422113);
  BOOST_TEST(page->uploads[1].initiatedUnixSeconds == 1289422113);
  auto badTime = parseListMultipartUploads(
      "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload><Key>k</Key>"
      "<UploadId>u</UploadId><Initiated>yesterday</Initiated></Upload></ListMultipartUploadsResult>");
  BOOST_TEST(badTime.status().message().find("`yesterday`") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_complete_request_lists_parts_with_escaped_etags) {
  const std::string body =
      completeMultipartUploadBody({{1, "\"a1\""}, {2, "\"b&2\""}});
  BOOST_TEST(body ==
             "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
             "<Part><PartNumber>1</PartNumber><ETag>&quot;a1&quot;</ETag></Part>"
             "<Part><PartNumber>2</PartNumber><ETag>&quot;b&amp;2&quot;</ETag></Part>"
             "</CompleteMultipartUpload>");
}

BOOST_AUTO_TEST_CASE(external_entities_are_not_resolved) {
  const S3ErrorBody error = parseErrorBody(
      "<?xml version=\"1.0\"?><!DOCTYPE Error [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<Error><Code>&x;</Code><Message>m</Message></Error>");
  BOOST_TEST(error.code.find("root:") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tributary::storage::s3
