#include "services/query/result_cache.h"

#include "absl/strings/str_cat.h"
#include "common/base/monotonic.h"
#include "gtest/gtest.h"

namespace zb::query {
namespace {

constexpr uint64_t kEpoch = 0x1234;

std::shared_ptr<const ResultCache::Response> Answer(uint64_t epoch, uint64_t generation,
                                                    double sum) {
  auto response = std::make_shared<ResultCache::Response>();
  response->set_store_epoch(epoch);
  response->set_index_generation(generation);
  response->add_groups()->set_sum(sum);
  return response;
}

std::string Key(const std::string& metric) {
  zhibiao::v1::AggregateIndicatorsRequest request;
  request.mutable_filter()->add_metric_keys(metric);
  return ResultCache::KeyOf(request);
}

// A cache for two shards whose shard 0 announced kEpoch at generation 5 and
// holds a lease for a minute.
class ResultCacheTest : public ::testing::Test {
 protected:
  ResultCacheTest() : cache_(1 << 20, 2) {
    cache_.SetGeneration(0, kEpoch, 5);
    cache_.ExtendLease(0, kEpoch, MonotonicNow() + absl::Minutes(1));
  }
  ResultCache cache_;
};

TEST_F(ResultCacheTest, CurrentAnswerIsServedForItsShardAndKeyOnly) {
  cache_.Insert(0, Key("a"), Answer(kEpoch, 5, 42));
  auto hit = cache_.Lookup(0, Key("a"));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->groups(0).sum(), 42);
  EXPECT_EQ(cache_.Lookup(0, Key("b")), nullptr);
  EXPECT_EQ(cache_.Lookup(1, Key("a")), nullptr);
  EXPECT_EQ(cache_.stats().hits, 1);
  EXPECT_EQ(cache_.stats().misses, 2);
}

TEST_F(ResultCacheTest, ANewGenerationMakesOlderAnswersStale) {
  cache_.Insert(0, Key("a"), Answer(kEpoch, 5, 42));
  cache_.SetGeneration(0, kEpoch, 6);
  EXPECT_EQ(cache_.Lookup(0, Key("a")), nullptr);
  EXPECT_EQ(cache_.stats().entries, 0);  // dropped: it can never be current again
  // An answer computed at 4 after 6 was announced is never kept.
  cache_.Insert(0, Key("a"), Answer(kEpoch, 4, 1));
  EXPECT_EQ(cache_.stats().entries, 0);
}

TEST_F(ResultCacheTest, AnAnswerAheadOfTheAnnouncementWaitsForIt) {
  // The shard answered at 6 before its stream announced 6.
  cache_.Insert(0, Key("a"), Answer(kEpoch, 6, 7));
  EXPECT_EQ(cache_.Lookup(0, Key("a")), nullptr);
  cache_.SetGeneration(0, kEpoch, 6);
  ASSERT_NE(cache_.Lookup(0, Key("a")), nullptr);
  // Announcements never go backwards.
  cache_.SetGeneration(0, kEpoch, 3);
  EXPECT_EQ(cache_.generation(0), 6u);
  EXPECT_NE(cache_.Lookup(0, Key("a")), nullptr);
}

TEST_F(ResultCacheTest, NothingIsServedWithoutARunningLease) {
  cache_.Insert(0, Key("a"), Answer(kEpoch, 5, 42));
  cache_.DropLease(0);
  EXPECT_EQ(cache_.Lookup(0, Key("a")), nullptr);
  EXPECT_EQ(cache_.stats().leased_shards, 0);
  // A lease that ran out serves nothing either.
  cache_.ExtendLease(0, kEpoch, MonotonicNow() - absl::Milliseconds(1));
  EXPECT_EQ(cache_.Lookup(0, Key("a")), nullptr);
  cache_.ExtendLease(0, kEpoch, MonotonicNow() + absl::Minutes(1));
  EXPECT_NE(cache_.Lookup(0, Key("a")), nullptr);
  // A lease of another epoch does not count.
  cache_.DropLease(0);
  cache_.ExtendLease(0, kEpoch + 1, MonotonicNow() + absl::Minutes(1));
  EXPECT_EQ(cache_.Lookup(0, Key("a")), nullptr);
}

TEST_F(ResultCacheTest, ARestartedShardInvalidatesEverythingAndNeedsANewLease) {
  cache_.Insert(0, Key("a"), Answer(kEpoch, 5, 42));
  cache_.SetGeneration(0, kEpoch + 1, 0);  // new epoch: the shard restarted
  EXPECT_EQ(cache_.Lookup(0, Key("a")), nullptr);
  cache_.ExtendLease(0, kEpoch + 1, MonotonicNow() + absl::Minutes(1));
  EXPECT_EQ(cache_.Lookup(0, Key("a")), nullptr);     // the old epoch's answer is gone
  cache_.Insert(0, Key("a"), Answer(kEpoch, 5, 42));  // a late answer of the old epoch
  EXPECT_EQ(cache_.Lookup(0, Key("a")), nullptr);
  cache_.Insert(0, Key("a"), Answer(kEpoch + 1, 0, 9));
  ASSERT_NE(cache_.Lookup(0, Key("a")), nullptr);
}

TEST_F(ResultCacheTest, ShardsWithoutLeasesAreNeverCached) {
  cache_.Insert(0, Key("a"), Answer(0, 5, 42));  // epoch 0: the shard grants no leases
  EXPECT_EQ(cache_.stats().entries, 0);
}

TEST(ResultCacheBoundTest, LeastRecentlyUsedAnswersGoFirst) {
  ResultCache cache(64 << 10, 1);
  cache.SetGeneration(0, kEpoch, 1);
  cache.ExtendLease(0, kEpoch, MonotonicNow() + absl::Minutes(1));
  for (int i = 0; i < 1000; ++i) {
    cache.Insert(0, Key(std::to_string(i)), Answer(kEpoch, 1, i));
    ASSERT_NE(cache.Lookup(0, Key("0")), nullptr) << i;  // kept warm
  }
  const ResultCache::Stats stats = cache.stats();
  EXPECT_LE(stats.bytes, 64 << 10);
  EXPECT_GT(stats.evictions, 0);
  EXPECT_LT(stats.entries, 1000);
  EXPECT_EQ(cache.Lookup(0, Key("1")), nullptr);    // evicted long ago
  EXPECT_NE(cache.Lookup(0, Key("999")), nullptr);  // the newest
}

TEST(ResultCacheKeyTest, KeysAreDeterministicOverMapOrder) {
  zhibiao::v1::AggregateIndicatorsRequest a, b;
  for (int i = 0; i < 20; ++i) (*a.mutable_weight_keys())[absl::StrCat("m", i)] = "w";
  for (int i = 19; i >= 0; --i) (*b.mutable_weight_keys())[absl::StrCat("m", i)] = "w";
  EXPECT_EQ(ResultCache::KeyOf(a), ResultCache::KeyOf(b));
  b.mutable_filter()->add_years(2021);
  EXPECT_NE(ResultCache::KeyOf(a), ResultCache::KeyOf(b));
}

// Whole replies: current while every shard answer they were built from is.
std::string ReplyKey(char method, const std::string& request) {
  return ResultCache::ReplyKeyOf(method, request);
}
std::shared_ptr<const std::string> Bytes(const std::string& reply) {
  return std::make_shared<const std::string>(reply);
}

class ReplyCacheTest : public ::testing::Test {
 protected:
  ReplyCacheTest() : cache_(1 << 20, 2) {
    for (int shard : {0, 1}) {
      cache_.SetGeneration(shard, kEpoch + shard, 5);
      cache_.ExtendLease(shard, kEpoch + shard, MonotonicNow() + absl::Minutes(1));
    }
  }
  std::vector<ResultCache::Version> BothAt5() const { return {{0, kEpoch, 5}, {1, kEpoch + 1, 5}}; }
  ResultCache cache_;
};

TEST_F(ReplyCacheTest, AReplyIsServedWhileEveryShardItCameFromIsCurrent) {
  cache_.InsertReply(ReplyKey('T', "q"), BothAt5(), Bytes("reply bytes"));
  auto hit = cache_.LookupReply(ReplyKey('T', "q"));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, "reply bytes");
  EXPECT_EQ(cache_.LookupReply(ReplyKey('R', "q")), nullptr);  // another method's key
  EXPECT_EQ(cache_.stats().reply_hits, 1);
  EXPECT_EQ(cache_.stats().reply_misses, 1);
  // A write on either shard makes it stale for good.
  cache_.SetGeneration(1, kEpoch + 1, 6);
  EXPECT_EQ(cache_.LookupReply(ReplyKey('T', "q")), nullptr);
  EXPECT_EQ(cache_.stats().entries, 0);
}

