// Plain values the S3 client answers with (parsed from S3's XML, see S3XmlResponses).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tributary::storage::s3 {

/// One object of a ListObjectsV2 page.
struct S3Object {
  std::string key;
  uint64_t size = 0;
};

/// A ListObjectsV2 page; `nextContinuationToken` is set when `truncated`.
struct S3ObjectPage {
  std::vector<S3Object> objects;
  // With a delimiter: each distinct "<prefix><part>/" the keys beyond the delimiter share
  // (S3's CommonPrefixes), i.e. a directory's subdirectories.
  std::vector<std::string> commonPrefixes;
  bool truncated = false;
  std::string nextContinuationToken;
};

/// One incomplete multipart upload of a ListMultipartUploads page.
struct S3Upload {
  std::string key;
  std::string uploadId;
  long long initiatedUnixSeconds = 0;  // from <Initiated> (ISO 8601, UTC)
};

/// A ListMultipartUploads page; the markers are set when `truncated`.
struct S3UploadPage {
  std::vector<S3Upload> uploads;
  bool truncated = false;
  std::string nextKeyMarker;
  std::string nextUploadIdMarker;
};

/// A part as CompleteMultipartUpload names it.
struct S3CompletedPart {
  int number = 0;    // 1..10000
  std::string etag;  // as UploadPart answered it, quotes included
};

/// S3's <Error> body: Code and Message (empty when the answer had no XML error body).
struct S3ErrorBody {
  std::string code;
  std::string message;
};

}  // namespace tributary::storage::s3
