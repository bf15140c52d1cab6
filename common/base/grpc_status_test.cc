#include "common/base/grpc_status.h"
#include <string>

#include "absl/strings/str_cat.h"

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
    if (code != 0) {
      EXPECT_EQ(back.message(), "why");
    }
  }
}

TEST(GrpcStatusTest, FromGrpcStatusNamesThePeer) {
  absl::Status s = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"),
                                  "storage 127.0.0.1:7400");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "storage 127.0.0.1:7400: connection refused");
}

TEST(GrpcStatusTest, LongMessagesAreCutOnACharacterBoundary) {
  std::string name;
  for (int i = 0; i < 10000; ++i) name += "节";  // 30,000 bytes
  grpc::Status s = ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("no section ", name)));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(s.error_message().size(), kMaxStatusMessageBytes);
  EXPECT_NE(s.error_message().find("bytes cut)"), std::string::npos);
  EXPECT_EQ(s.error_message().rfind("no section 节", 0), 0u);
  EXPECT_EQ(ShortQuote("报告", 4), "报…");
  EXPECT_EQ(ShortQuote("short"), "short");
}

}  // namespace
}  // namespace zb
