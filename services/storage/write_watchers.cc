#include "services/storage/write_watchers.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/base/logging.h"
#include "common/base/monotonic.h"
#include "common/base/port_file.h"
#include "common/rpc/server.h"

namespace zb::storage {

namespace {

uint64_t RandomEpoch() {
  std::random_device device;
  uint64_t epoch = 0;
  while (epoch == 0) epoch = (static_cast<uint64_t>(device()) << 32) ^ device();
  return epoch;
}

// The longest the previous run's leases can make a restart wait (a file
// written by a run with a long --read_lease_ms, or a clock set back).
constexpr absl::Duration kLongestPreviousRunHold = absl::Minutes(1);

// How long writes wait after start for leases the previous run granted:
// until the time the lease file names (bounded); the bound when the file
// cannot be read; nothing without a file.
absl::Duration PreviousRunHold(const std::string& lease_file) {
  if (lease_file.empty()) return absl::ZeroDuration();
  std::ifstream in(lease_file);
  if (!in)
    return std::filesystem::exists(lease_file) ? kLongestPreviousRunHold : absl::ZeroDuration();
  int64_t until_unix_ms = 0;
  if (!(in >> until_unix_ms)) return kLongestPreviousRunHold;
  const absl::Duration left = absl::FromUnixMillis(until_unix_ms) - absl::Now();
  return std::clamp(left, absl::ZeroDuration(), kLongestPreviousRunHold);
}

}  // namespace

// One WatchWrites stream. Its state is guarded by the owner's mutex: what to
// do is decided under it (Plan), and gRPC is called once it is released.
class WriteWatchers::Stream : public grpc::ServerBidiReactor<Request, Event> {
 public:
  Stream(WriteWatchers* owner, std::shared_ptr<Lease> lease, uint64_t floor_generation)
      : owner_(owner), lease_(std::move(lease)), floor_generation_(floor_generation) {}