TEST_F(ReplyCacheTest, EveryShardsLeaseMustRun) {
  cache_.InsertReply(ReplyKey('T', "q"), BothAt5(), Bytes("reply bytes"));
  cache_.DropLease(0);
  EXPECT_EQ(cache_.LookupReply(ReplyKey('T', "q")), nullptr);
  cache_.ExtendLease(0, kEpoch, MonotonicNow() + absl::Minutes(1));
  EXPECT_NE(cache_.LookupReply(ReplyKey('T', "q")), nullptr);
  // A restart of shard 0 (a new epoch) drops it.
  cache_.SetGeneration(0, kEpoch + 7, 1);
  EXPECT_EQ(cache_.LookupReply(ReplyKey('T', "q")), nullptr);
  EXPECT_EQ(cache_.stats().entries, 0);
}

TEST_F(ReplyCacheTest, RepliesThatCanNeverBeCurrentAreNotKept) {
  cache_.InsertReply(ReplyKey('A', "a"), {{0, kEpoch, 4}},
                     Bytes("older than shard 0's generation"));
  cache_.InsertReply(ReplyKey('A', "b"), {{0, 0, 5}}, Bytes("from a shard without leases"));
  cache_.InsertReply(ReplyKey('A', "c"), {{1, kEpoch, 5}}, Bytes("another epoch than shard 1's"));
  cache_.InsertReply(ReplyKey('A', "d"), {}, Bytes("built from no shard"));
  EXPECT_EQ(cache_.stats().entries, 0);
  // One ahead of the announcement is kept and waits for it.
  cache_.InsertReply(ReplyKey('A', "e"), {{0, kEpoch, 6}}, Bytes("ahead"));
  EXPECT_EQ(cache_.LookupReply(ReplyKey('A', "e")), nullptr);
  cache_.SetGeneration(0, kEpoch, 6);
  EXPECT_NE(cache_.LookupReply(ReplyKey('A', "e")), nullptr);
}

TEST_F(ReplyCacheTest, RepliesAndShardAnswersShareTheKeyspaceWithoutColliding) {
  const std::string key = Key("a");
  cache_.Insert(0, key, Answer(kEpoch, 5, 42));
  cache_.InsertReply(ReplyKey('A', key), {{0, kEpoch, 5}}, Bytes("reply"));
  EXPECT_EQ(cache_.Lookup(0, key)->groups(0).sum(), 42);
  EXPECT_EQ(*cache_.LookupReply(ReplyKey('A', key)), "reply");
  EXPECT_EQ(cache_.stats().entries, 2);
}

}  // namespace
}  // namespace zb::query
