// Storage shards' answers to AggregateIndicators, kept by query while they
// are current, so a repeated TimeSeries, Rank or Aggregate is answered
// without asking the shards again; and whole serialised replies built from
// such answers, current while every answer they were built from is, so a
// repeated call is answered without building its reply again.
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
  // The state of one shard an answer or reply was computed from.
  struct Version {
    int shard = 0;
    uint64_t epoch = 0;
    uint64_t generation = 0;
  };

  ResultCache(size_t max_bytes, int shards);

  // The request as a cache key (deterministic serialisation).
  static std::string KeyOf(const zhibiao::v1::AggregateIndicatorsRequest& request);

  // `shard`'s answer to the request keyed `key`, if it is current; else null.
  std::shared_ptr<const Response> Lookup(int shard, absl::string_view key) ABSL_LOCKS_EXCLUDED(mu_);
  // Keeps `response`, computed by `shard` for `key`, if it can become
  // current: its epoch is the shard's and its generation not older.
  void Insert(int shard, absl::string_view key, std::shared_ptr<const Response> response)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The key of a reply: `method` (a letter per method) and the request's
  // bytes. Replies are looked up and kept only under such keys, which never
  // equal a shard answer's.
  static std::string ReplyKeyOf(char method, absl::string_view request_bytes);
  // The serialised reply kept for `reply_key` (from ReplyKeyOf), if every
  // shard answer it was built from is still current.
  std::shared_ptr<const std::string> LookupReply(const std::string& reply_key)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Keeps `reply`, built from answers of the shards at `versions`, if each
  // of them can become current (as Insert requires of an answer).
  void InsertReply(std::string reply_key, std::vector<Version> versions,
                   std::shared_ptr<const std::string> reply) ABSL_LOCKS_EXCLUDED(mu_);

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
    int64_t hits = 0;  // shard answers
    int64_t misses = 0;
    int64_t reply_hits = 0;  // whole replies
    int64_t reply_misses = 0;
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
  // A shard's answer (one version) or a reply (one version per shard).
  struct Entry {
    std::string key;  // AnswerKey or ReplyKeyOf
    std::vector<Version> versions;
    std::shared_ptr<const Response> answer;
    std::shared_ptr<const std::string> reply;
    size_t bytes = 0;
  };
  using Lru = std::list<Entry>;  // most recently used first
  enum class Freshness { kCurrent, kNotYet, kStale };

  static std::string AnswerKey(int shard, absl::string_view key);
  // The entry at `entry_key` if current at `now` (and marked used); else
  // null, dropping it when it can never be current again. Counts hit or miss.
  const Entry* FindCurrentLocked(const std::string& entry_key, absl::Time now, int64_t* hits,
                                 int64_t* misses) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Freshness FreshnessLocked(const std::vector<Version>& versions, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // False when a version can never become current (another epoch, an older generation).
  bool CanBecomeCurrentLocked(const std::vector<Version>& versions) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddLocked(std::string entry_key, Entry entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(Lru::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::vector<ShardState> shards_ ABSL_GUARDED_BY(mu_);
  Lru lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<absl::string_view, Lru::iterator> index_
      ABSL_GUARDED_BY(mu_);  // views into Entry::key
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reply_hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reply_misses_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t evictions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_RESULT_CACHE_H_
