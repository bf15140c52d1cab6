// Storage shards' answers to AggregateIndicators, kept by query while they
// are current, so a repeated TimeSeries, Rank or Aggregate is answered
// without asking the shards again.
//
// An answer is current while (a) its shard's epoch and index generation are
// the ones the shard last announced on its WatchWrites stream and (b) the
// read lease that stream holds has not run out. The shard holds every write
// back until this cache has confirmed the generation that contains it (see
// services/storage/write_watchers.h), so once a write is acknowledged no
// answer computed before it is served. Without a running lease every lookup
// misses: the cache never serves on its own authority.
//
// Bounded by bytes (least recently used answers go first). Thread-safe.
#ifndef ZHIBIAO_SERVICES_QUERY_RESULT_CACHE_H_
#define ZHIBIAO_SERVICES_QUERY_RESULT_CACHE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::query {

class ResultCache {
 public:
  using Response = zhibiao::v1::AggregateIndicatorsResponse;

  ResultCache(size_t max_bytes, int shards);

  // The request as a cache key (deterministic serialisation).
  static std::string KeyOf(const zhibiao::v1::AggregateIndicatorsRequest& request);

  // `shard`'s answer to the request keyed `key`, if it is current; else null.
  std::shared_ptr<const Response> Lookup(int shard, absl::string_view key) ABSL_LOCKS_EXCLUDED(mu_);
  // Keeps `response`, computed by `shard` for `key`, if it can become
  // current: its epoch is the shard's and its generation not older.
  void Insert(int shard, absl::string_view key, std::shared_ptr<const Response> response)
      ABSL_LOCKS_EXCLUDED(mu_);

  // From the shard's WatchWrites stream. A new epoch (the shard restarted)
  // makes every answer of the old one stale and ends the lease.
  void SetGeneration(int shard, uint64_t epoch, uint64_t generation) ABSL_LOCKS_EXCLUDED(mu_);
  // The lease of `shard` in `epoch` runs until `until` (on this clock).
  void ExtendLease(int shard, uint64_t epoch, absl::Time until) ABSL_LOCKS_EXCLUDED(mu_);
  // The stream ended: nothing of `shard` is served until a new lease.
  void DropLease(int shard) ABSL_LOCKS_EXCLUDED(mu_);
  // The generation of `shard` this cache has applied (for tests; ShardLeases
  // confirms per stream).
  uint64_t generation(int shard) const ABSL_LOCKS_EXCLUDED(mu_);

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t evictions = 0;
    int64_t entries = 0;
    int64_t bytes = 0;
    int leased_shards = 0;  // shards whose lease runs now
  };
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct ShardState {
    uint64_t epoch = 0;
    uint64_t generation = 0;
    absl::Time lease_until = absl::InfinitePast();
  };
  struct Entry {
    std::string key;  // shard byte + request bytes
    uint64_t epoch = 0;
    uint64_t generation = 0;
    std::shared_ptr<const Response> response;
    size_t bytes = 0;
  };
  using Lru = std::list<Entry>;  // most recently used first

  static std::string EntryKey(int shard, absl::string_view key);
  void EraseLocked(Lru::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::vector<ShardState> shards_ ABSL_GUARDED_BY(mu_);
  Lru lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<absl::string_view, Lru::iterator> index_ ABSL_GUARDED_BY(mu_);  // views into Entry::key
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t evictions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_RESULT_CACHE_H_
