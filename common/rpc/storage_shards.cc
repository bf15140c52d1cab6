#include "common/rpc/storage_shards.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/logging.h"

namespace zb {

int ShardForRegion(absl::string_view region_code, int shard_count) {
  uint32_t hash = 2166136261u;  // FNV-1a, 32 bit
  for (unsigned char c : region_code) {
    hash ^= c;
    hash *= 16777619u;
  }
  return static_cast<int>(hash % static_cast<uint32_t>(shard_count));
}

StorageShards::StorageShards(const std::vector<std::string>& addresses,
                             const ChannelOptions& options) {
  for (const std::string& address : addresses) {
    Shard shard;
    shard.address = address;
    shard.channel = MakeChannel(address, options);
    shard.stub = zhibiao::v1::StorageService::NewStub(shard.channel);
    shard.healthy = std::make_unique<std::atomic<bool>>(false);
    shards_.push_back(std::move(shard));
  }
}

StorageShards::~StorageShards() { StopMonitor(); }

void StorageShards::StopMonitor() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (monitor_.joinable()) monitor_.join();
}

std::string StorageShards::Describe(int shard) const {
  return absl::StrCat("storage shard ", shard, " (", shards_[shard].address, ")");
}

void StorageShards::SetStubForTesting(
    int shard, std::unique_ptr<zhibiao::v1::StorageService::StubInterface> stub) {
  shards_[shard].stub = std::move(stub);
}

void StorageShards::StartMonitor(absl::Duration interval, std::function<void()> on_ready) {
  monitor_ = std::thread(
      [this, interval, on_ready = std::move(on_ready)] { MonitorLoop(interval, on_ready); });
}

void StorageShards::MonitorLoop(absl::Duration interval, std::function<void()> on_ready) {
  bool ready_reported = false;
  std::vector<bool> was_checked(shards_.size(), false);
  do {
    bool all_serving = true;
    for (int i = 0; i < size(); ++i) {
      absl::StatusOr<std::string> status =
          CheckHealth(shards_[i].channel, "zhibiao.v1.StorageService", absl::Seconds(1));
      const bool serving = status.ok() && *status == "SERVING";
      const bool before = shards_[i].healthy->exchange(serving);
      if (serving != before || !was_checked[i]) {
        const std::string state = status.ok() ? *status : std::string(status.status().message());
        if (serving) {
          LogInfo("storage_shard_up", {{"shard", i}, {"address", shards_[i].address}});
        } else {
          LogWarning("storage_shard_down",
                     {{"shard", i}, {"address", shards_[i].address}, {"state", state}});
        }
      }
      was_checked[i] = true;
      all_serving = all_serving && serving;
    }
    if (all_serving && !ready_reported) {
      ready_reported = true;
      if (on_ready) on_ready();
    }
  } while (!stop_.WaitForNotificationWithTimeout(interval));
}

}  // namespace zb
