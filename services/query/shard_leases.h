// Feeds a ResultCache from every storage shard's WatchWrites stream: applies
// each index generation the shard announces, then confirms it; sends a
// heartbeat every quarter lease and extends the cache's lease of the shard
// from the time that heartbeat was sent (more often when a shard grants a
// shorter lease than asked); drops the lease when the stream
// ends and opens a new one (backing off up to 5 s while the shard refuses
// or cannot be reached). The lease arithmetic is lease::LeaseRenewal's
// (common/lease/lease_table.h); this class is its streams and its thread.
//
// Thread-safe. One thread of its own for heartbeats and reconnections.
#ifndef ZHIBIAO_SERVICES_QUERY_SHARD_LEASES_H_
#define ZHIBIAO_SERVICES_QUERY_SHARD_LEASES_H_

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/rpc/storage_shards.h"
#include "services/query/result_cache.h"

namespace zb::query {

class ShardLeases {
 public:
  // Does not own `shards` or `cache`; they must outlive it. `lease` is what
  // it asks each shard for (the shard may grant less).
  ShardLeases(StorageShards* shards, ResultCache* cache, absl::Duration lease);
  // Ends every stream (the shard still counts the leases until they run out).
  ~ShardLeases();
  ShardLeases(const ShardLeases&) = delete;
  ShardLeases& operator=(const ShardLeases&) = delete;

 private:
  class Stream;
  struct ShardSlot {
    Stream* stream = nullptr;  // the open stream, or null
    absl::Time next_attempt;   // monotonic: when to open the next one
    absl::Duration backoff;
  };

  void Loop() ABSL_LOCKS_EXCLUDED(mu_);
  // A shard granted a shorter lease than asked: heartbeats at least this often.
  void HeartbeatAtLeastEvery(absl::Duration interval);
  // A stream ended with `status`; `usable` when it had granted a lease.
  void StreamDone(int shard, const grpc::Status& status, bool usable) ABSL_LOCKS_EXCLUDED(mu_);

  StorageShards* const shards_;
  ResultCache* const cache_;
  const absl::Duration lease_;
  std::atomic<int64_t> heartbeat_ms_;  // a quarter of the shortest lease granted
  absl::Mutex mu_;
  absl::CondVar changed_;
  std::vector<ShardSlot> slots_ ABSL_GUARDED_BY(mu_);
  int open_streams_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_SHARD_LEASES_H_
