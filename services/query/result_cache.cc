#include "services/query/result_cache.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>

#include "common/base/monotonic.h"

namespace zb::query {

namespace {
// Bookkeeping of one entry beyond its key, answer or reply bytes and
// versions: the list node, the index slot, the shared_ptr control block and
// the versions' allocation.
constexpr size_t kEntryOverhead = 240;
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

std::string ResultCache::AnswerKey(int shard, absl::string_view key) {
  std::string entry_key;
  entry_key.reserve(key.size() + 3);
  entry_key.push_back('a');
  entry_key.push_back(static_cast<char>(shard & 0xff));
  entry_key.push_back(static_cast<char>((shard >> 8) & 0xff));
  entry_key.append(key.data(), key.size());
  return entry_key;
}

std::string ResultCache::ReplyKeyOf(char method, absl::string_view request_bytes) {
  std::string reply_key;
  reply_key.reserve(request_bytes.size() + 2);
  reply_key.push_back('r');
  reply_key.push_back(method);
  reply_key.append(request_bytes.data(), request_bytes.size());
  return reply_key;
}

void ResultCache::EraseLocked(Lru::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(absl::string_view(it->key));
  lru_.erase(it);
}

ResultCache::Freshness ResultCache::FreshnessLocked(const std::vector<Version>& versions,
                                                    absl::Time now) const {
  Freshness freshness = Freshness::kCurrent;
  for (const Version& v : versions) {
    const ShardState& state = shards_[v.shard];
    // Older than the shard's latest generation: never current again (a
    // newer one is kept until the shard announces it).
    if (v.epoch != state.epoch || v.generation < state.generation) return Freshness::kStale;
    if (v.generation != state.generation || now >= state.lease_until)
      freshness = Freshness::kNotYet;
  }
  return freshness;
}

bool ResultCache::CanBecomeCurrentLocked(const std::vector<Version>& versions) const {
  for (const Version& v : versions) {
    const ShardState& state = shards_[v.shard];
    if (v.epoch == 0 || v.epoch != state.epoch || v.generation < state.generation) return false;
  }
  return true;
}

const ResultCache::Entry* ResultCache::FindCurrentLocked(const std::string& entry_key,
                                                         absl::Time now, int64_t* hits,
                                                         int64_t* misses) {
  auto found = index_.find(absl::string_view(entry_key));
  if (found == index_.end()) {
    ++*misses;
    return nullptr;
  }
  Lru::iterator it = found->second;
  switch (FreshnessLocked(it->versions, now)) {
    case Freshness::kStale:
      EraseLocked(it);
      ++*misses;
      return nullptr;
    case Freshness::kNotYet: ++*misses; return nullptr;
    case Freshness::kCurrent: break;
  }
  lru_.splice(lru_.begin(), lru_, it);
  ++*hits;
  return &*it;
}

void ResultCache::AddLocked(std::string entry_key, Entry entry) {
  if (auto found = index_.find(absl::string_view(entry_key)); found != index_.end()) {
    EraseLocked(found->second);
  }
  entry.key = std::move(entry_key);
  bytes_ += entry.bytes;
  lru_.push_front(std::move(entry));
  index_.emplace(absl::string_view(lru_.front().key), lru_.begin());
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    EraseLocked(std::prev(lru_.end()));
    ++evictions_;
  }
}

std::shared_ptr<const ResultCache::Response> ResultCache::Lookup(int shard, absl::string_view key) {
  const std::string entry_key = AnswerKey(shard, key);
  const absl::Time now = MonotonicNow();
  absl::MutexLock lock(&mu_);
  const Entry* entry = FindCurrentLocked(entry_key, now, &hits_, &misses_);
  return entry != nullptr ? entry->answer : nullptr;
}

void ResultCache::Insert(int shard, absl::string_view key,
                         std::shared_ptr<const Response> response) {
  if (response == nullptr || response->store_epoch() == 0) return;  // a shard without leases
  Entry entry;
  entry.bytes = key.size() + response->ByteSizeLong() + sizeof(Version) + kEntryOverhead;
  if (entry.bytes > max_bytes_ / 8) return;  // one answer may not push out most of the cache
  entry.versions = {Version{shard, response->store_epoch(), response->index_generation()}};
  entry.answer = std::move(response);
  std::string entry_key = AnswerKey(shard, key);
  absl::MutexLock lock(&mu_);
  if (!CanBecomeCurrentLocked(entry.versions)) return;
  AddLocked(std::move(entry_key), std::move(entry));
}

std::shared_ptr<const std::string> ResultCache::LookupReply(const std::string& reply_key) {
  const absl::Time now = MonotonicNow();
  absl::MutexLock lock(&mu_);
  const Entry* entry = FindCurrentLocked(reply_key, now, &reply_hits_, &reply_misses_);
  return entry != nullptr ? entry->reply : nullptr;
}

void ResultCache::InsertReply(std::string reply_key, std::vector<Version> versions,
                              std::shared_ptr<const std::string> reply) {
  // Built from no shard: nothing could invalidate it.
  if (reply == nullptr || versions.empty()) return;
  Entry entry;
  entry.bytes =
      reply_key.size() + reply->size() + versions.size() * sizeof(Version) + kEntryOverhead;
  if (entry.bytes > max_bytes_ / 8) return;
  entry.versions = std::move(versions);
  entry.reply = std::move(reply);
  absl::MutexLock lock(&mu_);
  if (!CanBecomeCurrentLocked(entry.versions)) return;
  AddLocked(std::move(reply_key), std::move(entry));
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
  stats.reply_hits = reply_hits_;
  stats.reply_misses = reply_misses_;
  stats.evictions = evictions_;
  stats.entries = static_cast<int64_t>(lru_.size());
  stats.bytes = static_cast<int64_t>(bytes_);
  for (const ShardState& s : shards_) stats.leased_shards += now < s.lease_until ? 1 : 0;
  return stats;
}

}  // namespace zb::query
