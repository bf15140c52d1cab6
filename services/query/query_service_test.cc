#include "services/query/query_service.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "common/rpc/channels.h"
#include "common/rpc/executor.h"
#include "common/rpc/server.h"
#include "common/store/indicator_store.h"
#include "common/taxonomy/taxonomy.h"
#include "gmock/gmock.h"
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
      s.service->AcceptSyntheticReportsForTesting();
      ServerOptions shard_options;  // health as storage's main reports it
      shard_options.health_service_names = {"zhibiao.v1.StorageService"};
      s.server = *Server::Start(shard_options, {s.service.get()});
      s.server->SetServing(true);
      addresses.push_back(s.server->address());
      shards_.push_back(std::move(s));
    }
    storage_ = std::make_unique<StorageShards>(addresses);
    // As query's main does: serve once every shard has answered.
    storage_->StartMonitor(absl::Milliseconds(20), [this] { shards_ready_.Notify(); });
    ASSERT_TRUE(shards_ready_.WaitForNotificationWithTimeout(absl::Seconds(20)));
    service_ = std::make_unique<QueryServiceImpl>(storage_.get(), QueryOptions());
    server_ = *Server::Start(ServerOptions(), {service_.get()});
    auto channel = MakeChannel(server_->address());
    ASSERT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok());
    stub_ = zhibiao::v1::QueryService::NewStub(channel);
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
    if (server_ != nullptr) server_->Shutdown();
    for (auto& s : shards_) {
      s.server->Shutdown();
      s.readers->Shutdown();
    }
  }

  std::vector<Shard> shards_;
  absl::Notification shards_ready_;  // declared before storage_, whose monitor notifies it
  std::unique_ptr<StorageShards> storage_;
  std::unique_ptr<QueryServiceImpl> service_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<zhibiao::v1::QueryService::Stub> stub_;
  double expected_sum_ = 0;
};

