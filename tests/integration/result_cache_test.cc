// Query's result cache with read leases from three storage shard processes:
// repeated queries are answered from the cache, yet every query made after a
// write was acknowledged sees that write, including while a query process is
// stopped (its lease runs out and the shards go on) and after it resumes.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/rpc/channels.h"
#include "common/rpc/storage_shards.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"
#include "tests/testing/service_process.h"
#include "tests/testing/suite_processes.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb {
namespace {

using ::zb::testing::ServiceProcess;

constexpr char kMetric[] = "enforcement.cases";
constexpr char kRegion[] = "410700";  // the sample's city, 新乡市
constexpr char kSampleFigure[] = "全年查办案件3150起";

class ResultCacheSuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = testing::MakeTempDir("result_cache");
    testing::SuiteFlags flags;
    flags.shards = 3;
    flags.query = {"--metrics_listen=127.0.0.1:0",
                   absl::StrCat("--metrics_port_file=", work_, "/query.metrics")};
    absl::StatusOr<testing::SuiteProcesses> suite = testing::StartSuite(work_, flags);
    ASSERT_TRUE(suite.ok()) << suite.status();
    storage_ = std::move(suite->storage);
    ingest_ = std::move(suite->ingest);
    query_ = std::move(suite->query);
    absl::StatusOr<int> metrics_port = WaitForPortFile(work_ + "/query.metrics", absl::Seconds(30));
    ASSERT_TRUE(metrics_port.ok()) << metrics_port.status();
    metrics_port_ = *metrics_port;
    sample_ = testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt"));
    ASSERT_NE(sample_.find(kSampleFigure), std::string::npos);
  }

  double QueryMetric(const std::string& series) {
    return testing::MetricSample(testing::HttpGetMetrics(metrics_port_), series);
  }

  // Whole replies sent from query's cache so far.
  double ReplyHits() { return QueryMetric("zhibiao_query_cache_reply_hits_total "); }
  // Shard answers reused from it (for replies built again) so far.
  double AnswerHits() { return QueryMetric("zhibiao_query_cache_hits_total "); }

  // Waits until query holds a lease from every shard.
  bool WaitForLeases() {
    const absl::Time until = absl::Now() + absl::Seconds(20);
    while (absl::Now() < until) {
      if (QueryMetric("zhibiao_query_cache_leased_shards ") == 3) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  // The sample with its environmental cases figure replaced by `cases`: a
  // new report of the same region and year, ingested later, which
  // supersedes the earlier ones (same published date).
  std::string SampleWithCases(int cases) {
    return absl::StrReplaceAll(sample_,
                               {{kSampleFigure, absl::StrCat("全年查办案件", cases, "起")}});
  }

  std::string Ingest(const std::string& content) {
    auto stub = zhibiao::v1::IngestService::NewStub(ingest_->channel());
    zhibiao::v1::IngestRequest request;
    request.set_content(content);
    request.set_source_name("xinxiang-2021.txt");
    zhibiao::v1::IngestResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(30));
    grpc::Status status = stub->Ingest(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.report_id();
  }

  // The 2021 value of the series, or -1.
  double SeriesValue() {
    auto stub = zhibiao::v1::QueryService::NewStub(query_->channel());
    zhibiao::v1::TimeSeriesRequest request;
    request.set_metric_key(kMetric);
    request.set_region_code(kRegion);
    zhibiao::v1::TimeSeriesResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    grpc::Status status = stub->TimeSeries(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const auto& point : response.points()) {
      if (point.year() == 2021) return point.value();
    }
    return -1;
  }

  // The value Rank gives the sample's region in 2021 (all three shards), or -1.
  double RankedValue() {
    auto stub = zhibiao::v1::QueryService::NewStub(query_->channel());
    zhibiao::v1::RankRequest request;
    request.set_metric_key(kMetric);
    request.set_year(2021);
    zhibiao::v1::RankResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    grpc::Status status = stub->Rank(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const auto& region : response.regions()) {
      if (region.region_code() == kRegion) return region.value();
    }
    return -1;
  }

  // SIGKILLs storage shard `shard` and waits for it to exit.
  void KillShard(int shard) {
    ASSERT_TRUE(storage_[shard]->Signal(SIGKILL));
    ASSERT_TRUE(storage_[shard]->Wait(absl::Seconds(10)).has_value());
  }
  // Starts shard `shard` again on `port`, on its data (another run: another
  // epoch), and waits until it serves.
  void RestartShard(int shard, int port) {
    auto restarted =
        testing::StartShard(work_, shard, 3, {absl::StrCat("--listen=127.0.0.1:", port)},
                            absl::StrCat("storage-", shard, "-restarted"));
    ASSERT_TRUE(restarted.ok()) << restarted.status();
    storage_[shard] = *std::move(restarted);
  }

  std::string work_;
  std::vector<std::unique_ptr<ServiceProcess>> storage_;
  std::unique_ptr<ServiceProcess> ingest_, query_;
  int metrics_port_ = 0;
  std::string sample_;
};

TEST_F(ResultCacheSuiteTest, RepeatedQueriesHitTheCacheAndEveryAcknowledgedWriteIsSeen) {
  Ingest(sample_);
  ASSERT_TRUE(WaitForLeases()) << query_->ReadLog();
  EXPECT_EQ(SeriesValue(), 3150);
  const double replies_before = ReplyHits();
  EXPECT_EQ(SeriesValue(), 3150);
  EXPECT_EQ(RankedValue(), 3150);
  EXPECT_EQ(RankedValue(), 3150);
  // The second series and the second rank are replies kept whole.
  EXPECT_GE(ReplyHits(), replies_before + 2);

  // Each write is acknowledged only once query confirmed it: the very next
  // query sees it, though the series' reply depends on the written shard
  // and the rank's on all three.
  const double answers_before = AnswerHits();
  for (int i = 1; i <= 25; ++i) {
    const int cases = 4000 + i;
    Ingest(SampleWithCases(cases));
    ASSERT_EQ(SeriesValue(), cases) << "after write " << i;
    ASSERT_EQ(RankedValue(), cases) << "after write " << i;
    ASSERT_EQ(SeriesValue(), cases) << "after write " << i;  // now a kept reply
  }
  EXPECT_GE(ReplyHits(), replies_before + 2 + 25);
  // Each rank built again asked only the written shard: the other two
  // shards' answers were still current.
  EXPECT_GE(AnswerHits(), answers_before + 2 * 25);

  // A delete is seen at once too: the previous revision counts again.
  const std::string last = Ingest(SampleWithCases(5000));
  ASSERT_EQ(SeriesValue(), 5000);
  const int shard = ShardForRegion(kRegion, 3);
  zhibiao::v1::DeleteReportRequest remove;
  remove.set_report_id(last);
  zhibiao::v1::DeleteReportResponse removed;
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(10));
  auto stub = zhibiao::v1::StorageService::NewStub(storage_[shard]->channel());
  ASSERT_TRUE(stub->DeleteReport(&context, remove, &removed).ok());
  EXPECT_EQ(SeriesValue(), 4025);
  EXPECT_EQ(RankedValue(), 4025);
}

