#include "common/base/grpc_status.h"

#include "gtest/gtest.h"

namespace zb {
namespace {

TEST(GrpcStatusTest, EveryCanonicalCodeRoundTrips) {
  for (int code = 0; code <= 16; ++code) {
    absl::Status in(static_cast<absl::StatusCode>(code), code == 0 ? "" : "why");
    grpc::Status wire = ToGrpcStatus(in);
    EXPECT_EQ(static_cast<int>(wire.error_code()), code);
    absl::Status back = FromGrpcStatus(wire, "");
    EXPECT_EQ(back.code(), in.code());
    if (code != 0) EXPECT_EQ(back.message(), "why");
  }
}

TEST(GrpcStatusTest, FromGrpcStatusNamesThePeer) {
  absl::Status s =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"),
                     "storage 127.0.0.1:7400");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "storage 127.0.0.1:7400: connection refused");
}

}  // namespace
}  // namespace zb
