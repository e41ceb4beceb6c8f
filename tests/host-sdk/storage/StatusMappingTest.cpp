// Status <-> rp_status mapping shared by host-side table implementations.
#include <boost/test/unit_test.hpp>

#include <cerrno>

#include "tributary/storage/StatusMapping.h"

using namespace tributary;
using namespace tributary::storage;

BOOST_AUTO_TEST_SUITE(StatusMappingTest)

BOOST_AUTO_TEST_CASE(every_code_maps_to_its_abi_status) {
  BOOST_TEST(toRpStatus(Status()) == RP_OK);
  BOOST_TEST(toRpStatus(unavailableError("x")) == RP_ERR_UNAVAILABLE);
  BOOST_TEST(toRpStatus(resourceExhaustedError("x")) == RP_ERR_RATE_LIMITED);
  BOOST_TEST(toRpStatus(deadlineExceededError("x")) == RP_ERR_TIMEOUT);
  BOOST_TEST(toRpStatus(abortedError("x")) == RP_ERR_ABORTED);
  BOOST_TEST(toRpStatus(unauthenticatedError("x")) == RP_ERR_UNAUTHENTICATED);
  BOOST_TEST(toRpStatus(permissionDeniedError("x")) == RP_ERR_PERMISSION_DENIED);
  BOOST_TEST(toRpStatus(invalidArgumentError("x")) == RP_ERR_INVALID_ARGUMENT);
  BOOST_TEST(toRpStatus(notFoundError("x")) == RP_ERR_NOT_FOUND);
  BOOST_TEST(toRpStatus(alreadyExistsError("x")) == RP_ERR_ALREADY_EXISTS);
  BOOST_TEST(toRpStatus(failedPreconditionError("x")) == RP_ERR_FAILED_PRECONDITION);
  BOOST_TEST(toRpStatus(outOfRangeError("x")) == RP_ERR_INVALID_ARGUMENT);
  BOOST_TEST(toRpStatus(dataLossError("x")) == RP_ERR_DATA_LOSS);
  BOOST_TEST(toRpStatus(cancelledError("x")) == RP_ERR_CANCELLED);
  BOOST_TEST(toRpStatus(unimplementedError("x")) == RP_ERR_UNIMPLEMENTED);
  BOOST_TEST(toRpStatus(internalError("x")) == RP_ERR_INTERNAL);
}

BOOST_AUTO_TEST_CASE(io_errors_are_rp_err_io) {
  Status io = ioError("write /x/data", ENOSPC);
  BOOST_TEST(io.message() == "I/O error: write /x/data: No space left on device");
  BOOST_TEST(isIoError(io));
  BOOST_TEST(!isIoError(internalError("other")));
  BOOST_TEST(toRpStatus(io) == RP_ERR_IO);
  BOOST_TEST(rp_status_classify(toRpStatus(io)) == RP_CLASS_FATAL);
}

BOOST_AUTO_TEST_CASE(round_trips_through_rp_status) {
  for (StatusCode code : {StatusCode::kUnavailable, StatusCode::kResourceExhausted,
                          StatusCode::kDeadlineExceeded, StatusCode::kAborted,
                          StatusCode::kUnauthenticated, StatusCode::kPermissionDenied,
                          StatusCode::kInvalidArgument, StatusCode::kNotFound,
                          StatusCode::kAlreadyExists, StatusCode::kFailedPrecondition,
                          StatusCode::kDataLoss, StatusCode::kCancelled,
                          StatusCode::kUnimplemented, StatusCode::kInternal}) {
    Status back = fromRpStatus(toRpStatus(Status(code, "m")), "m");
    BOOST_TEST(static_cast<int>(back.code()) == static_cast<int>(code));
    BOOST_TEST(back.message() == "m");
  }
  Status io = fromRpStatus(RP_ERR_IO, "disk full");
  BOOST_TEST(isIoError(io));
  BOOST_TEST(toRpStatus(io) == RP_ERR_IO);
  BOOST_TEST(fromRpStatus(RP_ERR_IO, io.message()).message() == io.message());  // no double prefix
  Status unknown = fromRpStatus(9999, "odd");
  BOOST_TEST(static_cast<int>(unknown.code()) == static_cast<int>(StatusCode::kInternal));
  BOOST_TEST(unknown.message() == "RP_ERR_UNKNOWN: odd");
  BOOST_TEST(fromRpStatus(RP_OK, "").isOk());
}

BOOST_AUTO_TEST_SUITE_END()