  // Registers the lease and sends the first event. Called once, right after
  // construction, without the owner's lock.
  void Begin() ABSL_LOCKS_EXCLUDED(owner_->mu_) {
    StartRead(&incoming_);  // before anyone else may end the stream
    Actions actions;
    {
      absl::MutexLock lock(&owner_->mu_);
      lease_->stream = this;
      owner_->leases_.push_back(lease_);
      // FinishStreams may have run since Watch looked.
      if (owner_->closing_)
        WantFinish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "storage is stopping"));
      Plan(&actions);
    }
    Run(actions);
  }

  void OnReadDone(bool ok) override {
    Actions actions;
    std::vector<std::function<void()>> released;
    bool read_again = false;
    // A renewal needs the lease file to cover it first; that write (synced)
    // happens before the lock is taken, off the writer's path. incoming_ is
    // this reactor's alone until the next StartRead.
    absl::Duration granted = owner_->max_lease_;
    if (ok && incoming_.lease_ms() > 0) {
      granted = std::min(granted, absl::Milliseconds(incoming_.lease_ms()));
    }
    const bool remembered =
        ok && incoming_.heartbeat() != 0 && owner_->RememberLease(absl::Now() + granted);
    {
      absl::MutexLock lock(&owner_->mu_);
      if (!ok) {
        WantFinish(grpc::Status::OK);
      } else {
        const absl::Time now = MonotonicNow();
        lease_->confirmed = std::max(lease_->confirmed, incoming_.confirmed_generation());
        // Renewed only for a watcher that keeps up (it has not left a write
        // waiting longer than a lease) and once the lease file covers it.
        if (remembered && !owner_->StuckBehind(*lease_, now)) {
          lease_->expiry = std::max(lease_->expiry, now + granted);
          echo_heartbeat_ = incoming_.heartbeat();
          echo_lease_ms_ = static_cast<int32_t>(absl::ToInt64Milliseconds(granted));
          owner_->lease_changed_.Signal();
        }
        released = owner_->TakeReleased(now);
      }
      read_again = ok && !finish_wanted_;
      // Under the lock, so nobody finishes the stream in between (a read's
      // reaction never runs inline).
      if (read_again) StartRead(&incoming_);
      Plan(&actions);
    }
    for (auto& done : released) done();
    Run(actions);
  }

  void OnWriteDone(bool ok) override {
    Actions actions;
    {
      absl::MutexLock lock(&owner_->mu_);
      writing_ = false;
      if (!ok) WantFinish(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
      Plan(&actions);
    }
    Run(actions);
  }

  void OnCancel() override {
    Actions actions;
    {
      absl::MutexLock lock(&owner_->mu_);
      WantFinish(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
      Plan(&actions);
    }
    Run(actions);
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&owner_->mu_);
      lease_->stream = nullptr;  // the lease itself runs on until it expires
      owner_->lease_changed_.Signal();
    }
    LogInfo("lease_stream_done", {{"caller", lease_->caller}});
    delete this;
  }

  // Ends the stream with `status` once no write is in flight.
  void WantFinish(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(owner_->mu_) {
    if (finish_wanted_) return;
    finish_wanted_ = true;
    finish_status_ = std::move(status);
  }

  // What to do once the lock is released.
  struct Actions {
    bool write = false;
    bool finish = false;
    grpc::Status finish_status;  // with finish
  };

  // For WriteWatchers' own methods, which hold mu_: tells the thread-safety
  // analysis that this stream's owner_->mu_ is that lock (checked at run time).
  void AssertOwnerLocked() const ABSL_ASSERT_EXCLUSIVE_LOCK(owner_->mu_) {
    owner_->mu_.AssertHeld();
  }

  void Plan(Actions* actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(owner_->mu_) {
    if (finished_ || writing_) return;
    if (finish_wanted_) {
      finished_ = true;
      actions->finish = true;
      actions->finish_status = finish_status_;
      return;
    }
    const uint64_t generation = std::max(owner_->published_, floor_generation_);
    if (sent_any_ && generation <= sent_generation_ && echo_heartbeat_ == 0) return;
    outgoing_.set_store_epoch(owner_->epoch_);
    outgoing_.set_index_generation(generation);
    outgoing_.set_heartbeat(echo_heartbeat_);
    outgoing_.set_lease_ms(echo_heartbeat_ != 0 ? echo_lease_ms_ : 0);
    sent_any_ = true;
    sent_generation_ = generation;
    echo_heartbeat_ = 0;
    writing_ = true;
    actions->write = true;
  }

  void Run(const Actions& actions) {
    if (actions.write) StartWrite(&outgoing_);
    if (actions.finish) Finish(actions.finish_status);
  }

 private:
  WriteWatchers* const owner_;
  const std::shared_ptr<Lease> lease_;
  const uint64_t floor_generation_;              // the index's generation when the stream began
  Request incoming_;                             // one read at a time
  Event outgoing_ ABSL_GUARDED_BY(owner_->mu_);  // one write at a time
  bool writing_ ABSL_GUARDED_BY(owner_->mu_) = false;
  bool sent_any_ ABSL_GUARDED_BY(owner_->mu_) = false;
  uint64_t sent_generation_ ABSL_GUARDED_BY(owner_->mu_) = 0;
  uint64_t echo_heartbeat_ ABSL_GUARDED_BY(owner_->mu_) = 0;
  int32_t echo_lease_ms_ ABSL_GUARDED_BY(owner_->mu_) = 0;
  bool finish_wanted_ ABSL_GUARDED_BY(owner_->mu_) = false;
  bool finished_ ABSL_GUARDED_BY(owner_->mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(owner_->mu_);
};

WriteWatchers::WriteWatchers(absl::Duration max_lease, std::function<uint64_t()> generation,
                             std::string lease_file)
    : max_lease_(std::max(max_lease, absl::ZeroDuration())),
      generation_(std::move(generation)),
      epoch_(RandomEpoch()),
      lease_file_(std::move(lease_file)) {
  // Read even without leases now: the previous run may have granted some.
  const absl::Duration hold = PreviousRunHold(lease_file_);
  if (hold > absl::ZeroDuration()) {
    // Leases the previous run of this shard may have granted.
    auto previous_run = std::make_shared<Lease>();
    previous_run->caller = "(leases of the shard's previous run)";
    previous_run->expiry = MonotonicNow() + hold;
    leases_.push_back(std::move(previous_run));
    LogInfo("writes_held_after_start", {{"ms", absl::ToInt64Milliseconds(hold)}});
  }
  if (max_lease_ == absl::ZeroDuration() && hold == absl::ZeroDuration()) return;
  lease_thread_ = std::thread([this] { LeaseLoop(); });
}

WriteWatchers::~WriteWatchers() {
  Held rest;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    lease_changed_.Signal();
  }
  if (lease_thread_.joinable()) lease_thread_.join();
  {
    absl::MutexLock lock(&mu_);
    rest.swap(held_);
  }
  // The writes are durable and the process ends: answer them.
  for (auto& [generation, write] : rest) write.done();
}

grpc::ServerBidiReactor<WriteWatchers::Request, WriteWatchers::Event>* WriteWatchers::Watch(
    std::string caller) {
  if (max_lease_ == absl::ZeroDuration()) {
    return RefuseStream<Request, Event>(
        grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                     "this storage shard runs without read leases (--read_lease_ms=0)"));
  }
  // During shutdown Begin() ends the stream at once (FinishStreams).
  auto lease = std::make_shared<Lease>();
  lease->caller = std::move(caller);
  LogInfo("lease_stream_started", {{"caller", lease->caller}});
  auto* stream = new Stream(this, std::move(lease), generation_());
  stream->Begin();
  return stream;
}

