#include "common/base/call_budget.h"

#include <atomic>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace zb {
namespace {

TEST(CallBudgetTest, UnlimitedNeverStops) {
  CallBudget budget;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(budget.CheckEvery(7, "reading").ok());
  EXPECT_TRUE(budget.Check("reading").ok());
}

TEST(CallBudgetTest, APassedDeadlineStopsNamingTheStage) {
  CallBudget budget(absl::Now() - absl::Seconds(1), nullptr);
  absl::Status s = budget.Check("reading the PDF");
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(s.message().find("reading the PDF"), absl::string_view::npos) << s;
}

TEST(CallBudgetTest, CancellationStopsAndCheckEveryLooksOnlyEveryNthCall) {
  std::atomic<bool> gone{false};
  CallBudget budget(absl::InfiniteFuture(), [&gone] { return gone.load(); });
  EXPECT_TRUE(budget.Check("extraction").ok());
  gone = true;
  EXPECT_EQ(budget.Check("extraction").code(), absl::StatusCode::kCancelled);
  int stopped_at = 0;
  for (int i = 1; i <= 10; ++i) {
    if (!budget.CheckEvery(4, "extraction").ok()) {
      stopped_at = i;
      break;
    }
  }
  EXPECT_EQ(stopped_at, 4);
}

}  // namespace
}  // namespace zb
