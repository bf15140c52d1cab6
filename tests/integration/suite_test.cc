// The three real service binaries as separate processes on ephemeral loopback
// ports, talking gRPC: the user stories of the foundation (issue 2).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/channels.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"
#include "tests/testing/corpus.h"
#include "tests/testing/service_process.h"
#include "tests/testing/suite_processes.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb {
namespace {

using ::zb::testing::ServiceProcess;

class SuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = testing::MakeTempDir("suite");
    data_dir_ = testing::ShardDataDir(work_, 0, 1);
    StartSuite();
  }

  void StartSuite() {
    absl::StatusOr<testing::SuiteProcesses> suite = testing::StartSuite(work_, {});
    ASSERT_TRUE(suite.ok()) << suite.status();
    storage_ = std::move(suite->storage[0]);
    ingest_ = std::move(suite->ingest);
    query_ = std::move(suite->query);
  }

  grpc::Status Ingest(const std::string& content, zhibiao::v1::IngestResponse* response,
                      absl::Duration timeout = absl::Seconds(30)) {
    auto stub = zhibiao::v1::IngestService::NewStub(ingest_->channel());
    zhibiao::v1::IngestRequest request;
    request.set_content(content);
    request.set_source_name("xinxiang-2021.txt");
    grpc::ClientContext context;
    SetTimeout(&context, timeout);
    return stub->Ingest(&context, request, response);
  }

  grpc::Status GetReport(const std::string& id, zhibiao::v1::GetReportResponse* response) {
    auto stub = zhibiao::v1::QueryService::NewStub(query_->channel());
    zhibiao::v1::GetReportRequest request;
    request.set_report_id(id);
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    return stub->GetReport(&context, request, response);
  }

  std::string Sample() {
    return testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt"));
  }

  std::string work_, data_dir_;
  std::unique_ptr<ServiceProcess> storage_, ingest_, query_;
};

TEST_F(SuiteTest, EveryServiceIsHealthyAndListedByReflection) {
  const std::pair<ServiceProcess*, const char*> services[] = {
      {storage_.get(), "zhibiao.v1.StorageService"},
      {ingest_.get(), "zhibiao.v1.IngestService"},
      {query_.get(), "zhibiao.v1.QueryService"}};
  for (const auto& [process, name] : services) {
    auto health = CheckHealth(process->channel(), name, absl::Seconds(5));
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(*health, "SERVING");
    auto listed = testing::ListServicesByReflection(process->channel());
    ASSERT_TRUE(listed.ok()) << listed.status();
    EXPECT_NE(std::find(listed->begin(), listed->end(), name), listed->end()) << name;
  }
}

