// Parsers for the XML bodies S3 answers with (Poco's DOM parser; external entities are not
// resolved). Each returns kInvalidArgument-free statuses: a body that is not what S3 documents
// is kUnavailable (a proxy's HTML page, a truncated answer) with what was wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tributary/Status.h"
#include "tributary/storage/s3/S3Types.h"

namespace tributary::storage::s3 {

/// <Error><Code/><Message/></Error>; an empty result when `body` is not an S3 error document.
S3ErrorBody parseErrorBody(std::string_view body);
/// <ListBucketResult> of ListObjectsV2.
Result<S3ObjectPage> parseListObjectsV2(std::string_view body);
/// <InitiateMultipartUploadResult>: the UploadId.
Result<std::string> parseInitiateMultipartUpload(std::string_view body);
/// <CompleteMultipartUploadResult>. S3 may answer 200 and still fail (an <Error> body, sent
/// after keep-alive blanks): that is an error carrying the Code and Message.
Status parseCompleteMultipartUpload(std::string_view body);
/// <ListMultipartUploadsResult>.
Result<S3UploadPage> parseListMultipartUploads(std::string_view body);
/// The CompleteMultipartUpload request body for `parts` (in the given order).
std::string completeMultipartUploadBody(const std::vector<S3CompletedPart>& parts);
/// ISO 8601 / RFC 3339 time ("2026-11-30T13:00:00.000Z") as Unix seconds.
Result<long long> parseIso8601(std::string_view text);

}  // namespace tributary::storage::s3
