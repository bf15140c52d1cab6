// The read-lease protocol as pure state machines, one for each side of a
// WatchWrites stream (docs/storage.md, "Read leases"). Neither takes a lock,
// reads a clock or touches gRPC: the caller passes the time (its monotonic
// clock) into every call and holds its own lock around them, so a test can
// drive both sides through grants, renewals, expiries, restarts and clock
// skew without sleeping (lease_table_test.cc).
//
// The safety rule they keep together: once a shard acknowledges a write at
// index generation G, no watcher believes it holds a lease while it has not
// applied G. The shard (LeaseTable) holds the write back until every running
// lease confirmed G; the watcher (LeaseRenewal) counts its lease from when it
// sent the heartbeat, which is no later than when the shard received it, and
// keeps a tenth of it in hand for the two clocks' rates
// (kRenewalMarginTenths).
#ifndef ZHIBIAO_COMMON_LEASE_LEASE_TABLE_H_
#define ZHIBIAO_COMMON_LEASE_LEASE_TABLE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace zb::lease {

// The shard's side: who holds a lease, until when, what each confirmed, and
// the writes held back until the running leases confirm them.
class LeaseTable {
 public:
  using LeaseId = uint64_t;
  using Done = std::function<void()>;

  // `max_lease`: the longest lease granted (a watcher may ask for less).
  explicit LeaseTable(absl::Duration max_lease) : max_lease_(max_lease) {}

  absl::Duration max_lease() const { return max_lease_; }

  // Leases the shard's previous run may have granted: writes wait until
  // `until` as if a watcher held a lease and had confirmed nothing.
  void HoldForPreviousRun(absl::Time until);

  // A watcher's stream began: it holds no lease until its first renewal.
  LeaseId Open(std::string caller);
  // Its stream ended. The lease itself runs on until it expires (the
  // watcher may not know yet and go on serving from its cache).
  void Close(LeaseId id);
  bool open(LeaseId id) const;

  // The watcher has applied `generation` (never goes back).
  void Confirm(LeaseId id, uint64_t generation);
  // What a renewal asking for `asked` gets from a shard granting at most
  // `max_lease` (zero asks for the most).
  static absl::Duration Grant(absl::Duration asked, absl::Duration max_lease);
  // Renews `id` for `granted` from `now` (when the shard received the
  // heartbeat) unless the watcher has left the oldest held write waiting
  // longer than a lease: such a watcher is renewed no more, so no write
  // waits much longer than two leases. Returns whether it was renewed.
  bool Renew(LeaseId id, absl::Duration granted, absl::Time now);

  // Whether a lease running at `now` has not confirmed `generation` yet.
  bool HeldBack(uint64_t generation, absl::Time now) const;
  // Keeps `done` until no running lease holds `generation` back.
  void Hold(uint64_t generation, Done done, absl::Time now);
  // The held writes nobody holds back any more, oldest first.
  std::vector<Done> TakeReleased(absl::Time now);
  // Every held write (the shard stops: its writes are durable).
  std::vector<Done> TakeAll();

  // Ends the leases that ran out by `now`: returns the open ones (their
  // streams should end, so their watchers know) and forgets closed ones.
  std::vector<LeaseId> Expire(absl::Time now);
  // When the next lease runs out (InfiniteFuture: none runs).
  absl::Time NextExpiry() const;

  std::string caller(LeaseId id) const;

  struct Stats {
    int streams = 0;      // watchers connected
    int leases = 0;       // leases still running (streams or not)
    int held_writes = 0;  // answers waiting for confirmations
  };
  Stats stats(absl::Time now) const;

 private:
  // What the shard knows of one watcher: kept until its lease ran out and
  // its stream is gone.
  struct Lease {
    std::string caller;
    uint64_t confirmed = 0;                    // generation the watcher confirmed
    absl::Time expiry = absl::InfinitePast();  // InfinitePast: holds nothing
    bool open = false;                         // its stream still runs
  };
  struct HeldWrite {
    Done done;
    absl::Time since;
  };

  // Whether `lease` has left the oldest held write waiting longer than a lease.
  bool StuckBehind(const Lease& lease, absl::Time now) const;

  const absl::Duration max_lease_;
  LeaseId next_id_ = 1;
  std::map<LeaseId, Lease> leases_;
  std::multimap<uint64_t, HeldWrite> held_;  // by generation
};

// The shard's restart rule. It records in a file (wall clock, ahead of
// time) until when its leases may run; after a restart it acknowledges no
// write before then.
struct LeaseFile {
  // The longest a previous run's leases make a restart wait (a file written
  // by a run with a long lease, or a wall clock set back since).
  static constexpr absl::Duration kLongestRestartHold = absl::Minutes(1);

  // How long writes wait after a start, given the file's text (nullopt: no
  // file, so no lease was ever granted) at wall-clock time `wall_now`: until
  // the time it names, bounded; the bound when it cannot be read.
  static absl::Duration RestartHold(const std::optional<std::string>& text, absl::Time wall_now);
  // The text that records leases until `until`.
  static std::string Text(absl::Time until);
  // Until when to record for a lease running until `expiry`: half a lease
  // ahead, so the file is rewritten about twice a lease, not on every
  // heartbeat, and a restart waits at most a lease and a half.
  static absl::Time RecordUntil(absl::Time expiry, absl::Duration max_lease) {
    return expiry + max_lease / 2;
  }
};

// The watcher's side of one stream: numbers its heartbeats, remembers when
// each left, and turns the shard's grant into the time until which the
// watcher may serve from its cache (on the watcher's clock).
class LeaseRenewal {
 public:
  // Of each lease granted, this many tenths are counted: the rest is kept in
  // hand for the two clocks' rates, so the watcher's clock may run up to a
  // tenth slower than the shard's.
  static constexpr int kRenewalMarginTenths = 9;
  // Heartbeats not yet answered that are remembered (a stuck shard answers none).
  static constexpr size_t kMaxUnanswered = 64;

  // A heartbeat sent at `now`: its number (never 0).
  uint64_t Send(absl::Time now);
  // The shard answered `heartbeat` with a lease of `granted`: until when the
  // watcher holds it, or nullopt for a heartbeat it does not know (answered
  // already, forgotten, or of no renewal). Forgets the older heartbeats.
  std::optional<absl::Time> Answered(uint64_t heartbeat, absl::Duration granted);
  // Whether any heartbeat of this stream was answered with a lease.
  bool granted_any() const { return granted_any_; }

  // How often to send heartbeats for a lease of `granted`: a quarter of it,
  // at least every 10 ms.
  static absl::Duration HeartbeatInterval(absl::Duration granted);

 private:
  uint64_t last_heartbeat_ = 0;
  bool granted_any_ = false;
  std::map<uint64_t, absl::Time> sent_at_;  // heartbeat -> sent
};

}  // namespace zb::lease

#endif  // ZHIBIAO_COMMON_LEASE_LEASE_TABLE_H_