bool WriteWatchers::StuckBehind(const Lease& lease, absl::Time now) const {
  if (held_.empty()) return false;
  const auto& [generation, oldest] = *held_.begin();
  return lease.confirmed < generation && now - oldest.since > max_lease_;
}

bool WriteWatchers::RememberLease(absl::Time expiry) {
  if (lease_file_.empty()) return true;
  absl::MutexLock lock(&file_mu_);
  if (expiry <= remembered_until_) return true;
  // Half a lease ahead, so the file is rewritten about twice a lease (not
  // on every heartbeat) and a restart waits at most a lease and a half.
  const absl::Time until = expiry + max_lease_ / 2;
  absl::Status written =
      WriteFileDurably(lease_file_, absl::StrCat(absl::ToUnixMillis(until), "\n"));
  if (!written.ok()) {
    // A restart would not wait for this lease: say so when it starts failing.
    if (!lease_file_failing_) LogError("lease_file_unwritable", {{"error", written.ToString()}});
    lease_file_failing_ = true;
    return false;
  }
  lease_file_failing_ = false;
  remembered_until_ = until;
  return true;
}

bool WriteWatchers::HeldBack(uint64_t generation, absl::Time now) const {
  for (const auto& lease : leases_) {
    if (lease->expiry > now && lease->confirmed < generation) return true;
  }
  return false;
}

std::vector<std::function<void()>> WriteWatchers::TakeReleased(absl::Time now) {
  std::vector<std::function<void()>> released;
  while (!held_.empty() && !HeldBack(held_.begin()->first, now)) {
    released.push_back(std::move(held_.begin()->second.done));
    held_.erase(held_.begin());
  }
  return released;
}