// A report on its way to another shard (reextract's move): its old copy
// still stored, the new one arriving elsewhere with other figures. Every
// method counts it once, as the new copy; then the same with the old copy
// gone and with the move settled.
TEST_F(QueryServiceTest, AMovingReportCountsOnceAsItsNewCopy) {
  auto sum_of_cases = [&]() {
    zhibiao::v1::AggregateRequest request;
    request.mutable_filter()->add_metric_keys("case.count");
    request.set_include_superseded(true);
    zhibiao::v1::AggregateResponse response;
    grpc::ClientContext c;
    EXPECT_TRUE(stub_->Aggregate(&c, request, &response).ok());
    return response.rows_size() == 1
               ? std::make_pair(response.rows(0).count(), response.rows(0).sum())
               : std::make_pair(int64_t{-1}, 0.0);
  };
  auto listed = [&]() {
    zhibiao::v1::ListReportsRequest request;
    request.set_page_size(3);
    std::map<std::string, int> out;
    do {
      zhibiao::v1::ListReportsResponse page;
      grpc::ClientContext c;
      EXPECT_TRUE(stub_->ListReports(&c, request, &page).ok());
      for (const auto& meta : page.reports()) ++out[meta.report_id()];
      EXPECT_TRUE(page.arriving().empty()) << "storage's marks reach the client";
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    return out;
  };
  const auto [count_before, sum_before] = sum_of_cases();
  ASSERT_EQ(count_before, 10);
  // Report 1 (410700, 10 cases) re-extracted as 1000 cases, arriving on
  // another shard.
  const int from = ShardForRegion("410700", 3);
  const int to = (from + 1) % 3;
  zhibiao::v1::Report moved = MakeReport(1, "410700", 2021, 1000);
  moved.mutable_meta()->set_extractor_version("v2");
  const std::string id = moved.meta().report_id();
  ASSERT_TRUE(shards_[to].store->Put(moved, id).ok());

  for (const char* step : {"both copies", "old copy deleted", "settled"}) {
    SCOPED_TRACE(step);
    const auto [count, sum] = sum_of_cases();
    EXPECT_EQ(count, 10);
    EXPECT_DOUBLE_EQ(sum, sum_before - 10 + 1000);
    const std::map<std::string, int> reports = listed();
    EXPECT_EQ(reports.size(), 10u);
    for (const auto& [report, n] : reports) EXPECT_EQ(n, 1) << report;
    zhibiao::v1::SearchIndicatorsRequest search;
    search.add_words("受理案件");
    search.set_page_size(4);
    int hits_of_moved = 0, hits = 0;
    do {
      zhibiao::v1::SearchIndicatorsResponse page;
      grpc::ClientContext c;
      ASSERT_TRUE(stub_->SearchIndicators(&c, search, &page).ok());
      for (const auto& hit : page.hits()) {
        ++hits;
        if (hit.indicator().report_id() == id) {
          ++hits_of_moved;
          EXPECT_EQ(hit.indicator().quantity().value(), 1000);
        }
      }
      search.set_page_token(page.next_page_token());
    } while (!search.page_token().empty());
    EXPECT_EQ(hits, 10);
    EXPECT_EQ(hits_of_moved, 1);
    zhibiao::v1::GetReportRequest get;
    get.set_report_id(id);
    zhibiao::v1::GetReportResponse report;
    grpc::ClientContext c;
    ASSERT_TRUE(stub_->GetReport(&c, get, &report).ok());
    EXPECT_EQ(report.report().meta().extractor_version(), "v2");
    if (std::string(step) == "both copies") {
      ASSERT_TRUE(shards_[from].store->Delete(id).ok());
    }
    if (std::string(step) == "old copy deleted") {
      ASSERT_EQ(shards_[to].store->Settle(id).value_or(-1), 1);
    }
  }
}

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

TEST_F(QueryServiceTest, BytesThatAreNotTheRequestMessageAreInvalidArgument) {
  auto channel = MakeChannel(server_->address());
  ASSERT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok());
  grpc::GenericStub stub(channel);
  const std::string garbage = "\xff\xff\xff\xff";  // a varint tag cut short
  grpc::Slice slice(garbage.data(), garbage.size());
  grpc::ByteBuffer request(&slice, 1), reply;
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(10));
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/zhibiao.v1.QueryService/TimeSeries", grpc::StubOptions(), &request,
                 &reply, [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("not a zhibiao.v1.TimeSeriesRequest"), std::string::npos)
      << status.error_message();
  // And the service goes on answering.
  zhibiao::v1::AggregateRequest aggregate;
  aggregate.add_group_by(zhibiao::v1::GROUP_BY_METRIC);
  zhibiao::v1::AggregateResponse response;
  grpc::ClientContext again;
  EXPECT_TRUE(stub_->Aggregate(&again, aggregate, &response).ok());
  EXPECT_EQ(response.rows_size(), 2);
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

