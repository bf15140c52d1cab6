#include "common/rpc/executor.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace zb {
namespace {

TEST(ExecutorTest, RunsEveryAcceptedTaskBeforeShutdownReturns) {
  std::atomic<int> done{0};
  Executor executor("test", 2, 100);
  int accepted = 0;
  for (int i = 0; i < 50; ++i) accepted += executor.TrySubmit([&] { done++; }) ? 1 : 0;
  executor.Shutdown();
  EXPECT_EQ(accepted, 50);
  EXPECT_EQ(done.load(), 50);
}

TEST(ExecutorTest, RejectsWhenQueueIsFull) {
  Executor executor("test", 1, 2);
  absl::Notification release;
  absl::Notification started;
  ASSERT_TRUE(executor.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();  // the worker is busy; the queue is empty
  EXPECT_TRUE(executor.TrySubmit([] {}));
  EXPECT_TRUE(executor.TrySubmit([] {}));
  EXPECT_FALSE(executor.TrySubmit([] {}));
  EXPECT_EQ(executor.queued(), 2);
  release.Notify();
}

TEST(ExecutorTest, RejectsAfterShutdown) {
  Executor executor("test", 1, 2);
  executor.Shutdown();
  EXPECT_FALSE(executor.TrySubmit([] {}));
}

}  // namespace
}  // namespace zb
