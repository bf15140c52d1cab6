#include "services/query/result_cache.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>

#include "common/base/monotonic.h"

namespace zb::query {

namespace {
// Bookkeeping of one entry beyond its key and answer bytes.
constexpr size_t kEntryOverhead = 160;
}  // namespace

ResultCache::ResultCache(size_t max_bytes, int shards) : max_bytes_(max_bytes), shards_(shards) {}

std::string ResultCache::KeyOf(const zhibiao::v1::AggregateIndicatorsRequest& request) {
  // weight_keys is the request's only map: without it, the plain
  // serialisation is already deterministic (and cheaper).
  if (request.weight_keys().empty()) return request.SerializeAsString();
  std::string key;
  {
    google::protobuf::io::StringOutputStream stream(&key);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);  // map fields in key order
    request.SerializeToCodedStream(&coded);
  }
  return key;
}

std::string ResultCache::EntryKey(int shard, absl::string_view key) {
  std::string entry_key;
  entry_key.reserve(key.size() + 2);
  entry_key.push_back(static_cast<char>(shard & 0xff));
  entry_key.push_back(static_cast<char>((shard >> 8) & 0xff));
  entry_key.append(key.data(), key.size());
  return entry_key;
}

void ResultCache::EraseLocked(Lru::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(absl::string_view(it->key));
  lru_.erase(it);
}

std::shared_ptr<const ResultCache::Response> ResultCache::Lookup(int shard, absl::string_view key) {
  const std::string entry_key = EntryKey(shard, key);
  const absl::Time now = MonotonicNow();
  absl::MutexLock lock(&mu_);
  const ShardState& state = shards_[shard];
  if (now >= state.lease_until) {
    ++misses_;
    return nullptr;
  }
  auto found = index_.find(absl::string_view(entry_key));
  if (found == index_.end()) {
    ++misses_;
    return nullptr;
  }
  Lru::iterator it = found->second;
  if (it->epoch != state.epoch || it->generation != state.generation) {
    // Older than the shard's latest generation: never current again (a
    // newer one is kept until the shard announces it).
    if (it->epoch != state.epoch || it->generation < state.generation) EraseLocked(it);
    ++misses_;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it);
  ++hits_;
  return it->response;
}

void ResultCache::Insert(int shard, absl::string_view key, std::shared_ptr<const Response> response) {
  if (response == nullptr || response->store_epoch() == 0) return;  // a shard without leases
  const size_t bytes = key.size() + response->ByteSizeLong() + kEntryOverhead;
  if (bytes > max_bytes_ / 8) return;  // one answer may not push out most of the cache
  std::string entry_key = EntryKey(shard, key);
  absl::MutexLock lock(&mu_);
  const ShardState& state = shards_[shard];
  if (response->store_epoch() != state.epoch || response->index_generation() < state.generation) {
    return;
  }
  if (auto found = index_.find(absl::string_view(entry_key)); found != index_.end()) {
    EraseLocked(found->second);
  }
  lru_.push_front(Entry{std::move(entry_key), response->store_epoch(), response->index_generation(),
                        std::move(response), bytes});
  index_.emplace(absl::string_view(lru_.front().key), lru_.begin());
  bytes_ += bytes;
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    EraseLocked(std::prev(lru_.end()));
    ++evictions_;
  }
}

void ResultCache::SetGeneration(int shard, uint64_t epoch, uint64_t generation) {
  absl::MutexLock lock(&mu_);
  ShardState& state = shards_[shard];
  if (epoch != state.epoch) {
    state.epoch = epoch;
    state.generation = generation;
    state.lease_until = absl::InfinitePast();
    return;
  }
  state.generation = std::max(state.generation, generation);
}

void ResultCache::ExtendLease(int shard, uint64_t epoch, absl::Time until) {
  absl::MutexLock lock(&mu_);
  ShardState& state = shards_[shard];
  if (epoch == state.epoch) state.lease_until = std::max(state.lease_until, until);
}

void ResultCache::DropLease(int shard) {
  absl::MutexLock lock(&mu_);
  shards_[shard].lease_until = absl::InfinitePast();
}

uint64_t ResultCache::generation(int shard) const {
  absl::MutexLock lock(&mu_);
  return shards_[shard].generation;
}

ResultCache::Stats ResultCache::stats() const {
  const absl::Time now = MonotonicNow();
  absl::MutexLock lock(&mu_);
  Stats stats;
  stats.hits = hits_;
  stats.misses = misses_;
  stats.evictions = evictions_;
  stats.entries = static_cast<int64_t>(lru_.size());
  stats.bytes = static_cast<int64_t>(bytes_);
  for (const ShardState& s : shards_) stats.leased_shards += now < s.lease_until ? 1 : 0;
  return stats;
}

}  // namespace zb::query