TEST_F(ResultCacheSuiteTest, AStoppedQueryHoldsWritesOnlyUntilItsLeaseRunsOut) {
  Ingest(sample_);
  ASSERT_TRUE(WaitForLeases()) << query_->ReadLog();
  ASSERT_EQ(SeriesValue(), 3150);
  ASSERT_EQ(SeriesValue(), 3150);  // cached

  // A query process that stops answering its stream (SIGSTOP) holds the
  // shard's writes back for at most its lease; then the write goes through.
  ASSERT_TRUE(query_->Signal(SIGSTOP));
  const absl::Time start = absl::Now();
  Ingest(SampleWithCases(777));
  const absl::Duration held = absl::Now() - start;
  ASSERT_TRUE(query_->Signal(SIGCONT));
  // When it wakes up, its lease has run out: it asks the shard again.
  EXPECT_EQ(SeriesValue(), 777) << "write held " << held;
  const std::string shard_log = storage_[ShardForRegion(kRegion, 3)]->ReadLog();
  EXPECT_NE(shard_log.find("lease_expired"), std::string::npos) << shard_log;
  // And it takes a new lease and caches again.
  ASSERT_TRUE(WaitForLeases()) << query_->ReadLog();
  EXPECT_EQ(SeriesValue(), 777);
  const double hits = ReplyHits();
  EXPECT_EQ(SeriesValue(), 777);
  EXPECT_GE(ReplyHits(), hits + 1);
}