TEST_F(SuiteTest, IngestSampleThenReadItBackAndAggregate) {
  zhibiao::v1::IngestResponse ingested;
  grpc::Status status = Ingest(Sample(), &ingested);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ingested.outcome(), zhibiao::v1::INGEST_OUTCOME_STORED);
  EXPECT_EQ(ingested.report_id().size(), 32u);
  EXPECT_GT(ingested.indicator_count(), 50);

  zhibiao::v1::IngestResponse again;
  ASSERT_TRUE(Ingest(Sample(), &again).ok());
  EXPECT_EQ(again.outcome(), zhibiao::v1::INGEST_OUTCOME_UNCHANGED);
  EXPECT_EQ(again.report_id(), ingested.report_id());

  zhibiao::v1::GetReportResponse got;
  ASSERT_TRUE(GetReport(ingested.report_id(), &got).ok());
  EXPECT_EQ(got.report().meta().title(), "新乡市人民政府关于2021年法治政府建设情况的报告");
  EXPECT_EQ(got.report().meta().region().code(), "410700");
  EXPECT_EQ(got.report().indicators_size(), ingested.indicator_count());
  EXPECT_GT(got.report().meta().ingested_at_unix_ms(), 0);

  // Count and sum per unit, checked against the stored report itself.
  double sum_jian = 0;
  int count_jian = 0;
  for (const auto& ind : got.report().indicators()) {
    if (ind.quantity().unit() == "件") {
      ++count_jian;
      sum_jian += ind.quantity().value();
    }
  }
  ASSERT_GT(count_jian, 0);
  auto query = zhibiao::v1::QueryService::NewStub(query_->channel());
  zhibiao::v1::AggregateRequest request;
  request.mutable_filter()->add_region_codes("410700");
  request.mutable_filter()->add_years(2021);
  request.set_split_by_unit(true);  // a report's figures come in many units
  zhibiao::v1::AggregateResponse aggregate;
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(10));
  ASSERT_TRUE(query->Aggregate(&context, request, &aggregate).ok());
  EXPECT_EQ(aggregate.indicators_scanned(), got.report().indicators_size());
  bool found = false;
  for (const auto& row : aggregate.rows()) {
    if (row.unit() != "件") continue;
    found = true;
    EXPECT_EQ(row.count(), count_jian);
    ASSERT_TRUE(row.has_sum());
    EXPECT_DOUBLE_EQ(row.sum(), sum_jian);
  }
  EXPECT_TRUE(found);

  // A section by the path annotators write, with its text and subsections.
  zhibiao::v1::GetSectionRequest section_request;
  section_request.set_report_id(ingested.report_id());
  section_request.set_section("七.(二)");
  zhibiao::v1::GetSectionResponse section;
  grpc::ClientContext section_context;
  SetTimeout(&section_context, absl::Seconds(10));
  ASSERT_TRUE(query->GetSection(&section_context, section_request, &section).ok());
  EXPECT_EQ(section.section().section_id(), "7.2");
  EXPECT_EQ(section.section().heading(), "社会矛盾纠纷有效化解");
  EXPECT_NE(section.section().text().find("10.07万起"), std::string::npos);
  section_request.set_section("七");
  grpc::ClientContext parent_context;
  ASSERT_TRUE(query->GetSection(&parent_context, section_request, &section).ok());
  EXPECT_EQ(section.children_size(), 5);

  // Metrics observed in the sample, with their units.
  zhibiao::v1::ListMetricsResponse metrics;
  grpc::ClientContext metrics_context;
  ASSERT_TRUE(
      query->ListMetrics(&metrics_context, zhibiao::v1::ListMetricsRequest(), &metrics).ok());
  int64_t counted = 0;
  for (const auto& m : metrics.metrics()) counted += m.count();
  EXPECT_EQ(counted, got.report().indicators_size());

  zhibiao::v1::ListReportsRequest list_request;
  list_request.set_province_code("410000");
  zhibiao::v1::ListReportsResponse list;
  grpc::ClientContext list_context;
  SetTimeout(&list_context, absl::Seconds(10));
  ASSERT_TRUE(query->ListReports(&list_context, list_request, &list).ok());
  ASSERT_EQ(list.reports_size(), 1);
  EXPECT_EQ(list.reports(0).report_id(), ingested.report_id());
}

