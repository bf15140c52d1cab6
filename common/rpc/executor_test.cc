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

TEST(ExecutorTest, StalledOnlyWhenEveryThreadIsStuckAndWorkWaits) {
  Executor executor("test", 1, 4);
  Executor::Progress idle = executor.progress();
  EXPECT_EQ(idle.threads, 1);
  EXPECT_EQ(idle.running, 0);
  // Idle for an hour is not a stall: nothing waits.
  EXPECT_FALSE(Executor::Stalled(idle, absl::Now() + absl::Hours(1), absl::Seconds(60)));

  absl::Notification release;
  absl::Notification started;
  ASSERT_TRUE(executor.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();
  // Busy with nothing queued is not a stall either.
  EXPECT_FALSE(
      Executor::Stalled(executor.progress(), absl::Now() + absl::Hours(1), absl::Seconds(60)));

  ASSERT_TRUE(executor.TrySubmit([] {}));
  const Executor::Progress stuck = executor.progress();
  EXPECT_EQ(stuck.running, 1);
  EXPECT_EQ(stuck.queued, 1);
  EXPECT_FALSE(Executor::Stalled(stuck, absl::Now(), absl::Seconds(60)));  // just started
  EXPECT_TRUE(Executor::Stalled(stuck, absl::Now() + absl::Seconds(61), absl::Seconds(60)));

  release.Notify();
  executor.Shutdown();
  const Executor::Progress done = executor.progress();
  EXPECT_EQ(done.running, 0);
  EXPECT_EQ(done.queued, 0);
  EXPECT_FALSE(Executor::Stalled(done, absl::Now() + absl::Hours(1), absl::Seconds(60)));
}

}  // namespace
}  // namespace zb
