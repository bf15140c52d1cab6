#include "common/rpc/channels.h"

#include "gtest/gtest.h"

namespace zb {
namespace {

TEST(ParseAddressListTest, SplitsAndTrims) {
  auto list = ParseAddressList("127.0.0.1:1, 127.0.0.1:2", "storage");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1], "127.0.0.1:2");
}

TEST(ParseAddressListTest, RejectsEmptyAndPortlessItemsNamingTheFlag) {
  auto empty = ParseAddressList(" ", "storage");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("--storage"), absl::string_view::npos);
  auto bad = ParseAddressList("127.0.0.1:1,,x", "storage");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CheckHealthTest, UnreachableServerIsUnavailable) {
  // Port 1 on loopback: nothing listens there in a test sandbox.
  auto status = CheckHealth(MakeChannel("127.0.0.1:1"), "", absl::Milliseconds(300));
  EXPECT_FALSE(status.ok());
}

}  // namespace
}  // namespace zb
