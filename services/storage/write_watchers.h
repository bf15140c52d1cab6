// Read leases for result caches: the shard's side of StorageService.WatchWrites,
// the gRPC streams and the lease thread around a lease::LeaseTable (which
// holds the protocol's rules; see common/lease/lease_table.h).
//
// A watcher (a query process with a result cache) holds one stream. Its
// heartbeats renew a lease of at most max_lease, counted from when the shard
// received the heartbeat. After every write the shard sends its index
// generation to every watcher, and the write's answer is held back
// (AfterConfirmed) until every watcher whose lease still runs has confirmed
// that generation. So once a write is acknowledged, no cache may still serve
// an answer computed before it.
//
// Leases outlive streams: a watcher whose stream broke may not know it yet
// and go on answering from its cache, so it keeps holding writes back until
// its lease has run out. The same goes for leases granted by the shard's
// previous run: the lease file records (wall clock, ahead of time) until
// when leases may run, and after a restart no write is acknowledged before
// then (at most a minute). A shard that never granted a lease has no file
// and does not wait. A watcher that keeps renewing but leaves a write
// waiting longer than a lease is renewed no more, so no write waits much
// longer than two leases.
//
// Thread-safe.
#ifndef ZHIBIAO_SERVICES_STORAGE_WRITE_WATCHERS_H_
#define ZHIBIAO_SERVICES_STORAGE_WRITE_WATCHERS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/lease/lease_table.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::storage {

class WriteWatchers {
 public:
  using Request = zhibiao::v1::WatchWritesRequest;
  using Event = zhibiao::v1::WatchWritesEvent;

  // `generation` reads the index's current generation. With a zero
  // max_lease there are no leases: Watch refuses and AfterConfirmed runs at
  // once. `lease_file` ("" for none: then nothing is remembered across
  // runs) is where the shard remembers its leases between runs.
  WriteWatchers(absl::Duration max_lease, std::function<uint64_t()> generation,
                std::string lease_file);
  ~WriteWatchers();  // runs what is still held back
  WriteWatchers(const WriteWatchers&) = delete;
  WriteWatchers& operator=(const WriteWatchers&) = delete;

  // Random at every start: tells a watcher that the shard restarted.
  uint64_t epoch() const { return epoch_; }
  absl::Duration max_lease() const { return max_lease_; }

  // The reactor of a WatchWrites call made by `caller` (for log lines).
  grpc::ServerBidiReactor<Request, Event>* Watch(std::string caller);

  // Sends `generation` to every watcher that has not seen it and runs `done`
  // once no lease holds it back: at once on this thread, or later on a
  // watcher's or the lease thread.
  void AfterConfirmed(uint64_t generation, std::function<void()> done) ABSL_LOCKS_EXCLUDED(mu_);

  // Ends every stream (the shard is stopping) and every one begun later. Their
  // leases still hold writes back until they run out.
  void FinishStreams() ABSL_LOCKS_EXCLUDED(mu_);

  using Stats = lease::LeaseTable::Stats;  // streams, leases running, held writes
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class Stream;

  // Ends the streams whose leases ran out and answers the writes no lease
  // holds back any more; returns when to look again. Called with mu_ held,
  // releases it while calling gRPC and the answers.
  absl::Time ExpireAndRelease() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LeaseLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Makes the lease file say leases may run until at least `expiry` (wall),
  // durably (file and directory fsynced); false when it cannot (then no
  // lease may be granted). Never under mu_: the shard's writer needs mu_
  // for every group commit, and a sync takes milliseconds.
  bool RememberLease(absl::Time expiry) ABSL_LOCKS_EXCLUDED(mu_, file_mu_);

  const absl::Duration max_lease_;
  const std::function<uint64_t()> generation_;
  const uint64_t epoch_;
  const std::string lease_file_;
  absl::Mutex file_mu_;  // the lease file; never taken with mu_ held
  absl::Time remembered_until_ ABSL_GUARDED_BY(file_mu_) = absl::InfinitePast();  // wall clock
  bool lease_file_failing_ ABSL_GUARDED_BY(file_mu_) = false;
  mutable absl::Mutex mu_;
  absl::CondVar lease_changed_;                   // wakes the lease thread
  lease::LeaseTable table_ ABSL_GUARDED_BY(mu_);  // on the monotonic clock
  std::map<lease::LeaseTable::LeaseId, Stream*> streams_ ABSL_GUARDED_BY(mu_);  // open ones
  uint64_t published_ ABSL_GUARDED_BY(mu_) = 0;  // newest generation sent to watchers
  bool closing_ ABSL_GUARDED_BY(mu_) = false;    // FinishStreams was called
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;   // the destructor runs
  std::thread lease_thread_;
};

}  // namespace zb::storage

#endif  // ZHIBIAO_SERVICES_STORAGE_WRITE_WATCHERS_H_
