// Storage under stress, with real processes on loopback: SIGKILL during
// ingestion, concurrent duplicate ingestion, delete and re-ingest, three
// shards with routing, and checkpoints. Each test is bounded in time.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/channels.h"
#include "common/rpc/storage_shards.h"
#include "gtest/gtest.h"
#include "tests/testing/corpus.h"
#include "tests/testing/service_process.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb {
namespace {

using ::zb::testing::ServiceProcess;

std::unique_ptr<ServiceProcess> StartStorage(const std::string& work, const std::string& data_dir,
                                             int port, const std::string& name) {
  std::vector<std::string> args = {absl::StrCat("--data_dir=", data_dir)};
  if (port != 0) args.push_back(absl::StrCat("--listen=127.0.0.1:", port));
  auto storage = ServiceProcess::Start("zhibiao-storage", args, work, name);
  EXPECT_TRUE(storage.ok()) << storage.status();
  if (!storage.ok()) return nullptr;
  EXPECT_TRUE((*storage)->WaitServing("zhibiao.v1.StorageService", absl::Seconds(30)).ok());
  return *std::move(storage);
}

zhibiao::v1::VerifyResponse Verify(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = zhibiao::v1::StorageService::NewStub(channel);
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(60));
  zhibiao::v1::VerifyResponse response;
  grpc::Status status = stub->Verify(&context, zhibiao::v1::VerifyRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

grpc::Status Ingest(zhibiao::v1::IngestService::Stub* stub, const std::string& content,
                    zhibiao::v1::IngestResponse* response, absl::Duration timeout) {
  zhibiao::v1::IngestRequest request;
  request.set_content(content);
  grpc::ClientContext context;
  SetTimeout(&context, timeout);
  return stub->Ingest(&context, request, response);
}

// Ingest runs continuously while storage is SIGKILLed at random moments and
// restarted on the same address and data; afterwards every acknowledged
// report is complete and no partial report exists.
TEST(StorageSystemTest, NoAcknowledgedReportIsLostOverRepeatedSigkills) {
  const std::string work = testing::MakeTempDir("crash");
  const std::string data_dir = work + "/data";
  auto storage = StartStorage(work, data_dir, 0, "storage");
  ASSERT_NE(storage, nullptr);
  const int port = storage->port();
  auto ingest = ServiceProcess::Start(
      "zhibiao-ingest", {absl::StrCat("--storage=127.0.0.1:", port), "--storage_timeout_ms=3000"},
      work, "ingest");
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  ASSERT_TRUE((*ingest)->WaitServing("zhibiao.v1.IngestService", absl::Seconds(30)).ok());

  std::mutex mu;
  std::map<std::string, int> acknowledged;  // report id -> indicator count
  std::atomic<bool> stop{false};
  std::atomic<int> attempts{0}, failures{0};
  std::thread client([&] {
    auto stub = zhibiao::v1::IngestService::NewStub((*ingest)->channel());
    for (int n = 0; !stop.load(); ++n) {
      zhibiao::v1::IngestResponse response;
      ++attempts;
      grpc::Status status =
          Ingest(stub.get(), testing::SampleVariant(n), &response, absl::Seconds(5));
      if (status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        acknowledged[response.report_id()] = response.indicator_count();
      } else {
        ++failures;
      }
    }
  });

  std::mt19937 rng(20261125);
  const int kKills = 22;
  for (int k = 0; k < kKills; ++k) {
    absl::SleepFor(absl::Milliseconds(150 + rng() % 350));
    ASSERT_TRUE(storage->Signal(SIGKILL));
    ASSERT_TRUE(storage->Wait(absl::Seconds(10)).has_value());
    storage = StartStorage(work, data_dir, port, absl::StrCat("storage-", k));
    ASSERT_NE(storage, nullptr);
  }
  absl::SleepFor(absl::Milliseconds(500));
  stop = true;
  client.join();

  std::printf("crash test: %d kills, %d ingest calls, %zu acknowledged, %d failed during outages\n",
              kKills, attempts.load(), acknowledged.size(), failures.load());
  ASSERT_GT(acknowledged.size(), 20u);
  auto stub = zhibiao::v1::StorageService::NewStub(storage->channel());
  for (const auto& [id, indicators] : acknowledged) {
    zhibiao::v1::GetReportRequest request;
    request.set_report_id(id);
    zhibiao::v1::GetReportResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    grpc::Status status = stub->GetReport(&context, request, &response);
    ASSERT_TRUE(status.ok()) << "acknowledged report " << id << " lost: " << status.error_message();
    EXPECT_EQ(response.report().indicators_size(), indicators) << id;
  }
  const auto verified = Verify(storage->channel());
  EXPECT_EQ(verified.problems(), 0)
      << (verified.problem_samples_size() ? verified.problem_samples(0) : "");
  EXPECT_GE(verified.reports(), static_cast<int64_t>(acknowledged.size()));
}

// Eight clients ingest the same 100 reports at once: exactly 100 are stored,
// each answered STORED exactly once.
TEST(StorageSystemTest, ConcurrentDuplicateIngestionStoresEachReportOnce) {
  const std::string work = testing::MakeTempDir("dupes");
  auto storage = StartStorage(work, work + "/data", 0, "storage");
  ASSERT_NE(storage, nullptr);
  auto ingest = ServiceProcess::Start(
      "zhibiao-ingest", {absl::StrCat("--storage=", storage->address())}, work, "ingest");
  ASSERT_TRUE(ingest.ok());
  ASSERT_TRUE((*ingest)->WaitServing("zhibiao.v1.IngestService", absl::Seconds(30)).ok());
  std::mutex mu;
  std::map<std::string, int> stored_count;
  std::set<std::string> ids;
  std::vector<std::thread> clients;
  std::atomic<int> errors{0};
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      auto channel = MakeChannel((*ingest)->address());
      EXPECT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok());
      auto stub = zhibiao::v1::IngestService::NewStub(channel);
      for (int k = 0; k < 100; ++k) {
        const int n = (k * 7 + c * 13) % 100;  // every client in its own order
        zhibiao::v1::IngestResponse response;
        grpc::Status status =
            Ingest(stub.get(), testing::SampleVariant(n), &response, absl::Seconds(60));
        if (!status.ok()) {
          ++errors;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(response.report_id());
        if (response.outcome() == zhibiao::v1::INGEST_OUTCOME_STORED)
          ++stored_count[response.report_id()];
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(stored_count.size(), 100u);
  for (const auto& [id, count] : stored_count) EXPECT_EQ(count, 1) << id;
  const auto verified = Verify(storage->channel());
  EXPECT_EQ(verified.reports(), 100);
  EXPECT_EQ(verified.problems(), 0);
}

// Delete, re-ingest, verify; checkpoint, wipe, restore.
TEST(StorageSystemTest, DeleteReingestVerifyAndCheckpointRestore) {
  const std::string work = testing::MakeTempDir("delete");
  const std::string data_dir = work + "/data";
  auto storage = StartStorage(work, data_dir, 0, "storage");
  ASSERT_NE(storage, nullptr);
  auto ingest = ServiceProcess::Start(
      "zhibiao-ingest", {absl::StrCat("--storage=", storage->address())}, work, "ingest");
  ASSERT_TRUE(ingest.ok());
  ASSERT_TRUE((*ingest)->WaitServing("zhibiao.v1.IngestService", absl::Seconds(30)).ok());
  auto ingest_stub = zhibiao::v1::IngestService::NewStub((*ingest)->channel());
  auto storage_stub = zhibiao::v1::StorageService::NewStub(storage->channel());
  std::vector<std::string> ids;
  for (int n = 0; n < 10; ++n) {
    zhibiao::v1::IngestResponse response;
    ASSERT_TRUE(
        Ingest(ingest_stub.get(), testing::SampleVariant(n), &response, absl::Seconds(30)).ok());
    ids.push_back(response.report_id());
  }
  for (int n = 0; n < 5; ++n) {
    zhibiao::v1::DeleteReportRequest request;
    request.set_report_id(ids[n]);
    zhibiao::v1::DeleteReportResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(storage_stub->DeleteReport(&context, request, &response).ok());
    EXPECT_GT(response.indicators_removed(), 0);
  }
  auto after_delete = Verify(storage->channel());
  EXPECT_EQ(after_delete.reports(), 5);
  EXPECT_EQ(after_delete.problems(), 0);
  for (int n = 0; n < 5; ++n) {
    zhibiao::v1::IngestResponse response;
    ASSERT_TRUE(
        Ingest(ingest_stub.get(), testing::SampleVariant(n), &response, absl::Seconds(30)).ok());
    EXPECT_EQ(response.outcome(), zhibiao::v1::INGEST_OUTCOME_STORED);
  }
  auto after_reingest = Verify(storage->channel());
  EXPECT_EQ(after_reingest.reports(), 10);
  EXPECT_EQ(after_reingest.problems(), 0);

  // Backup with Checkpoint (into folders that do not exist yet, as
  // `zhibiao admin checkpoint DIR` asks for DIR/shard-N), wipe, restore:
  // every report and indicator back.
  const std::string backup = work + "/backups/2026-12-01/shard-0";
  {
    zhibiao::v1::CheckpointRequest request;
    request.set_directory(backup);
    zhibiao::v1::CheckpointResponse response;
    grpc::ClientContext context;
    grpc::Status status = storage_stub->Checkpoint(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    grpc::ClientContext again;
    EXPECT_EQ(storage_stub->Checkpoint(&again, request, &response).error_code(),
              grpc::StatusCode::ALREADY_EXISTS);
  }
  storage->Signal(SIGTERM);
  ASSERT_EQ(storage->Wait(absl::Seconds(10)).value_or(-1), 0);
  std::filesystem::remove_all(data_dir);
  std::filesystem::rename(backup, data_dir);
  storage = StartStorage(work, data_dir, 0, "storage-restored");
  ASSERT_NE(storage, nullptr);
  auto restored = Verify(storage->channel());
  EXPECT_EQ(restored.reports(), 10);
  EXPECT_EQ(restored.index_entries(), after_reingest.index_entries());
  EXPECT_EQ(restored.problems(), 0);
}

// Three storage shards as separate processes: every report lands on exactly
// the shard its routing rule names, and query answers over all of them.
TEST(StorageSystemTest, ThreeShardsRouteByRegionAndQueryMergesThem) {
  const std::string work = testing::MakeTempDir("shards");
  std::vector<std::unique_ptr<ServiceProcess>> shards;
  std::vector<std::string> addresses;
  for (int i = 0; i < 3; ++i) {
    shards.push_back(
        StartStorage(work, absl::StrCat(work, "/shard-", i), 0, absl::StrCat("storage-", i)));
    ASSERT_NE(shards.back(), nullptr);
    addresses.push_back(shards.back()->address());
  }
  const std::string storage_flag =
      absl::StrCat("--storage=", addresses[0], ",", addresses[1], ",", addresses[2]);
  auto ingest = ServiceProcess::Start("zhibiao-ingest", {storage_flag}, work, "ingest");
  auto query = ServiceProcess::Start("zhibiao-query", {storage_flag}, work, "query");
  ASSERT_TRUE(ingest.ok() && query.ok());
  ASSERT_TRUE((*ingest)->WaitServing("zhibiao.v1.IngestService", absl::Seconds(30)).ok());
  ASSERT_TRUE((*query)->WaitServing("zhibiao.v1.QueryService", absl::Seconds(30)).ok());
  auto stub = zhibiao::v1::IngestService::NewStub((*ingest)->channel());
  std::map<std::string, std::string> region_of;
  for (int n = 0; n < 48; ++n) {
    zhibiao::v1::IngestResponse response;
    ASSERT_TRUE(Ingest(stub.get(), testing::SampleVariant(n), &response, absl::Seconds(30)).ok());
    EXPECT_EQ(response.meta().region().code(), testing::SampleVariantRegion(n));
    region_of[response.report_id()] = response.meta().region().code();
  }
  int64_t total = 0;
  for (int i = 0; i < 3; ++i) {
    auto storage_stub = zhibiao::v1::StorageService::NewStub(shards[i]->channel());
    zhibiao::v1::ListReportsRequest request;
    request.set_page_size(1000);
    zhibiao::v1::ListReportsResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(storage_stub->ListReports(&context, request, &response).ok());
    for (const auto& meta : response.reports()) {
      EXPECT_EQ(ShardForRegion(meta.region().code(), 3), i) << meta.report_id();
    }
    total += response.reports_size();
  }
  EXPECT_EQ(total, 48);
  auto query_stub = zhibiao::v1::QueryService::NewStub((*query)->channel());
  zhibiao::v1::AggregateRequest request;
  request.add_group_by(zhibiao::v1::GROUP_BY_REGION);
  request.mutable_filter()->add_units("件");
  zhibiao::v1::AggregateResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(query_stub->Aggregate(&context, request, &response).ok());
  EXPECT_EQ(response.rows_size(), 24);  // every city, across the three shards
}

}  // namespace
}  // namespace zb
