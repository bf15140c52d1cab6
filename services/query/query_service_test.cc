#include "services/query/query_service.h"

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/rpc/channels.h"
#include "common/rpc/executor.h"
#include "common/rpc/server.h"
#include "common/store/indicator_store.h"
#include "common/taxonomy/taxonomy.h"
#include "gtest/gtest.h"
#include "services/storage/storage_service.h"

namespace zb::query {
namespace {

// One storage shard in this process.
struct Shard {
  std::unique_ptr<store::IndicatorStore> store;
  std::unique_ptr<Executor> readers;
  std::unique_ptr<storage::StorageServiceImpl> service;
  std::unique_ptr<Server> server;
};

zhibiao::v1::Report MakeReport(int n, const std::string& region, int year, double cases) {
  zhibiao::v1::Report r;
  r.mutable_meta()->set_report_id(absl::StrFormat("%032x", n));
  r.mutable_meta()->set_report_year(year);
  r.mutable_meta()->set_extractor_version("v1");
  r.mutable_meta()->mutable_region()->set_code(region);
  r.mutable_meta()->mutable_region()->set_province_code(region.substr(0, 2) + "0000");
  auto* ind = r.add_indicators();
  ind->set_metric_key("case.count");
  ind->set_subject("受理案件");
  ind->mutable_quantity()->set_value(cases);
  ind->mutable_quantity()->set_unit("件");
  ind->mutable_quantity()->set_kind(zhibiao::v1::UNIT_KIND_COUNT);
  auto* rate = r.add_indicators();
  rate->set_seq(1);
  rate->set_metric_key("case.rate");
  rate->set_subject("结案率");
  rate->mutable_quantity()->set_value(90);
  rate->mutable_quantity()->set_unit("%");
  rate->mutable_quantity()->set_kind(zhibiao::v1::UNIT_KIND_PERCENT);
  return r;
}

class QueryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> addresses;
    for (int i = 0; i < 3; ++i) {
      Shard s;
      store::StoreOptions options;
      options.data_dir = absl::StrCat(::testing::TempDir(), "/query_test_", getpid(), "_", i);
      std::filesystem::remove_all(options.data_dir);
      s.store = *store::IndicatorStore::Open(options);
      s.readers = std::make_unique<Executor>("r", 1, 16);
      s.service = std::make_unique<storage::StorageServiceImpl>(s.store.get(), s.readers.get());
      s.server = *Server::Start(ServerOptions(), {s.service.get()});
      addresses.push_back(s.server->address());
      shards_.push_back(std::move(s));
    }
    storage_ = std::make_unique<StorageShards>(addresses);
    service_ = std::make_unique<QueryServiceImpl>(storage_.get(), QueryOptions());
    server_ = *Server::Start(ServerOptions(), {service_.get()});
    stub_ = zhibiao::v1::QueryService::NewStub(MakeChannel(server_->address()));
    // Reports spread over the shards the way ingest routes them.
    int n = 0;
    for (const char* region : {"410700", "410100", "420300", "110105", "330100"}) {
      for (int year : {2021, 2022}) {
        ++n;
        auto report = MakeReport(n, region, year, 10 * n);
        expected_sum_ += 10 * n;
        const int shard = ShardForRegion(region, 3);
        ASSERT_TRUE(shards_[shard].store->Put(report).ok());
      }
    }
  }
  void TearDown() override {
    server_->Shutdown();
    for (auto& s : shards_) {
      s.server->Shutdown();
      s.readers->Shutdown();
    }
  }

  std::vector<Shard> shards_;
  std::unique_ptr<StorageShards> storage_;
  std::unique_ptr<QueryServiceImpl> service_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<zhibiao::v1::QueryService::Stub> stub_;
  double expected_sum_ = 0;
};

TEST_F(QueryServiceTest, AggregateMergesEveryShardExactly) {
  zhibiao::v1::AggregateRequest request;
  request.add_group_by(zhibiao::v1::GROUP_BY_METRIC);
  zhibiao::v1::AggregateResponse response;
  grpc::ClientContext c;
  ASSERT_TRUE(stub_->Aggregate(&c, request, &response).ok());
  ASSERT_EQ(response.rows_size(), 2);
  EXPECT_EQ(response.rows(0).group_values(0), "case.count");
  EXPECT_EQ(response.rows(0).count(), 10);
  EXPECT_DOUBLE_EQ(response.rows(0).sum(), expected_sum_);
  EXPECT_EQ(response.rows(1).group_values(0), "case.rate");
  EXPECT_FALSE(response.rows(1).has_sum());  // rates are never summed
  EXPECT_DOUBLE_EQ(response.rows(1).mean(), 90);
  EXPECT_EQ(response.indicators_scanned(), 20);
}