void WriteWatchers::AfterConfirmed(uint64_t generation, std::function<void()> done) {
  std::vector<std::pair<Stream*, Stream::Actions>> sends;
  bool now_done = false;
  {
    absl::MutexLock lock(&mu_);
    if (!lease_thread_.joinable() || stopping_) {  // no leases, now or from before
      now_done = true;
    } else {
      if (generation > published_) {
        published_ = generation;
        for (const auto& lease : leases_) {
          if (lease->stream == nullptr) continue;
          Stream::Actions actions;
          lease->stream->AssertOwnerLocked();
          lease->stream->Plan(&actions);
          if (actions.write || actions.finish) sends.emplace_back(lease->stream, actions);
        }
      }
      const absl::Time now = MonotonicNow();
      if (HeldBack(generation, now)) {
        held_.emplace(generation, HeldWrite{std::move(done), now});
      } else {
        now_done = true;
      }
    }
  }
  for (auto& [stream, actions] : sends) stream->Run(actions);
  if (now_done) done();
}

std::vector<WriteWatchers::Stream*> WriteWatchers::ExpireLeases(absl::Time now) {
  std::vector<Stream*> to_finish;
  std::vector<std::shared_ptr<Lease>> kept;
  for (auto& lease : leases_) {
    if (lease->stream == nullptr && lease->expiry <= now) continue;  // gone and run out: forget it
    const bool expired = lease->expiry != absl::InfinitePast() && lease->expiry <= now;
    if (!expired) {
      kept.push_back(std::move(lease));
      continue;
    }
    // A watcher that stopped renewing: end its stream, so it knows.
    lease->stream->AssertOwnerLocked();
    lease->stream->WantFinish(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("read lease expired: no heartbeat for ", absl::FormatDuration(max_lease_))));
    to_finish.push_back(lease->stream);
    lease->expiry = absl::InfinitePast();  // holds nothing back any more
    LogWarning("lease_expired", {{"caller", lease->caller}});
    kept.push_back(std::move(lease));
  }
  leases_.swap(kept);
  return to_finish;
}

void WriteWatchers::LeaseLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time now = MonotonicNow();
    std::vector<Stream*> expired = ExpireLeases(now);
    std::vector<std::pair<Stream*, Stream::Actions>> finishes;
    for (Stream* stream : expired) {
      Stream::Actions actions;
      stream->AssertOwnerLocked();
      stream->Plan(&actions);
      if (actions.write || actions.finish) finishes.emplace_back(stream, actions);
    }
    std::vector<std::function<void()>> released = TakeReleased(now);
    if (!finishes.empty() || !released.empty()) {
      mu_.Unlock();
      for (auto& [stream, actions] : finishes) stream->Run(actions);
      for (auto& done : released) done();
      mu_.Lock();
      continue;
    }
    absl::Time wake = absl::InfiniteFuture();
    for (const auto& lease : leases_) {
      if (lease->expiry != absl::InfinitePast()) wake = std::min(wake, lease->expiry);
    }
    // The monotonic clock is not absl's: wait for a duration.
    lease_changed_.WaitWithTimeout(
        &mu_, wake == absl::InfiniteFuture() ? absl::InfiniteDuration() : wake - now);
  }
}

void WriteWatchers::FinishStreams() {
  std::vector<std::pair<Stream*, Stream::Actions>> finishes;
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    for (const auto& lease : leases_) {
      if (lease->stream == nullptr) continue;
      lease->stream->AssertOwnerLocked();
      lease->stream->WantFinish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "storage is stopping"));
      Stream::Actions actions;
      lease->stream->Plan(&actions);
      if (actions.write || actions.finish) finishes.emplace_back(lease->stream, actions);
    }
  }
  for (auto& [stream, actions] : finishes) stream->Run(actions);
}

WriteWatchers::Stats WriteWatchers::stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats;
  const absl::Time now = MonotonicNow();
  for (const auto& lease : leases_) {
    if (lease->stream != nullptr) ++stats.streams;
    if (lease->expiry > now) ++stats.leases;
  }
  stats.held_writes = static_cast<int>(held_.size());
  return stats;
}

}  // namespace zb::storage