TEST_F(SuiteTest, IngestStreamAnswersEveryDocumentInOrderAndGoesOnAfterBadOnes) {
  auto stub = zhibiao::v1::IngestService::NewStub(ingest_->channel());
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(60));
  auto stream = stub->IngestStream(&context);
  // 40 documents: distinct variants of the sample, every 7th one empty, the
  // 5th a repeat of the 1st; more than the stream window (16) at once. The
  // documents of a window are worked on together, so either of the two
  // copies may be the one stored.
  constexpr int kDocuments = 40;
  std::thread writer([&] {
    for (int i = 0; i < kDocuments; ++i) {
      zhibiao::v1::IngestRequest request;
      if (i % 7 != 6) request.set_content(testing::SampleVariant(i == 4 ? 0 : i));
      request.set_source_name(absl::StrCat("doc-", i, ".txt"));
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  std::vector<zhibiao::v1::IngestResult> results;
  zhibiao::v1::IngestResult result;
  while (stream->Read(&result)) results.push_back(result);
  writer.join();
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(results.size(), static_cast<size_t>(kDocuments));
  for (int i = 0; i < kDocuments; ++i) {
    const auto& r = results[i];
    EXPECT_EQ(r.index(), i);
    EXPECT_EQ(r.source_name(), absl::StrCat("doc-", i, ".txt"));
    if (i % 7 == 6) {
      EXPECT_EQ(r.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT)) << i;
      EXPECT_FALSE(r.error().empty());
    } else {
      EXPECT_EQ(r.code(), 0) << i << ": " << r.error();
      if (i != 0 && i != 4) {
        EXPECT_EQ(r.response().outcome(), zhibiao::v1::INGEST_OUTCOME_STORED) << i;
      }
    }
  }
  EXPECT_EQ(results[4].response().report_id(), results[0].response().report_id());
  std::multiset<int> copies = {results[0].response().outcome(), results[4].response().outcome()};
  EXPECT_EQ(copies, (std::multiset<int>{zhibiao::v1::INGEST_OUTCOME_STORED,
                                        zhibiao::v1::INGEST_OUTCOME_UNCHANGED}));
}

TEST_F(SuiteTest, IngestStreamHoldsAFastClientBackWhileStorageIsStuck) {
  // Storage frozen: every document the stream takes stays in work. A client
  // that writes 100 documents of about 1 MB without reading any result must
  // be held back by flow control after the window (16) and the transport's
  // buffers, not have all of them taken into ingest's memory.
  ASSERT_TRUE(storage_->Signal(SIGSTOP));
  auto stub = zhibiao::v1::IngestService::NewStub(ingest_->channel());
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(120));
  auto stream = stub->IngestStream(&context);
  std::string padding;
  while (padding.size() < (1 << 20)) padding += "全面推进依法行政，持续优化法治化营商环境。\n";
  constexpr int kDocuments = 100;
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < kDocuments; ++i) {
      zhibiao::v1::IngestRequest request;
      request.set_content(testing::SampleVariant(1000 + i) + padding);
      request.set_source_name(absl::StrCat("big-", i, ".txt"));
      if (!stream->Write(request)) break;
      ++written;
    }
    stream->WritesDone();
  });
  absl::SleepFor(absl::Seconds(3));
  const int written_while_stuck = written.load();
  ASSERT_TRUE(storage_->Signal(SIGCONT));
  EXPECT_LT(written_while_stuck, 60) << "the stream took documents without bound";
  std::vector<zhibiao::v1::IngestResult> results;
  zhibiao::v1::IngestResult result;
  while (stream->Read(&result)) results.push_back(result);
  writer.join();
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(results.size(), static_cast<size_t>(kDocuments));
  for (int i = 0; i < kDocuments; ++i) {
    EXPECT_EQ(results[i].index(), i);
    EXPECT_EQ(results[i].code(), 0) << i << ": " << results[i].error();
  }
  std::printf("stream: %d of %d documents written while storage was stuck\n", written_while_stuck,
              kDocuments);
}

// Hints through the real ingest (issue 13): a body-only excerpt that names no
// region is stored without one; the same kind of excerpt with a region hint
// gets the hint's region; a hint the body contradicts wins with a warning; a
// code that is not in GB/T 2260 is refused, naming the field.
TEST_F(SuiteTest, RegionHintsWinWarnWhenContradictedAndBadCodesAreRefused) {
  auto stub = zhibiao::v1::IngestService::NewStub(ingest_->channel());
  auto ingest = [&](const std::string& text, const std::string& region_hint,
                    zhibiao::v1::IngestResponse* response) {
    zhibiao::v1::IngestRequest request;
    request.set_content(text);
    request.set_source_name("excerpt.txt");
    if (!region_hint.empty()) request.mutable_hints()->set_region_code(region_hint);
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(30));
    return stub->Ingest(&context, request, response);
  };
  auto has_warning = [](const zhibiao::v1::IngestResponse& r, const std::string& code) {
    for (const auto& w : r.warnings()) {
      if (w.code() == code) return true;
    }
    return false;
  };
  zhibiao::v1::IngestResponse plain;
  ASSERT_TRUE(
      ingest("全市办理行政复议案件356件,行政机关负责人出庭应诉率100%。\n", "", &plain).ok());
  EXPECT_EQ(plain.meta().region().code(), "");

  zhibiao::v1::IngestResponse hinted;
  ASSERT_TRUE(
      ingest("全市办理行政复议案件357件,行政机关负责人出庭应诉率99%。\n", "410700", &hinted).ok());
  EXPECT_EQ(hinted.meta().region().code(), "410700");
  EXPECT_EQ(hinted.meta().hints().region_code(), "410700");
  EXPECT_FALSE(has_warning(hinted, "hint_contradicts_text"));
  zhibiao::v1::GetReportResponse stored;
  ASSERT_TRUE(GetReport(hinted.report_id(), &stored).ok());
  EXPECT_EQ(stored.report().meta().region().code(), "410700");

  zhibiao::v1::IngestResponse contradicted;
  ASSERT_TRUE(
      ingest("2023年以来,新乡市坚持依法行政,全市办理行政复议案件358件。\n", "410100", &contradicted)
          .ok());
  EXPECT_EQ(contradicted.meta().region().code(), "410100");
  EXPECT_TRUE(has_warning(contradicted, "hint_contradicts_text"));

  zhibiao::v1::IngestResponse refused;
  grpc::Status bad = ingest("全市办理行政复议案件359件。\n", "999999", &refused);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("hints.region_code"), std::string::npos)
      << bad.error_message();
}