TEST_F(QueryServiceTest, PercentilesAreExactAcrossShards) {
  zhibiao::v1::AggregateRequest request;
  request.mutable_filter()->add_metric_keys("case.count");
  request.add_percentiles(50);
  request.add_percentiles(90);
  zhibiao::v1::AggregateResponse response;
  grpc::ClientContext c;
  ASSERT_TRUE(stub_->Aggregate(&c, request, &response).ok());
  ASSERT_EQ(response.rows_size(), 1);
  // Values 10, 20, ..., 100 spread over three shards.
  ASSERT_EQ(response.rows(0).percentiles_size(), 2);
  EXPECT_EQ(response.rows(0).percentiles(0), 50);
  EXPECT_EQ(response.rows(0).percentiles(1), 90);
  request.add_percentiles(101);
  grpc::ClientContext c2;
  EXPECT_EQ(stub_->Aggregate(&c2, request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(QueryServiceTest, GetFindsTheShardListPagesAcrossShards) {
  zhibiao::v1::GetReportRequest get;
  get.set_report_id(absl::StrFormat("%032x", 7));
  zhibiao::v1::GetReportResponse got;
  grpc::ClientContext c1;
  ASSERT_TRUE(stub_->GetReport(&c1, get, &got).ok());
  EXPECT_EQ(got.report().meta().report_id(), get.report_id());

  std::vector<std::string> seen;
  zhibiao::v1::ListReportsRequest list;
  list.set_page_size(3);
  do {
    zhibiao::v1::ListReportsResponse page;
    grpc::ClientContext c;
    ASSERT_TRUE(stub_->ListReports(&c, list, &page).ok());
    EXPECT_LE(page.reports_size(), 3);
    for (const auto& m : page.reports()) seen.push_back(m.region().code() + m.report_id());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  ASSERT_EQ(seen.size(), 10u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST_F(QueryServiceTest, ShardDownIsUnavailableNamingTheShard) {
  shards_[1].server->Shutdown();
  zhibiao::v1::AggregateRequest request;
  zhibiao::v1::AggregateResponse response;
  grpc::ClientContext c;
  SetTimeout(&c, absl::Seconds(5));
  grpc::Status s = stub_->Aggregate(&c, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(s.error_message().find("storage shard 1"), std::string::npos) << s.error_message();
}

TEST_F(QueryServiceTest, ListMetricsCountsEveryKeyOverAllShards) {
  zhibiao::v1::ListMetricsRequest request;
  zhibiao::v1::ListMetricsResponse response;
  grpc::ClientContext c;
  ASSERT_TRUE(stub_->ListMetrics(&c, request, &response).ok());
  // Every taxonomy key is listed; the test data's keys (not in the taxonomy) follow.
  EXPECT_GE(response.metrics_size(), 151);
  EXPECT_GE(response.taxonomy_version(), 1);
  std::map<std::string, const zhibiao::v1::MetricSummary*> by_key;
  for (const auto& m : response.metrics()) by_key[m.key()] = &m;
  ASSERT_TRUE(by_key.count("case.count"));
  EXPECT_EQ(by_key["case.count"]->count(), 10);
  ASSERT_EQ(by_key["case.count"]->units_size(), 1);
  EXPECT_EQ(by_key["case.count"]->units(0).unit(), "件");
  // Taxonomy keys come first, in taxonomy order; nothing here carries them.
  EXPECT_EQ(response.metrics(0).key(), taxonomy::Taxonomy::Default().entries()[0].key);
  EXPECT_EQ(response.metrics(0).count(), 0);
  EXPECT_FALSE(response.metrics(0).name_zh().empty());
  // The unmapped bucket is last.
  EXPECT_EQ(response.metrics(response.metrics_size() - 1).key(), "");
}

TEST_F(QueryServiceTest, GetSectionByIdOrPath) {
  // Reports in this fixture have no sections: the answer says which exist.
  zhibiao::v1::GetSectionRequest request;
  request.set_report_id(absl::StrFormat("%032x", 3));
  request.set_section("1");
  zhibiao::v1::GetSectionResponse response;
  grpc::ClientContext c;
  grpc::Status s = stub_->GetSection(&c, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("has no section"), std::string::npos) << s.error_message();
  request.set_report_id(std::string(32, 'f'));
  grpc::ClientContext c2;
  EXPECT_EQ(stub_->GetSection(&c2, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(ListTokenTest, RoundTripsAndRejectsOtherShardCounts) {
  std::vector<ShardCursor> cursors(2);
  cursors[0].last_key = std::string("\x41\x00\x07", 3);
  cursors[1].exhausted = true;
  auto back = DecodeListToken(EncodeListToken(cursors), 2);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0].last_key, cursors[0].last_key);
  EXPECT_TRUE((*back)[1].exhausted);
  EXPECT_EQ(DecodeListToken(EncodeListToken(cursors), 3).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zb::query
