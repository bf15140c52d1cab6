#include "common/webapi/http_status.h"

#include <gtest/gtest.h>

namespace zb::webapi {
namespace {

TEST(HttpStatusTest, EachCodeHasTheStatusAJsonClientExpects) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 413);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDataLoss), 500);
}

TEST(HttpStatusTest, TheErrorBodyKeepsTheMessageAndCannotBecomeMarkup) {
  EXPECT_EQ(
      ErrorJson(absl::InvalidArgumentError("metric \"x\"\n<script>")),
      R"({"code":3,"status":"INVALID_ARGUMENT","message":"metric \"x\"\n\u003cscript\u003e"})");
  EXPECT_EQ(JsonQuote(std::string("a\x01"
                                  "b",
                                  3)),
            "\"a\\u0001b\"");
  EXPECT_EQ(JsonQuote("新乡市"), "\"新乡市\"");
}

}  // namespace
}  // namespace zb::webapi
