#include "common/query/moving_reports.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zb::query {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

MovingReports::ArrivingList Arriving(std::vector<std::pair<std::string, std::string>> marks) {
  MovingReports::ArrivingList out;
  for (const auto& [id, replaces] : marks) {
    auto* a = out.Add();
    a->set_report_id(id);
    a->set_replaces_report_id(replaces);
  }
  return out;
}

TEST(MovingReportsTest, AMovedReportCountsOnItsNewShardOnly) {
  const auto none = Arriving({});
  const auto on_b = Arriving({{"r", "r"}});
  const MovingReports moving({&none, &on_b, nullptr});
  EXPECT_FALSE(moving.empty());
  EXPECT_TRUE(moving.LeftOut(0, "r"));   // the old copy
  EXPECT_FALSE(moving.LeftOut(1, "r"));  // the arriving copy itself
  EXPECT_TRUE(moving.LeftOut(2, "r"));   // a shard that did not answer yet
  EXPECT_FALSE(moving.LeftOut(0, "s"));  // not moving
  EXPECT_THAT(moving.ExclusionsFor(0), ElementsAre("r"));
  EXPECT_THAT(moving.ExclusionsFor(1), IsEmpty());
}

TEST(MovingReportsTest, AnIdChangeLeavesTheOldIdOutEverywhere) {
  const auto none = Arriving({});
  const auto on_b = Arriving({{"new", "old"}});
  const MovingReports moving({&none, &on_b});
  EXPECT_TRUE(moving.LeftOut(0, "old"));
  EXPECT_TRUE(moving.LeftOut(1, "old"));  // on the same shard under the old id
  EXPECT_FALSE(moving.LeftOut(1, "new"));
  EXPECT_THAT(moving.ExclusionsFor(1), ElementsAre("old"));
}

TEST(MovingReportsTest, NothingMovingLeavesEverythingIn) {
  const auto none = Arriving({});
  const MovingReports moving({&none, nullptr});
  EXPECT_TRUE(moving.empty());
  EXPECT_FALSE(moving.LeftOut(0, "r"));
  EXPECT_THAT(moving.ExclusionsFor(0), IsEmpty());
}

}  // namespace
}  // namespace zb::query
