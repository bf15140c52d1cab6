#include "services/query/shard_leases.h"

#include <algorithm>
#include <optional>

#include "common/base/logging.h"
#include "common/base/monotonic.h"
#include "common/lease/lease_table.h"

namespace zb::query {

namespace {
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(250);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
}  // namespace

// One WatchWrites stream to one shard.
class ShardLeases::Stream : public grpc::ClientBidiReactor<zhibiao::v1::WatchWritesRequest,
                                                           zhibiao::v1::WatchWritesEvent> {
 public:
  Stream(ShardLeases* owner, int shard) : owner_(owner), shard_(shard) {
    owner_->shards_->stub(shard)->async()->WatchWrites(&context_, this);
    // Heartbeat() starts writes from outside the reactions: the hold keeps
    // the call alive until the last read failed (then none is started).
    AddHold();
    StartRead(&event_);
    Heartbeat();
    StartCall();
  }

  // Asks for the lease to be renewed.
  void Heartbeat() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    want_heartbeat_ = true;
    WriteIfDue();
  }

  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    ResultCache* cache = owner_->cache_;
    if (!ok) {
      cache->DropLease(shard_);  // at once: OnDone may come later
      {
        absl::MutexLock lock(&mu_);
        ended_ = true;  // no write is started from here on
      }
      RemoveHold();
      return;
    }
    const uint64_t epoch = event_.store_epoch();
    // Apply the generation before confirming it: from here on, no answer
    // older than it is served.
    cache->SetGeneration(shard_, epoch, event_.index_generation());
    {
      absl::MutexLock lock(&mu_);
      const absl::Duration granted = absl::Milliseconds(event_.lease_ms());
      // From when the heartbeat left here, less a margin (lease::LeaseRenewal).
      if (std::optional<absl::Time> until = renewal_.Answered(event_.heartbeat(), granted)) {
        cache->ExtendLease(shard_, epoch, *until);
        owner_->HeartbeatAtLeastEvery(lease::LeaseRenewal::HeartbeatInterval(granted));
      }
      confirm_ = std::max(confirm_, event_.index_generation());
      WriteIfDue();
    }
    StartRead(&event_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) ended_ = true;  // the stream broke; the read fails next
    WriteIfDue();
  }

  void OnDone(const grpc::Status& status) override {
    owner_->cache_->DropLease(shard_);
    bool granted;
    {
      absl::MutexLock lock(&mu_);
      granted = renewal_.granted_any();
    }
    owner_->StreamDone(shard_, status, granted);
    delete this;
  }

 private:
  // Writes what is due (a heartbeat, a confirmation) when no write is in
  // flight. Under the lock, so it never races the end of the stream; a
  // write's reaction never runs inline.
  void WriteIfDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || ended_) return;
    if (!want_heartbeat_ && confirm_ <= confirmed_sent_) return;
    outgoing_.Clear();
    if (want_heartbeat_) {
      want_heartbeat_ = false;
      outgoing_.set_heartbeat(renewal_.Send(MonotonicNow()));
      outgoing_.set_lease_ms(static_cast<int32_t>(absl::ToInt64Milliseconds(owner_->lease_)));
    }
    outgoing_.set_confirmed_generation(confirm_);
    confirmed_sent_ = confirm_;
    writing_ = true;
    StartWrite(&outgoing_);
  }

  ShardLeases* const owner_;
  const int shard_;
  grpc::ClientContext context_;
  zhibiao::v1::WatchWritesEvent event_;  // one read at a time
  absl::Mutex mu_;
  zhibiao::v1::WatchWritesRequest outgoing_ ABSL_GUARDED_BY(mu_);  // one write at a time
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool want_heartbeat_ ABSL_GUARDED_BY(mu_) = false;
  lease::LeaseRenewal renewal_ ABSL_GUARDED_BY(mu_);  // on the monotonic clock
  // Newest generation this stream announced and the cache applied. Per
  // stream, not the cache's: after a shard restart the cache may still hold
  // the old run's larger numbers, which the new run must never see confirmed.
  uint64_t confirm_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t confirmed_sent_ ABSL_GUARDED_BY(mu_) = 0;  // newest generation confirmed
};

ShardLeases::ShardLeases(StorageShards* shards, ResultCache* cache, absl::Duration lease)
    : shards_(shards),
      cache_(cache),
      lease_(lease),
      heartbeat_ms_(absl::ToInt64Milliseconds(lease / 4)) {
  slots_.resize(shards->size());
  for (ShardSlot& slot : slots_) {
    slot.next_attempt = absl::InfinitePast();
    slot.backoff = kFirstBackoff;
  }
  thread_ = std::thread([this] { Loop(); });
}

ShardLeases::~ShardLeases() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    changed_.Signal();
    for (ShardSlot& slot : slots_) {
      if (slot.stream != nullptr) slot.stream->Cancel();
    }
  }
  thread_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* open) { return *open == 0; }, &open_streams_));
}

void ShardLeases::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time now = MonotonicNow();
    for (int shard = 0; shard < static_cast<int>(slots_.size()); ++shard) {
      ShardSlot& slot = slots_[shard];
      if (slot.stream != nullptr) {
        slot.stream->Heartbeat();
      } else if (now >= slot.next_attempt) {
        ++open_streams_;
        slot.stream = new Stream(this, shard);
      }
    }
    changed_.WaitWithTimeout(&mu_, absl::Milliseconds(heartbeat_ms_.load()));
  }
}

void ShardLeases::HeartbeatAtLeastEvery(absl::Duration interval) {
  // Only shrinks: one interval serves every shard, so the shortest lease rules.
  const int64_t ms = absl::ToInt64Milliseconds(interval);
  int64_t current = heartbeat_ms_.load();
  while (ms < current && !heartbeat_ms_.compare_exchange_weak(current, ms)) {
  }
}

void ShardLeases::StreamDone(int shard, const grpc::Status& status, bool usable) {
  absl::MutexLock lock(&mu_);
  ShardSlot& slot = slots_[shard];
  slot.stream = nullptr;
  --open_streams_;
  if (stopping_) return;
  slot.backoff = usable ? kFirstBackoff : std::min(slot.backoff * 2, kMaxBackoff);
  slot.next_attempt = MonotonicNow() + slot.backoff;
  if (usable || slot.backoff == kFirstBackoff * 2) {
    LogInfo("cache_lease_lost", {{"shard", shards_->Describe(shard)},
                                 {"error", status.error_message()},
                                 {"retry_ms", absl::ToInt64Milliseconds(slot.backoff)}});
  }
}

}  // namespace zb::query
