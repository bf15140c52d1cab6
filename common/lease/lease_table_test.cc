#include "common/lease/lease_table.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace zb::lease {
namespace {

constexpr absl::Duration kLease = absl::Seconds(1);
const absl::Time kStart = absl::FromUnixSeconds(1000);  // the shard's clock

absl::Time At(int64_t ms) { return kStart + absl::Milliseconds(ms); }

// A held write that records its answer.
struct Write {
  bool answered = false;
  LeaseTable::Done done() {
    return [this] { answered = true; };
  }
};

// A watcher that opened its stream and was granted a whole lease at `ms`.
LeaseTable::LeaseId LeasedAt(LeaseTable* table, int64_t ms) {
  const LeaseTable::LeaseId id = table->Open("query-a");
  EXPECT_TRUE(table->Renew(id, kLease, At(ms)));
  return id;
}

void RunAll(std::vector<LeaseTable::Done> done) {
  for (auto& answer : done) answer();
}

TEST(LeaseTableTest, WithoutLeasesNoWriteIsHeldBack) {
  LeaseTable table(kLease);
  EXPECT_FALSE(table.HeldBack(1, At(0)));
  const LeaseTable::LeaseId id = table.Open("query-a");
  // A stream that never renewed holds nothing.
  EXPECT_FALSE(table.HeldBack(1, At(0)));
  EXPECT_EQ(table.NextExpiry(), absl::InfiniteFuture());
  EXPECT_TRUE(table.open(id));
  EXPECT_EQ(table.stats(At(0)).streams, 1);
  EXPECT_EQ(table.stats(At(0)).leases, 0);
}

TEST(LeaseTableTest, AWriteWaitsUntilEveryRunningLeaseConfirmedIt) {
  LeaseTable table(kLease);
  const auto a = table.Open("query-a");
  const auto b = table.Open("query-b");
  ASSERT_TRUE(table.Renew(a, kLease, At(0)));
  ASSERT_TRUE(table.Renew(b, kLease, At(0)));
  Write first, second;
  ASSERT_TRUE(table.HeldBack(5, At(10)));
  table.Hold(5, first.done(), At(10));
  table.Hold(6, second.done(), At(11));

  table.Confirm(a, 6);
  EXPECT_TRUE(table.TakeReleased(At(20)).empty());  // b has confirmed nothing
  table.Confirm(b, 5);
  RunAll(table.TakeReleased(At(30)));
  EXPECT_TRUE(first.answered);
  EXPECT_FALSE(second.answered);
  table.Confirm(b, 4);  // confirmations never go back
  EXPECT_FALSE(table.HeldBack(5, At(31)));
  table.Confirm(b, 6);
  RunAll(table.TakeReleased(At(40)));
  EXPECT_TRUE(second.answered);
  EXPECT_EQ(table.stats(At(40)).held_writes, 0);
}

TEST(LeaseTableTest, AGrantIsTheShorterOfWhatWasAskedAndTheMost) {
  EXPECT_EQ(LeaseTable::Grant(absl::ZeroDuration(), kLease), kLease);
  EXPECT_EQ(LeaseTable::Grant(absl::Milliseconds(300), kLease), absl::Milliseconds(300));
  EXPECT_EQ(LeaseTable::Grant(absl::Seconds(30), kLease), kLease);
}

TEST(LeaseTableTest, ARenewalRunsFromWhenTheShardReceivedItAndNeverShortensTheLease) {
  LeaseTable table(kLease);
  const auto id = table.Open("query-a");
  ASSERT_TRUE(table.Renew(id, kLease, At(100)));
  EXPECT_EQ(table.NextExpiry(), At(1100));
  ASSERT_TRUE(table.Renew(id, absl::Milliseconds(200), At(200)));
  EXPECT_EQ(table.NextExpiry(), At(1100));
  ASSERT_TRUE(table.Renew(id, kLease, At(400)));
  EXPECT_EQ(table.NextExpiry(), At(1400));
  EXPECT_TRUE(table.HeldBack(1, At(1399)));
  EXPECT_FALSE(table.HeldBack(1, At(1400)));
}

TEST(LeaseTableTest, ALeaseThatRunsOutReleasesItsWritesAndEndsItsStream) {
  LeaseTable table(kLease);
  const auto id = LeasedAt(&table, 0);
  Write write;
  table.Hold(1, write.done(), At(10));
  EXPECT_TRUE(table.Expire(At(999)).empty());
  EXPECT_TRUE(table.TakeReleased(At(999)).empty());

  EXPECT_EQ(table.Expire(At(1000)), std::vector<LeaseTable::LeaseId>{id});
  RunAll(table.TakeReleased(At(1000)));
  EXPECT_TRUE(write.answered);
  // The open stream is kept (its end is the stream's to report), but holds nothing.
  EXPECT_TRUE(table.open(id));
  EXPECT_EQ(table.NextExpiry(), absl::InfiniteFuture());
  EXPECT_TRUE(table.Expire(At(5000)).empty());
}

TEST(LeaseTableTest, AClosedStreamsLeaseHoldsWritesUntilItRunsOut) {
  LeaseTable table(kLease);
  const auto id = LeasedAt(&table, 0);
  table.Close(id);  // the watcher may not know yet, and serve from its cache
  Write write;
  ASSERT_TRUE(table.HeldBack(1, At(500)));
  table.Hold(1, write.done(), At(500));
  EXPECT_TRUE(table.Expire(At(900)).empty());
  EXPECT_TRUE(table.TakeReleased(At(900)).empty());
  // Closed and run out: forgotten, with no stream to end.
  EXPECT_TRUE(table.Expire(At(1000)).empty());
  RunAll(table.TakeReleased(At(1000)));
  EXPECT_TRUE(write.answered);
  EXPECT_EQ(table.stats(At(1000)).streams, 0);
  EXPECT_EQ(table.caller(id), "");
}

TEST(LeaseTableTest, AWatcherThatRenewsButLeavesAWriteWaitingLongerThanALeaseIsNotRenewed) {
  LeaseTable table(kLease);
  const auto id = LeasedAt(&table, 0);
  Write write;
  table.Hold(1, write.done(), At(0));
  // Heartbeats every quarter lease, but generation 1 is never confirmed.
  int64_t ms = 250;
  for (; ms <= 1000; ms += 250) ASSERT_TRUE(table.Renew(id, kLease, At(ms))) << ms;
  EXPECT_FALSE(table.Renew(id, kLease, At(ms)));  // waited more than a lease
  EXPECT_EQ(table.NextExpiry(), At(2000));        // the last renewal still runs
  EXPECT_EQ(table.Expire(At(2000)).size(), 1u);
  RunAll(table.TakeReleased(At(2000)));
  EXPECT_TRUE(write.answered);  // two leases at most
}

TEST(LeaseTableTest, AfterARestartWritesWaitForThePreviousRunsLeases) {
  LeaseTable table(kLease);
  table.HoldForPreviousRun(At(1500));
  Write write;
  ASSERT_TRUE(table.HeldBack(1, At(0)));
  table.Hold(1, write.done(), At(0));
  // A watcher of the new run confirming changes nothing: the old run's
  // watchers may still serve what they read before the restart.
  const auto id = table.Open("query-a");
  table.Confirm(id, 1);
  EXPECT_TRUE(table.TakeReleased(At(1499)).empty());
  EXPECT_TRUE(table.Expire(At(1500)).empty());  // nothing to end: no stream
  RunAll(table.TakeReleased(At(1500)));
  EXPECT_TRUE(write.answered);
}

TEST(LeaseTableTest, StoppingAnswersEveryHeldWrite) {
  LeaseTable table(kLease);
  LeasedAt(&table, 0);
  Write a, b;
  table.Hold(1, a.done(), At(0));
  table.Hold(2, b.done(), At(0));
  RunAll(table.TakeAll());
  EXPECT_TRUE(a.answered && b.answered);
}

TEST(LeaseFileTest, RestartHoldIsWhatIsLeftOfTheRecordedLeasesBounded) {
  const absl::Time wall = absl::FromUnixMillis(1'700'000'000'000);
  const absl::Duration longest = LeaseFile::kLongestRestartHold;
  // No file: this shard never granted a lease.
  EXPECT_EQ(LeaseFile::RestartHold(std::nullopt, wall), absl::ZeroDuration());
  EXPECT_EQ(LeaseFile::RestartHold(LeaseFile::Text(wall + absl::Milliseconds(1500)), wall),
            absl::Milliseconds(1500));
  // Run out already.
  EXPECT_EQ(LeaseFile::RestartHold(LeaseFile::Text(wall - absl::Seconds(3)), wall),
            absl::ZeroDuration());
  // The wall clock was set back an hour since (or a run had a long lease).
  EXPECT_EQ(LeaseFile::RestartHold(LeaseFile::Text(wall + absl::Hours(1)), wall), longest);
  // A file it cannot read: the longest, to be safe.
  EXPECT_EQ(LeaseFile::RestartHold(std::string(""), wall), longest);
  EXPECT_EQ(LeaseFile::RestartHold(std::string("12ab\n"), wall), longest);
  EXPECT_EQ(LeaseFile::RecordUntil(wall, kLease), wall + absl::Milliseconds(500));
}

TEST(LeaseRenewalTest, ALeaseCountsFromWhenItsHeartbeatLeftLessAMargin) {
  LeaseRenewal renewal;
  const absl::Time sent = absl::FromUnixSeconds(50);  // the watcher's clock
  const uint64_t first = renewal.Send(sent);
  const uint64_t second = renewal.Send(sent + absl::Milliseconds(250));
  EXPECT_NE(first, 0u);
  EXPECT_GT(second, first);
  EXPECT_FALSE(renewal.granted_any());
  EXPECT_EQ(renewal.Answered(0, kLease), std::nullopt);  // no renewal in it

  // The answer to the second forgets the first (answers come in order).
  EXPECT_EQ(renewal.Answered(second, kLease),
            sent + absl::Milliseconds(250) + absl::Milliseconds(900));
  EXPECT_TRUE(renewal.granted_any());
  EXPECT_EQ(renewal.Answered(first, kLease), std::nullopt);
  EXPECT_EQ(renewal.Answered(second, kLease), std::nullopt);
}

TEST(LeaseRenewalTest, OnlyTheNewestUnansweredHeartbeatsAreRemembered) {
  LeaseRenewal renewal;
  const uint64_t oldest = renewal.Send(absl::UnixEpoch());
  for (size_t i = 0; i < LeaseRenewal::kMaxUnanswered; ++i) renewal.Send(absl::UnixEpoch());
  EXPECT_EQ(renewal.Answered(oldest, kLease), std::nullopt);
  EXPECT_EQ(renewal.Answered(oldest + 1, kLease), absl::UnixEpoch() + absl::Milliseconds(900));
}

TEST(LeaseRenewalTest, HeartbeatsComeEveryQuarterLeaseAtMostEvery10Ms) {
  EXPECT_EQ(LeaseRenewal::HeartbeatInterval(kLease), absl::Milliseconds(250));
  EXPECT_EQ(LeaseRenewal::HeartbeatInterval(absl::Milliseconds(20)), absl::Milliseconds(10));
}

// Both sides with clocks of their own: the shard's runs at true time, the
// watcher's at `watcher_rate` of it from another origin. The watcher renews
// every quarter lease until true time 2 s, applying and confirming every
// generation; then it stalls (a SIGSTOP, a lost network) while its cache
// clock runs on, and the shard takes a write at generation 2 the watcher
// never sees. Returns by how much, at the moment the shard acknowledged that
// write, the watcher still believed its lease held (zero: it did not).
absl::Duration StaleServingAfterAStall(double watcher_rate, absl::Duration one_way_delay) {
  const absl::Time shard_origin = absl::FromUnixSeconds(10'000);
  const absl::Time watcher_origin = absl::FromUnixSeconds(77);
  auto shard_clock = [&](absl::Duration t) { return shard_origin + t; };
  auto watcher_clock = [&](absl::Duration t) { return watcher_origin + t * watcher_rate; };

  LeaseTable table(kLease);
  LeaseRenewal renewal;
  const auto id = table.Open("query-a");
  table.Confirm(id, 1);
  absl::Time watcher_until = absl::InfinitePast();  // watcher's clock
  const absl::Duration stall = absl::Seconds(2);
  for (absl::Duration t; t < stall; t += kLease / 4) {
    const uint64_t heartbeat = renewal.Send(watcher_clock(t));
    const absl::Duration granted = LeaseTable::Grant(kLease, table.max_lease());
    if (!table.Renew(id, granted, shard_clock(t + one_way_delay))) return absl::InfiniteDuration();
    std::optional<absl::Time> until = renewal.Answered(heartbeat, granted);
    if (until.has_value()) watcher_until = std::max(watcher_until, *until);
  }
  // The write comes right after the stall.
  Write write;
  table.Hold(2, write.done(), shard_clock(stall));
  for (absl::Duration t = stall; t < stall + 3 * kLease; t += absl::Milliseconds(1)) {
    table.Expire(shard_clock(t));
    RunAll(table.TakeReleased(shard_clock(t)));
    if (write.answered) {
      return std::max(watcher_until - watcher_clock(t), absl::ZeroDuration()) / watcher_rate;
    }
  }
  return absl::InfiniteDuration();  // never acknowledged
}

TEST(LeaseProtocolTest, NoWatcherServesFromItsCacheOnceAWriteItMissedIsAcknowledged) {
  for (double rate : {1.0, 0.95, 0.91, 1.5, 3.0}) {
    for (absl::Duration delay :
         {absl::ZeroDuration(), absl::Milliseconds(3), absl::Milliseconds(200)}) {
      EXPECT_EQ(StaleServingAfterAStall(rate, delay), absl::ZeroDuration())
          << "watcher clock at " << rate << " of the shard's, one-way delay " << delay;
    }
  }
}

TEST(LeaseProtocolTest, AWatcherClockMoreThanATenthSlowBreaksTheMargin) {
  // The bound the margin buys, shown: at 0.8 of the shard's rate the watcher
  // believes its lease 0.9 s / 0.8 = 1.125 s long, while the shard counts 1 s.
  EXPECT_GT(StaleServingAfterAStall(0.8, absl::ZeroDuration()), absl::Milliseconds(100));
}

}  // namespace
}  // namespace zb::lease
