#include "services/storage/storage_service.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/pipeline/report_builder.h"
#include "common/rpc/channels.h"
#include "common/rpc/server.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"

namespace zb::storage {
namespace {

// The service on a real server, reached over TCP and in-process (TEST_P).
class StorageServiceTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.data_dir =
        absl::StrCat(::testing::TempDir(), "/storage_service_test_", getpid(), "_",
                     ::testing::UnitTest::GetInstance()->random_seed(), "_", GetParam());
    std::filesystem::remove_all(options.data_dir);
    auto store = store::IndicatorStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    readers_ = std::make_unique<Executor>("readers", 2, 16);
    service_ = std::make_unique<StorageServiceImpl>(store_.get(), readers_.get());
    auto server = Server::Start(ServerOptions(), {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    if (GetParam()) {
      channel_ = server_->InProcessChannel();
    } else {
      channel_ = MakeChannel(server_->address());
      ASSERT_TRUE(WaitForConnection(channel_, absl::Seconds(20)).ok());
    }
    stub_ = zhibiao::v1::StorageService::NewStub(channel_);
  }
  void TearDown() override {
    server_->Shutdown();
    readers_->Shutdown();
    store_->Close();
    std::filesystem::remove_all(store_->options().data_dir);
  }

  zhibiao::v1::Report Sample() {
    auto report = pipeline::BuildReport(
        testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt")), "sample.txt");
    EXPECT_TRUE(report.ok());
    return *report;
  }

  std::unique_ptr<store::IndicatorStore> store_;
  std::unique_ptr<Executor> readers_;
  std::unique_ptr<StorageServiceImpl> service_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<zhibiao::v1::StorageService::Stub> stub_;
};

TEST_P(StorageServiceTest, PutGetDeleteOverGrpc) {
  zhibiao::v1::PutReportRequest put;
  *put.mutable_report() = Sample();
  const std::string id = put.report().meta().report_id();
  zhibiao::v1::PutReportResponse put_response;
  {
    grpc::ClientContext c;
    ASSERT_TRUE(stub_->PutReport(&c, put, &put_response).ok());
  }
  EXPECT_EQ(put_response.outcome(), zhibiao::v1::PUT_OUTCOME_STORED);
  {
    grpc::ClientContext c;
    ASSERT_TRUE(stub_->PutReport(&c, put, &put_response).ok());
    EXPECT_EQ(put_response.outcome(), zhibiao::v1::PUT_OUTCOME_UNCHANGED);
  }
  zhibiao::v1::GetReportRequest get;
  get.set_report_id(id);
  zhibiao::v1::GetReportResponse got;
  {
    grpc::ClientContext c;
    ASSERT_TRUE(stub_->GetReport(&c, get, &got).ok());
    // Read back as built (storage keeps sentence offsets and restores the text).
    zhibiao::v1::Report expected = put.report();
    expected.mutable_meta()->set_ingested_at_unix_ms(got.report().meta().ingested_at_unix_ms());
    EXPECT_EQ(got.report().SerializeAsString(), expected.SerializeAsString());
    ASSERT_GT(got.report().indicators_size(), 50);
    EXPECT_FALSE(got.report().indicators(0).sentence().empty());
  }
  zhibiao::v1::DeleteReportRequest del;
  del.set_report_id(id);
  zhibiao::v1::DeleteReportResponse deleted;
  {
    grpc::ClientContext c;
    ASSERT_TRUE(stub_->DeleteReport(&c, del, &deleted).ok());
    EXPECT_EQ(deleted.indicators_removed(), put.report().indicators_size());
  }
  {
    grpc::ClientContext c;
    grpc::Status s = stub_->GetReport(&c, get, &got);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_P(StorageServiceTest, ScanStreamsMatchingEntriesInBatches) {
  zhibiao::v1::PutReportRequest put;
  *put.mutable_report() = Sample();
  zhibiao::v1::PutReportResponse put_response;
  {
    grpc::ClientContext c;
    ASSERT_TRUE(stub_->PutReport(&c, put, &put_response).ok());
  }
  int expected = 0;
  for (const auto& ind : put.report().indicators()) expected += ind.quantity().unit() == "件";
  ASSERT_GT(expected, 2);
  zhibiao::v1::ScanIndicatorsRequest request;
  request.mutable_filter()->add_units("件");
  request.set_batch_size(3);
  grpc::ClientContext c;
  auto reader = stub_->ScanIndicators(&c, request);
  zhibiao::v1::ScanIndicatorsResponse batch;
  int got = 0, batches = 0;
  while (reader->Read(&batch)) {
    ++batches;
    EXPECT_LE(batch.indicators_size(), 3);
    for (const auto& ind : batch.indicators()) {
      EXPECT_EQ(ind.quantity().unit(), "件");
      EXPECT_EQ(ind.report_id(), put.report().meta().report_id());
      ++got;
    }
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(batches, (expected + 2) / 3);

  zhibiao::v1::ScanIndicatorsRequest limited = request;
  limited.set_limit(2);
  grpc::ClientContext c2;
  auto limited_reader = stub_->ScanIndicators(&c2, limited);
  got = 0;
  while (limited_reader->Read(&batch)) got += batch.indicators_size();
  ASSERT_TRUE(limited_reader->Finish().ok());
  EXPECT_EQ(got, 2);
}

TEST_P(StorageServiceTest, BadRequestsGetPreciseCodes) {
  zhibiao::v1::PutReportRequest empty;
  zhibiao::v1::PutReportResponse r;
  grpc::ClientContext c1;
  grpc::Status s = stub_->PutReport(&c1, empty, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("report_id"), std::string::npos);

  zhibiao::v1::AggregateIndicatorsRequest bad;
  bad.mutable_filter()->add_years(-1);
  zhibiao::v1::AggregateIndicatorsResponse a;
  grpc::ClientContext c2;
  s = stub_->AggregateIndicators(&c2, bad, &a);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("filter.years[0]"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Channels, StorageServiceTest, ::testing::Values(false, true),
                         [](const auto& param_info) {
                           return param_info.param ? "InProcess" : "Tcp";
                         });

}  // namespace
}  // namespace zb::storage
