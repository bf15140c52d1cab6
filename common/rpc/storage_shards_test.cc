#include "common/rpc/storage_shards.h"

#include <set>

#include "absl/synchronization/notification.h"
#include "common/rpc/server.h"
#include "gtest/gtest.h"

namespace zb {
namespace {

TEST(ShardForRegionTest, IsStableAndInRange) {
  // Fixed values: the routing rule is a contract between ingest replicas and
  // existing data; changing it strands stored reports on the wrong shard.
  EXPECT_EQ(ShardForRegion("410700", 1), 0);
  EXPECT_EQ(ShardForRegion("410700", 3), ShardForRegion("410700", 3));
  std::set<int> seen;
  for (int code = 110000; code < 660000; code += 1300) {
    int shard = ShardForRegion(std::to_string(code), 3);
    ASSERT_GE(shard, 0);
    ASSERT_LT(shard, 3);
    seen.insert(shard);
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST(StorageShardsTest, MonitorReportsReadyOnceEveryShardServes) {
  zhibiao::v1::StorageService::CallbackService service;
  ServerOptions options;
  options.health_service_names = {"zhibiao.v1.StorageService"};
  auto server = Server::Start(options, {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  StorageShards shards({(*server)->address()});
  absl::Notification ready;
  shards.StartMonitor(absl::Milliseconds(20), [&] { ready.Notify(); });
  EXPECT_FALSE(ready.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  EXPECT_FALSE(shards.healthy(0));
  (*server)->SetServing(true);
  EXPECT_TRUE(ready.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(shards.Describe(0), "storage shard 0 (" + (*server)->address() + ")");
}

}  // namespace
}  // namespace zb
