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

// How long writes wait after start for leases the previous run granted
// (lease::LeaseFile::RestartHold): nothing without a file.
absl::Duration PreviousRunHold(const std::string& lease_file) {
  if (lease_file.empty() || !std::filesystem::exists(lease_file)) return absl::ZeroDuration();
  std::ifstream in(lease_file);
  std::string text;
  if (in) std::getline(in, text);  // unreadable: "", the longest hold
  return lease::LeaseFile::RestartHold(text, absl::Now());
}

}  // namespace

// One WatchWrites stream. Its state is guarded by the owner's mutex: what to
// do is decided under it (Plan), and gRPC is called once it is released.
// Why a Stream* taken under the lock may be used after it: a stream is
// deleted in OnDone, which gRPC calls only after Finish and once no write is
// in flight; Plan hands out a write or the finish to exactly one caller
// (writing_, finished_), so until that caller has run its Actions no other
// thread can finish the stream, and the pointer stays valid.
class WriteWatchers::Stream : public grpc::ServerBidiReactor<Request, Event> {
 public:
  Stream(WriteWatchers* owner, std::string caller, uint64_t floor_generation)
      : owner_(owner), caller_(std::move(caller)), floor_generation_(floor_generation) {}

  // Registers the lease and sends the first event. Called once, right after
  // construction, without the owner's lock.
  void Begin() ABSL_LOCKS_EXCLUDED(owner_->mu_) {
    StartRead(&incoming_);  // before anyone else may end the stream
    Actions actions;
    {
      absl::MutexLock lock(&owner_->mu_);
      lease_ = owner_->table_.Open(caller_);
      owner_->streams_[lease_] = this;
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
    const absl::Duration granted = lease::LeaseTable::Grant(
        absl::Milliseconds(ok ? incoming_.lease_ms() : 0), owner_->max_lease_);
    const bool remembered =
        ok && incoming_.heartbeat() != 0 && owner_->RememberLease(absl::Now() + granted);
    {
      absl::MutexLock lock(&owner_->mu_);
      if (!ok) {
        WantFinish(grpc::Status::OK);
      } else {
        const absl::Time now = MonotonicNow();
        owner_->table_.Confirm(lease_, incoming_.confirmed_generation());
        // Renewed only once the lease file covers it (and while the watcher
        // keeps up: LeaseTable::Renew).
        if (remembered && owner_->table_.Renew(lease_, granted, now)) {
          echo_heartbeat_ = incoming_.heartbeat();
          echo_lease_ms_ = static_cast<int32_t>(absl::ToInt64Milliseconds(granted));
          owner_->lease_changed_.Signal();
        }
        released = owner_->table_.TakeReleased(now);
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
      owner_->table_.Close(lease_);  // the lease itself runs on until it expires
      owner_->streams_.erase(lease_);
      owner_->lease_changed_.Signal();
    }
    LogInfo("lease_stream_done", {{"caller", caller_}});
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
  const std::string caller_;
  const uint64_t floor_generation_;  // the index's generation when the stream began
  lease::LeaseTable::LeaseId lease_ ABSL_GUARDED_BY(owner_->mu_) = 0;
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
      lease_file_(std::move(lease_file)),
      table_(max_lease_) {
  // Read even without leases now: the previous run may have granted some.
  const absl::Duration hold = PreviousRunHold(lease_file_);
  if (hold > absl::ZeroDuration()) {
    table_.HoldForPreviousRun(MonotonicNow() + hold);
    LogInfo("writes_held_after_start", {{"ms", absl::ToInt64Milliseconds(hold)}});
  }
  if (max_lease_ == absl::ZeroDuration() && hold == absl::ZeroDuration()) return;
  lease_thread_ = std::thread([this] { LeaseLoop(); });
}

WriteWatchers::~WriteWatchers() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    lease_changed_.Signal();
  }
  if (lease_thread_.joinable()) lease_thread_.join();
  std::vector<lease::LeaseTable::Done> rest;
  {
    absl::MutexLock lock(&mu_);
    rest = table_.TakeAll();
  }
  // The writes are durable and the process ends: answer them.
  for (auto& done : rest) done();
}

grpc::ServerBidiReactor<WriteWatchers::Request, WriteWatchers::Event>* WriteWatchers::Watch(
    std::string caller) {
  if (max_lease_ == absl::ZeroDuration()) {
    return RefuseStream<Request, Event>(
        grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                     "this storage shard runs without read leases (--read_lease_ms=0)"));
  }
  // During shutdown Begin() ends the stream at once (FinishStreams).
  LogInfo("lease_stream_started", {{"caller", caller}});
  auto* stream = new Stream(this, std::move(caller), generation_());
  stream->Begin();
  return stream;
}

bool WriteWatchers::RememberLease(absl::Time expiry) {
  if (lease_file_.empty()) return true;
  absl::MutexLock lock(&file_mu_);
  if (expiry <= remembered_until_) return true;
  const absl::Time until = lease::LeaseFile::RecordUntil(expiry, max_lease_);
  absl::Status written = WriteFileDurably(lease_file_, lease::LeaseFile::Text(until));
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

void WriteWatchers::AfterConfirmed(uint64_t generation, std::function<void()> done) {
  std::vector<std::pair<Stream*, Stream::Actions>> sends;
  std::function<void()> answer_now = std::move(done);  // moved to the table when held
  {
    absl::MutexLock lock(&mu_);
    if (lease_thread_.joinable() && !stopping_) {  // else no leases, now or from before
      if (generation > published_) {
        published_ = generation;
        for (const auto& [id, stream] : streams_) {
          Stream::Actions actions;
          stream->AssertOwnerLocked();
          stream->Plan(&actions);
          if (actions.write || actions.finish) sends.emplace_back(stream, actions);
        }
      }
      const absl::Time now = MonotonicNow();
      if (table_.HeldBack(generation, now)) {
        table_.Hold(generation, std::move(answer_now), now);
        answer_now = nullptr;
      }
    }
  }
  for (auto& [stream, actions] : sends) stream->Run(actions);
  if (answer_now) answer_now();
}

absl::Time WriteWatchers::ExpireAndRelease() {
  const absl::Time now = MonotonicNow();
  std::vector<std::pair<Stream*, Stream::Actions>> finishes;
  for (lease::LeaseTable::LeaseId id : table_.Expire(now)) {
    // A watcher that stopped renewing: end its stream, so it knows.
    LogWarning("lease_expired", {{"caller", table_.caller(id)}});
    auto stream = streams_.find(id);
    if (stream == streams_.end()) continue;
    Stream::Actions actions;
    stream->second->AssertOwnerLocked();
    stream->second->WantFinish(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("read lease expired: no heartbeat for ", absl::FormatDuration(max_lease_))));
    stream->second->Plan(&actions);
    if (actions.write || actions.finish) finishes.emplace_back(stream->second, actions);
  }
  std::vector<lease::LeaseTable::Done> released = table_.TakeReleased(now);
  if (finishes.empty() && released.empty()) return table_.NextExpiry();
  mu_.Unlock();
  for (auto& [stream, actions] : finishes) stream->Run(actions);
  for (auto& done : released) done();
  mu_.Lock();
  return MonotonicNow();  // look again: time passed, and the table may have changed
}

void WriteWatchers::LeaseLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time wake = ExpireAndRelease();
    if (stopping_) break;
    const absl::Time now = MonotonicNow();
    if (wake <= now) continue;
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
    for (const auto& [id, stream] : streams_) {
      stream->AssertOwnerLocked();
      stream->WantFinish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "storage is stopping"));
      Stream::Actions actions;
      stream->Plan(&actions);
      if (actions.write || actions.finish) finishes.emplace_back(stream, actions);
    }
  }
  for (auto& [stream, actions] : finishes) stream->Run(actions);
}

WriteWatchers::Stats WriteWatchers::stats() const {
  absl::MutexLock lock(&mu_);
  return table_.stats(MonotonicNow());
}

}  // namespace zb::storage