TEST_F(QueryServiceTest, ListRegionsCoversEveryShardsRegions) {
  zhibiao::v1::ListRegionsRequest request;
  zhibiao::v1::ListRegionsResponse response;
  grpc::ClientContext c;
  ASSERT_TRUE(stub_->ListRegions(&c, request, &response).ok());
  // Five regions on three shards, two reports (2021, 2022) of two figures each.
  std::vector<std::string> codes;
  for (const auto& r : response.regions()) {
    codes.push_back(r.region_code());
    EXPECT_EQ(r.report_count(), 2) << r.region_code();
    EXPECT_EQ(r.figure_count(), 4) << r.region_code();
    EXPECT_THAT(r.years(), ::testing::ElementsAre(2021, 2022)) << r.region_code();
  }
  EXPECT_THAT(codes, ::testing::ElementsAre("110105", "330100", "410100", "410700", "420300"));
  EXPECT_EQ(response.regions(3).region_name(), "新乡市");
  EXPECT_EQ(response.regions(3).province_code(), "410000");
  // A filter narrows what is counted; a bad one is INVALID_ARGUMENT naming it.
  request.mutable_filter()->add_years(2022);
  request.mutable_filter()->add_metric_keys("case.rate");
  grpc::ClientContext c2;
  zhibiao::v1::ListRegionsResponse narrowed;
  ASSERT_TRUE(stub_->ListRegions(&c2, request, &narrowed).ok());
  ASSERT_EQ(narrowed.regions_size(), 5);
  EXPECT_EQ(narrowed.regions(0).figure_count(), 1);
  EXPECT_THAT(narrowed.regions(0).years(), ::testing::ElementsAre(2022));
  request.mutable_filter()->add_region_codes("4107");
  grpc::ClientContext c3;
  zhibiao::v1::ListRegionsResponse refused;
  grpc::Status s = stub_->ListRegions(&c3, request, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("4107"), std::string::npos) << s.error_message();
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

// One figure of a report built by hand.
struct Figure {
  std::string metric;
  double value;
  std::string unit = "件";
  zhibiao::v1::UnitKind kind = zhibiao::v1::UNIT_KIND_COUNT;
  zhibiao::v1::Qualifier qualifier = zhibiao::v1::QUALIFIER_EXACT;
  double low = 0, high = 0;
};

zhibiao::v1::Report ReportOf(int n, const std::string& region, int year,
                             const std::string& published, const std::vector<Figure>& figures) {
  zhibiao::v1::Report r;
  r.mutable_meta()->set_report_id(absl::StrFormat("%032x", 1000 + n));
  r.mutable_meta()->set_report_year(year);
  r.mutable_meta()->set_published_date(published);
  r.mutable_meta()->set_extractor_version("v1");
  r.mutable_meta()->mutable_region()->set_code(region);
  r.mutable_meta()->mutable_region()->set_province_code(region.substr(0, 2) + "0000");
  int seq = 0;
  for (const Figure& f : figures) {
    auto* ind = r.add_indicators();
    ind->set_seq(seq++);
    ind->set_metric_key(f.metric);
    ind->set_change(zhibiao::v1::CHANGE_NONE);
    auto* q = ind->mutable_quantity();
    q->set_value(f.value);
    q->set_low(f.qualifier == zhibiao::v1::QUALIFIER_RANGE ? f.low : f.value);
    q->set_high(f.qualifier == zhibiao::v1::QUALIFIER_RANGE ? f.high : f.value);
    q->set_unit(f.unit);
    q->set_kind(f.kind);
    q->set_qualifier(f.qualifier);
  }
  return r;
}

class QuerySemanticsTest : public QueryServiceTest {
 protected:
  void Put(const zhibiao::v1::Report& report) {
    const int shard = ShardForRegion(report.meta().region().code(), 3);
    ASSERT_TRUE(shards_[shard].store->Put(report).ok());
  }
  grpc::Status Aggregate(const zhibiao::v1::AggregateRequest& request,
                         zhibiao::v1::AggregateResponse* response) {
    grpc::ClientContext c;
    SetTimeout(&c, absl::Seconds(10));
    return stub_->Aggregate(&c, request, response);
  }
};

TEST_F(QuerySemanticsTest, AGroupMixingUnitsIsInvalidUnlessSplitByUnit) {
  zhibiao::v1::AggregateRequest request;  // case.count in 件 and case.rate in % together
  zhibiao::v1::AggregateResponse response;
  grpc::Status s = Aggregate(request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("mixes units"), std::string::npos) << s.error_message();
  request.set_split_by_unit(true);
  ASSERT_TRUE(Aggregate(request, &response).ok());
  EXPECT_EQ(response.rows_size(), 2);
}

TEST_F(QuerySemanticsTest, SumsOfRatesAreRefused) {
  zhibiao::v1::AggregateRequest request;
  request.mutable_filter()->add_metric_keys("case.rate");
  request.add_aggregations(zhibiao::v1::AGGREGATION_SUM);
  zhibiao::v1::AggregateResponse response;
  grpc::Status s = Aggregate(request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("do not add up"), std::string::npos) << s.error_message();
  // A taxonomy metric that is a rate is refused before any shard is asked.
  request.mutable_filter()->set_metric_keys(0, "gov_services.online_rate");
  s = Aggregate(request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("does not add up"), std::string::npos) << s.error_message();
  // The mean of rates is fine.
  request.mutable_filter()->set_metric_keys(0, "case.rate");
  request.set_aggregations(0, zhibiao::v1::AGGREGATION_AVG);
  ASSERT_TRUE(Aggregate(request, &response).ok());
  EXPECT_DOUBLE_EQ(response.rows(0).mean(), 90);
  EXPECT_FALSE(response.rows(0).has_sum());
}

TEST_F(QuerySemanticsTest, TheLatestPublishedReportCountsUnlessAskedOtherwise) {
  Put(ReportOf(1, "130100", 2021, "2022-02-01",
               {{"enforcement.cases", 100},
                {"enforcement.fines", 5000, "元", zhibiao::v1::UNIT_KIND_CURRENCY_CNY}}));
  // The revision restates cases only: its figure replaces the original's,
  // while the original's fines still stand.
  Put(ReportOf(2, "130100", 2021, "2022-05-10", {{"enforcement.cases", 120}}));
  zhibiao::v1::AggregateRequest request;
  request.mutable_filter()->add_region_codes("130100");
  request.add_group_by(zhibiao::v1::GROUP_BY_METRIC);
  zhibiao::v1::AggregateResponse response;
  ASSERT_TRUE(Aggregate(request, &response).ok());
  ASSERT_EQ(response.rows_size(), 2);
  EXPECT_EQ(response.rows(0).group_values(0), "enforcement.cases");
  EXPECT_EQ(response.rows(0).count(), 1);
  EXPECT_DOUBLE_EQ(response.rows(0).sum(), 120);
  EXPECT_EQ(response.rows(1).group_values(0), "enforcement.fines");
  EXPECT_DOUBLE_EQ(response.rows(1).sum(), 5000);

  request.set_include_superseded(true);
  ASSERT_TRUE(Aggregate(request, &response).ok());
  EXPECT_EQ(response.rows(0).count(), 2);
  EXPECT_DOUBLE_EQ(response.rows(0).sum(), 220);

  // Deleting the revision brings the original's figure back.
  const int shard = ShardForRegion("130100", 3);
  ASSERT_TRUE(shards_[shard].store->Delete(absl::StrFormat("%032x", 1002)).ok());
  request.set_include_superseded(false);
  ASSERT_TRUE(Aggregate(request, &response).ok());
  EXPECT_DOUBLE_EQ(response.rows(0).sum(), 100);
}

TEST_F(QuerySemanticsTest, ApproximateBoundAndRangeFiguresFollowThePolicy) {
  Put(ReportOf(3, "130200", 2021, "2022-02-01",
               {{"enforcement.cases", 100},
                {"enforcement.cases", 200, "件", zhibiao::v1::UNIT_KIND_COUNT,
                 zhibiao::v1::QUALIFIER_APPROX},
                {"enforcement.cases", 300, "件", zhibiao::v1::UNIT_KIND_COUNT,
                 zhibiao::v1::QUALIFIER_AT_LEAST},
                {"enforcement.cases", 15, "件", zhibiao::v1::UNIT_KIND_COUNT,
                 zhibiao::v1::QUALIFIER_RANGE, 10, 20}}));
  zhibiao::v1::AggregateRequest request;
  request.mutable_filter()->add_region_codes("130200");
  zhibiao::v1::AggregateResponse response;
  const std::vector<std::pair<zhibiao::v1::QualifiedValues, std::pair<int, double>>> cases = {
      {zhibiao::v1::QUALIFIED_VALUES_UNSPECIFIED,
       {4, 615}},  // as stated, the range at its midpoint
      {zhibiao::v1::QUALIFIED_VALUES_AS_STATED, {4, 615}},
      {zhibiao::v1::QUALIFIED_VALUES_EXACT_ONLY, {1, 100}},
      {zhibiao::v1::QUALIFIED_VALUES_RANGE_LOW, {4, 610}},
      {zhibiao::v1::QUALIFIED_VALUES_RANGE_HIGH, {4, 620}}};
  for (const auto& [policy, want] : cases) {
    request.set_qualified_values(policy);
    ASSERT_TRUE(Aggregate(request, &response).ok());
    ASSERT_EQ(response.rows_size(), 1) << policy;
    EXPECT_EQ(response.rows(0).count(), want.first) << policy;
    EXPECT_DOUBLE_EQ(response.rows(0).sum(), want.second) << policy;
    EXPECT_EQ(response.rows(0).inexact_count(), want.first - 1) << policy;
  }
}

TEST_F(QuerySemanticsTest, WeightedMeansWeighEachRateByItsReportsWeightMetric) {
  Put(ReportOf(4, "130300", 2021, "2022-02-01",
               {{"training.exam_takers", 1000, "人"},
                {"training.exam_pass_rate", 90, "%", zhibiao::v1::UNIT_KIND_PERCENT}}));
  Put(ReportOf(5, "130400", 2021, "2022-02-01",
               {{"training.exam_takers", 3000, "人"},
                {"training.exam_pass_rate", 98, "%", zhibiao::v1::UNIT_KIND_PERCENT}}));
  Put(ReportOf(6, "130500", 2021, "2022-02-01",  // no weight: left out of the weighted mean
               {{"training.exam_pass_rate", 50, "%", zhibiao::v1::UNIT_KIND_PERCENT}}));
  zhibiao::v1::AggregateRequest request;
  request.mutable_filter()->add_metric_keys("training.exam_pass_rate");
  request.add_aggregations(zhibiao::v1::AGGREGATION_WEIGHTED_AVG);
  request.add_aggregations(zhibiao::v1::AGGREGATION_AVG);
  zhibiao::v1::AggregateResponse response;
  ASSERT_TRUE(Aggregate(request, &response).ok());
  ASSERT_EQ(response.rows_size(), 1);
  EXPECT_EQ(response.rows(0).count(), 3);
  EXPECT_EQ(response.rows(0).weighted_count(), 2);
  EXPECT_DOUBLE_EQ(response.rows(0).weighted_mean(), (90.0 * 1000 + 98.0 * 3000) / 4000);
  EXPECT_DOUBLE_EQ(response.rows(0).mean(), (90.0 + 98 + 50) / 3);
  // A metric without a weight metric cannot be weighted.
  request.mutable_filter()->add_metric_keys("enforcement.cases");
  EXPECT_EQ(Aggregate(request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(QuerySemanticsTest, RankSharesRanksOnTiesAndKeepsEveryoneTiedWithTheLast) {
  const std::vector<std::pair<std::string, double>> values = {{"130100", 50}, {"130200", 70},
                                                              {"130300", 70}, {"130400", 40},
                                                              {"130500", 40}, {"130600", 10}};
  int n = 10;
  for (const auto& [region, v] : values)
    Put(ReportOf(n++, region, 2022, "2023-01-10", {{"enforcement.cases", v}}));
  zhibiao::v1::RankRequest request;
  request.set_metric_key("enforcement.cases");
  request.set_year(2022);
  request.set_k(4);
  zhibiao::v1::RankResponse response;
  grpc::ClientContext c;
  ASSERT_TRUE(stub_->Rank(&c, request, &response).ok());
  std::vector<std::pair<int, std::string>> got;
  for (const auto& r : response.regions()) got.emplace_back(r.rank(), r.region_code());
  EXPECT_EQ(got, (std::vector<std::pair<int, std::string>>{
                     {1, "130200"}, {1, "130300"}, {3, "130100"}, {4, "130400"}, {4, "130500"}}));
  EXPECT_EQ(response.regions_ranked(), 6);
  EXPECT_EQ(response.aggregate(), "sum");
  // An unknown metric names itself.
  request.set_metric_key("no.such.metric");
  grpc::ClientContext c2;
  grpc::Status s = stub_->Rank(&c2, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("no.such.metric"), std::string::npos);
}

// A work report delivered in 2026 reviews 2025 (its report year) and sets
// 2026's goals: results rank under 2025, targets under the year they are set for.
TEST_F(QuerySemanticsTest, RanksTargetsInTheYearTheyAreSetFor) {
  auto work_report = [](int n, const std::string& region, double result, double target,
                        double goal) {
    zhibiao::v1::Report r = ReportOf(n, region, 2025, "2026-02-01", {});
    auto add = [&r](double value, bool is_target, int period_start, int period_end) {
      auto* ind = r.add_indicators();
      ind->set_seq(r.indicators_size() - 1);
      ind->set_metric_key("enforcement.cases");
      ind->set_change(zhibiao::v1::CHANGE_INCREASE);
      ind->set_is_target(is_target);
      ind->set_period_start(period_start);
      ind->set_period_end(period_end);
      auto* q = ind->mutable_quantity();
      q->set_value(value);
      q->set_low(value);
      q->set_high(value);
      q->set_unit("%");
      q->set_kind(zhibiao::v1::UNIT_KIND_PERCENT);
      q->set_qualifier(zhibiao::v1::QUALIFIER_APPROX);
    };
    add(result, false, 2025, 2025);  // 2025年增长5.6%
    add(target, true, 2026, 2026);   // 今年预期目标: 增长5%左右
    add(goal, true, 2026, 2030);     // 十五五 goal: 年均增长
    return r;
  };
  Put(work_report(30, "410000", 5.6, 5.0, 4.5));
  Put(work_report(31, "320000", 5.3, 5.5, 5.0));
  Put(work_report(32, "110000", 5.4, 5.2, 4.8));
  auto rank = [&](int year, zhibiao::v1::MetricFigures figures) {
    zhibiao::v1::RankRequest request;
    request.set_metric_key("enforcement.cases");
    request.set_year(year);
    request.mutable_options()->set_figures(figures);
    zhibiao::v1::RankResponse response;
    grpc::ClientContext c;
    grpc::Status s = stub_->Rank(&c, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::pair<std::string, double>> got;
    for (const auto& r : response.regions()) got.emplace_back(r.region_code(), r.value());
    return got;
  };
  using Ranked = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(rank(2026, zhibiao::v1::METRIC_FIGURES_TARGET_CHANGES),
            (Ranked{{"320000", 5.5}, {"110000", 5.2}, {"410000", 5.0}}));
  EXPECT_EQ(rank(2030, zhibiao::v1::METRIC_FIGURES_TARGET_CHANGES),
            (Ranked{{"320000", 5.0}, {"110000", 4.8}, {"410000", 4.5}}));
  EXPECT_EQ(rank(2025, zhibiao::v1::METRIC_FIGURES_RESULT_CHANGES),
            (Ranked{{"410000", 5.6}, {"110000", 5.4}, {"320000", 5.3}}));
  EXPECT_TRUE(
      rank(2025, zhibiao::v1::METRIC_FIGURES_RESULT_LEVELS).empty());  // no levels were written
  EXPECT_TRUE(
      rank(2026, zhibiao::v1::METRIC_FIGURES_RESULT_CHANGES).empty());  // no results of 2026 yet
}

TEST_F(QuerySemanticsTest, PagesFollowTheOrderAndTokensBelongToTheirRequest) {
  zhibiao::v1::AggregateRequest request;
  request.mutable_filter()->add_metric_keys("case.count");
  request.add_group_by(zhibiao::v1::GROUP_BY_REGION);
  request.add_group_by(zhibiao::v1::GROUP_BY_YEAR);
  request.set_order_by(zhibiao::v1::AGGREGATION_SUM);
  request.set_descending(true);
  request.set_page_size(3);
  std::vector<double> sums;
  std::string token;
  do {
    request.set_page_token(token);
    zhibiao::v1::AggregateResponse page;
    ASSERT_TRUE(Aggregate(request, &page).ok());
    EXPECT_EQ(page.total_rows(), 10);
    for (const auto& row : page.rows()) sums.push_back(row.sum());
    token = page.next_page_token();
  } while (!token.empty());
  ASSERT_EQ(sums.size(), 10u);
  EXPECT_TRUE(std::is_sorted(sums.rbegin(), sums.rend()));
  // A token of this request does not page another.
  request.set_page_token("");
  zhibiao::v1::AggregateResponse first;
  ASSERT_TRUE(Aggregate(request, &first).ok());
  request.set_page_token(first.next_page_token());
  request.set_descending(false);
  zhibiao::v1::AggregateResponse other;
  EXPECT_EQ(Aggregate(request, &other).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(QuerySemanticsTest, PartialResultsNameTheMissingShard) {
  zhibiao::v1::AggregateRequest request;
  request.mutable_filter()->add_metric_keys("case.count");
  request.add_group_by(zhibiao::v1::GROUP_BY_REGION);
  zhibiao::v1::AggregateResponse all;
  ASSERT_TRUE(Aggregate(request, &all).ok());
  shards_[1].server->Shutdown();
  zhibiao::v1::AggregateResponse response;
  EXPECT_EQ(Aggregate(request, &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  request.set_allow_partial(true);
  response.Clear();
  ASSERT_TRUE(Aggregate(request, &response).ok());
  ASSERT_EQ(response.missing_shards_size(), 1);
  EXPECT_NE(response.missing_shards(0).shard().find("storage shard 1"), std::string::npos);
  // What is there is exactly the other shards' part.
  std::map<std::string, int64_t> expected;
  for (const auto& row : all.rows()) {
    if (ShardForRegion(row.group_values(0), 3) != 1) expected[row.group_values(0)] = row.count();
  }
  std::map<std::string, int64_t> got;
  for (const auto& row : response.rows()) got[row.group_values(0)] = row.count();
  EXPECT_EQ(got, expected);
  EXPECT_FALSE(expected.empty());
}

// A shard whose readers are all busy: the caller's deadline, not the 10 s
// shard timeout, ends the call.
TEST_F(QuerySemanticsTest, TheCallersDeadlineReachesTheShards) {
  // Shared: the reader thread may still be leaving WaitForNotification
  // when the test ends.
  auto release = std::make_shared<absl::Notification>();
  ASSERT_TRUE(shards_[2].readers->TrySubmit([release] { release->WaitForNotification(); }));
  // A whole-index aggregation runs on the shards' reader threads (small
  // metric lookups such as Rank's are answered without them).
  zhibiao::v1::AggregateRequest request;
  request.add_group_by(zhibiao::v1::GROUP_BY_REGION);
  request.set_split_by_unit(true);
  zhibiao::v1::AggregateResponse response;
  grpc::ClientContext c;
  SetTimeout(&c, absl::Milliseconds(300));
  const absl::Time start = absl::Now();
  grpc::Status s = stub_->Aggregate(&c, request, &response);
  const absl::Duration took = absl::Now() - start;
  release->Notify();
  EXPECT_LT(took, absl::Seconds(5));  // the shard timeout is 10 s
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
              s.error_code() == grpc::StatusCode::UNAVAILABLE)
      << s.error_code() << " " << s.error_message();
}

}  // namespace
}  // namespace zb::query