TEST_F(SuiteTest, UnknownReportIsNotFoundAndEmptyDocumentIsInvalid) {
  zhibiao::v1::GetReportResponse got;
  grpc::Status missing = GetReport(std::string(32, '0'), &got);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(missing.error_message().find(std::string(32, '0')), std::string::npos);

  zhibiao::v1::IngestResponse response;
  grpc::Status empty = Ingest("", &response);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(empty.error_message().find("empty document"), std::string::npos)
      << empty.error_message();
  // The service keeps serving after bad input.
  EXPECT_TRUE(Ingest(Sample(), &response).ok());
}

TEST_F(SuiteTest, StorageOutageIsUnavailableWithinTheDeadlineAndIngestRecovers) {
  const int port = storage_->port();
  storage_->Signal(SIGKILL);
  ASSERT_TRUE(storage_->Wait(absl::Seconds(5)).has_value());

  zhibiao::v1::IngestResponse response;
  const absl::Time start = absl::Now();
  grpc::Status down = Ingest(Sample(), &response, absl::Seconds(5));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  EXPECT_NE(down.error_message().find("storage shard 0"), std::string::npos)
      << down.error_message();
  EXPECT_LT(took, absl::Seconds(5));

  // Storage comes back on the same address; ingest reconnects by itself.
  auto again = ServiceProcess::Start(
      "zhibiao-storage",
      {absl::StrCat("--data_dir=", data_dir_), absl::StrCat("--listen=127.0.0.1:", port)}, work_,
      "storage-restarted");
  ASSERT_TRUE(again.ok()) << again.status();
  storage_ = *std::move(again);
  ASSERT_TRUE(storage_->WaitServing("zhibiao.v1.StorageService", absl::Seconds(30)).ok());
  grpc::Status recovered;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    recovered = Ingest(Sample(), &response, absl::Seconds(5));
    if (recovered.ok()) break;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < deadline);
  EXPECT_TRUE(recovered.ok()) << recovered.error_message();
}

TEST_F(SuiteTest, IngestRetriesAShardThatComesBackWithinTheDeadline) {
  const int port = storage_->port();
  storage_->Signal(SIGKILL);
  ASSERT_TRUE(storage_->Wait(absl::Seconds(5)).has_value());
  // The call starts while storage is down and has time to wait for it.
  zhibiao::v1::IngestResponse response;
  grpc::Status status;
  std::thread call([&] { status = Ingest(Sample(), &response, absl::Seconds(20)); });
  absl::SleepFor(absl::Milliseconds(1500));
  auto again = ServiceProcess::Start(
      "zhibiao-storage",
      {absl::StrCat("--data_dir=", data_dir_), absl::StrCat("--listen=127.0.0.1:", port)}, work_,
      "storage-back");
  ASSERT_TRUE(again.ok()) << again.status();
  storage_ = *std::move(again);
  call.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.outcome(), zhibiao::v1::INGEST_OUTCOME_STORED);
  // The log says how many attempts it took (more than one).
  EXPECT_NE(ingest_->ReadLog().find("\"attempts\":\""), std::string::npos);
  EXPECT_EQ(ingest_->ReadLog().find("\"attempts\":\"1\""), std::string::npos) << ingest_->ReadLog();
}

TEST_F(SuiteTest, SigtermExitsCleanlyAndAcknowledgedReportsSurviveRestart) {
  zhibiao::v1::IngestResponse ingested;
  ASSERT_TRUE(Ingest(Sample(), &ingested).ok());
  for (ServiceProcess* p : {ingest_.get(), query_.get(), storage_.get()}) {
    const absl::Time start = absl::Now();
    ASSERT_TRUE(p->Signal(SIGTERM));
    std::optional<int> code = p->Wait(absl::Seconds(5));
    ASSERT_TRUE(code.has_value()) << p->address() << " did not exit within 5 s";
    EXPECT_EQ(*code, 0) << p->ReadLog();
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  }
  StartSuite();
  zhibiao::v1::GetReportResponse got;
  grpc::Status status = GetReport(ingested.report_id(), &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(got.report().meta().report_id(), ingested.report_id());
}

}  // namespace
}  // namespace zb
