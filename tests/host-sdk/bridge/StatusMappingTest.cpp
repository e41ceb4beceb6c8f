// tributary/rp/StatusMapping.h: the one Status <-> rp_status mapping both sides of the ABI use.
#define BOOST_TEST_MODULE rp_abi_tests
#include <boost/test/unit_test.hpp>

#include "tributary/rp/StatusMapping.h"

using namespace tributary;

BOOST_AUTO_TEST_SUITE(StatusMappingTest)

BOOST_AUTO_TEST_CASE(every_code_maps_to_its_abi_status) {
  BOOST_TEST(rp::toRpStatus(Status()) == RP_OK);
  BOOST_TEST(rp::toRpStatus(unavailableError("x")) == RP_ERR_UNAVAILABLE);
  BOOST_TEST(rp::toRpStatus(resourceExhaustedError("x")) == RP_ERR_RATE_LIMITED);
  BOOST_TEST(rp::toRpStatus(deadlineExceededError("x")) == RP_ERR_TIMEOUT);
  BOOST_TEST(rp::toRpStatus(abortedError("x")) == RP_ERR_ABORTED);
  BOOST_TEST(rp::toRpStatus(unauthenticatedError("x")) == RP_ERR_UNAUTHENTICATED);
  BOOST_TEST(rp::toRpStatus(permissionDeniedError("x")) == RP_ERR_PERMISSION_DENIED);
  BOOST_TEST(rp::toRpStatus(invalidArgumentError("x")) == RP_ERR_INVALID_ARGUMENT);
  BOOST_TEST(rp::toRpStatus(notFoundError("x")) == RP_ERR_NOT_FOUND);
  BOOST_TEST(rp::toRpStatus(alreadyExistsError("x")) == RP_ERR_ALREADY_EXISTS);
  BOOST_TEST(rp::toRpStatus(failedPreconditionError("x")) == RP_ERR_FAILED_PRECONDITION);
  BOOST_TEST(rp::toRpStatus(outOfRangeError("x")) == RP_ERR_INVALID_ARGUMENT);
  BOOST_TEST(rp::toRpStatus(dataLossError("x")) == RP_ERR_DATA_LOSS);
  BOOST_TEST(rp::toRpStatus(cancelledError("x")) == RP_ERR_CANCELLED);
  BOOST_TEST(rp::toRpStatus(unimplementedError("x")) == RP_ERR_UNIMPLEMENTED);
  BOOST_TEST(rp::toRpStatus(internalError("x")) == RP_ERR_INTERNAL);
  BOOST_TEST(rp::toRpStatus(ioError("x")) == RP_ERR_IO);
  BOOST_TEST(rp_status_classify(RP_ERR_IO) == RP_CLASS_FATAL);
}

BOOST_AUTO_TEST_CASE(round_trips_through_rp_status) {
  for (StatusCode code :
       {StatusCode::kUnavailable, StatusCode::kResourceExhausted, StatusCode::kDeadlineExceeded,
        StatusCode::kAborted, StatusCode::kUnauthenticated, StatusCode::kPermissionDenied,
        StatusCode::kInvalidArgument, StatusCode::kNotFound, StatusCode::kAlreadyExists,
        StatusCode::kFailedPrecondition, StatusCode::kDataLoss, StatusCode::kCancelled,
        StatusCode::kUnimplemented, StatusCode::kInternal, StatusCode::kIo}) {
    Status back = rp::statusFromRp(rp::toRpStatus(Status(code, "m")), "m");
    BOOST_TEST(static_cast<int>(back.code()) == static_cast<int>(code));
    BOOST_TEST(back.message() == "m");
  }
  BOOST_TEST(rp::statusFromRp(RP_OK, "").isOk());
}

BOOST_AUTO_TEST_CASE(incompatible_and_unknown_values) {
  BOOST_TEST(static_cast<int>(rp::statusCodeFromRp(RP_ERR_INCOMPATIBLE)) ==
             static_cast<int>(StatusCode::kFailedPrecondition));
  Status unknown = rp::statusFromRp(9999, "odd");
  BOOST_TEST(static_cast<int>(unknown.code()) == static_cast<int>(StatusCode::kInternal));
  BOOST_TEST(unknown.message() == "RP_ERR_UNKNOWN (9999): odd");
  BOOST_TEST(rp::statusFromRp(RP_ERR_INTERNAL, "plain").message() == "plain");
}

BOOST_AUTO_TEST_SUITE_END()
