// The storage shards a stateless service (ingest, query) talks to: one
// channel and stub per shard, the routing rule from region code to shard, and
// a monitor that watches every shard's health.
//
// Routing rule (documented in docs/storage.md): a report goes to shard
// FNV-1a-32(region_code) mod N, where region_code is its six-digit GB/T 2260
// code ("" when unresolved). Every ingest replica must be given the same
// --storage list in the same order.
//
// Thread-safe.
#ifndef ZHIBIAO_COMMON_RPC_STORAGE_SHARDS_H_
#define ZHIBIAO_COMMON_RPC_STORAGE_SHARDS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/rpc/channels.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb {

// The shard index for a region code among `shard_count` shards.
// REQUIRES: shard_count >= 1.
int ShardForRegion(absl::string_view region_code, int shard_count);

class StorageShards {
 public:
  // REQUIRES: `addresses` is not empty.
  explicit StorageShards(const std::vector<std::string>& addresses,
                         const ChannelOptions& options = {});
  ~StorageShards();

  int size() const { return static_cast<int>(shards_.size()); }
  zhibiao::v1::StorageService::StubInterface* stub(int shard) const {
    return shards_[shard].stub.get();
  }
  const std::string& address(int shard) const { return shards_[shard].address; }
  // "storage shard 2 (127.0.0.1:7402)", for error messages.
  std::string Describe(int shard) const;

  // Starts a thread that checks every shard's health each `interval`; calls
  // `on_ready` once, the first time every shard has answered SERVING, and
  // logs every change of a shard's state. Call at most once.
  void StartMonitor(absl::Duration interval, std::function<void()> on_ready);
  // Stops the monitor thread (idempotent); the destructor calls it too.
  void StopMonitor();
  // True when the last check of `shard` found it SERVING.
  bool healthy(int shard) const { return shards_[shard].healthy->load(); }

  // For tests: replaces the stub of `shard` (takes ownership).
  void SetStubForTesting(int shard,
                         std::unique_ptr<zhibiao::v1::StorageService::StubInterface> stub);

 private:
  struct Shard {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<zhibiao::v1::StorageService::StubInterface> stub;
    std::unique_ptr<std::atomic<bool>> healthy;
  };
  void MonitorLoop(absl::Duration interval, std::function<void()> on_ready);

  std::vector<Shard> shards_;
  absl::Notification stop_;
  std::thread monitor_;
};

}  // namespace zb

#endif  // ZHIBIAO_COMMON_RPC_STORAGE_SHARDS_H_