TEST_F(ResultCacheSuiteTest, ARestartedShardInvalidatesTheCacheAndWaitsOutItsLeases) {
  Ingest(sample_);
  ASSERT_TRUE(WaitForLeases()) << query_->ReadLog();
  ASSERT_EQ(SeriesValue(), 3150);
  ASSERT_EQ(SeriesValue(), 3150);  // cached

  // The shard of the sample's region dies and comes back on its port, on
  // its data, as another run (another epoch).
  const int shard = ShardForRegion(kRegion, 3);
  const int port = storage_[shard]->port();
  ASSERT_NO_FATAL_FAILURE(KillShard(shard));
  ASSERT_NO_FATAL_FAILURE(RestartShard(shard, port));
  // It remembered granting leases: its first writes wait them out.
  EXPECT_NE(storage_[shard]->ReadLog().find("writes_held_after_start"), std::string::npos)
      << storage_[shard]->ReadLog();

  // Query takes a lease of the new run (its old answers are of the old
  // epoch: never served again), and a write to it is seen at once.
  ASSERT_TRUE(WaitForLeases()) << query_->ReadLog();
  EXPECT_EQ(SeriesValue(), 3150);
  Ingest(SampleWithCases(6100));
  EXPECT_EQ(SeriesValue(), 6100);
  const double hits = ReplyHits();
  EXPECT_EQ(SeriesValue(), 6100);
  EXPECT_EQ(SeriesValue(), 6100);
  EXPECT_GE(ReplyHits(), hits + 1);
}

TEST_F(ResultCacheSuiteTest, APartialReplyIsNeverKept) {
  Ingest(sample_);
  ASSERT_TRUE(WaitForLeases()) << query_->ReadLog();
  // Rank over all shards, partial results allowed: how many shards are missing.
  auto missing_shards = [this] {
    auto stub = zhibiao::v1::QueryService::NewStub(query_->channel());
    zhibiao::v1::RankRequest request;
    request.set_metric_key(kMetric);
    request.set_year(2021);
    request.mutable_options()->set_allow_partial(true);
    zhibiao::v1::RankResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    grpc::Status status = stub->Rank(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.missing_shards_size();
  };
  ASSERT_EQ(missing_shards(), 0);
  ASSERT_EQ(missing_shards(), 0);  // a kept reply

  // A shard that holds none of the sample's figures dies: the other two
  // shards' answers stay current, and the rank says which one is missing.
  const int shard = (ShardForRegion(kRegion, 3) + 1) % 3;
  const int port = storage_[shard]->port();
  ASSERT_NO_FATAL_FAILURE(KillShard(shard));
  EXPECT_EQ(missing_shards(), 1);
  EXPECT_EQ(missing_shards(), 1);

  // Back on its port: the next rank covers every shard again, so the
  // partial reply, built from two current answers, was not kept.
  ASSERT_NO_FATAL_FAILURE(RestartShard(shard, port));
  ASSERT_TRUE(WaitForLeases()) << query_->ReadLog();
  EXPECT_EQ(missing_shards(), 0);
  EXPECT_EQ(RankedValue(), 3150);
}

}  // namespace
}  // namespace zb
