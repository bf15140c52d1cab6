// `zhibiao admin reextract` against the real suite (issue 13): reports stored
// by an older extractor version, without their region and all on shard 0 of
// three, are brought up to date through ingest, each onto the shard its new
// region routes to, once; with the source shard SIGKILLed mid-run (and
// restarted by `zhibiao up`) the command fails, and run again it finishes
// the job. `zhibiao admin verify` is clean afterwards and a third run finds
// nothing to do. The hints a report was ingested with are given again.
// A second test: the same text ingested again with a hint that moves it to
// another shard leaves two copies until reextract keeps the newer one, and
// --extractor_older_than / --all choose which reports are re-extracted.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/pipeline/report_builder.h"
#include "common/process/process.h"
#include "common/rpc/channels.h"
#include "common/rpc/storage_shards.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"
#include "tests/testing/corpus.h"
#include "tests/testing/service_process.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb {
namespace {

namespace fs = std::filesystem;

constexpr char kOldVersion[] = "extract-0+taxonomy-0";

int CountLines(const std::string& path, absl::string_view containing) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += absl::StrContains(line, containing);
  return n;
}

// Every report's meta on the shard at `address`, over a channel of its own
// (a local subchannel pool: nothing shared with channels that saw a kill).
std::vector<zhibiao::v1::ReportMeta> ListAll(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto stub = zhibiao::v1::StorageService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  std::vector<zhibiao::v1::ReportMeta> out;
  zhibiao::v1::ListReportsRequest request;
  request.set_page_size(1000);
  do {
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    SetTimeout(&context, absl::Seconds(30));
    zhibiao::v1::ListReportsResponse page;
    grpc::Status status = stub->ListReports(&context, request, &page);
    EXPECT_TRUE(status.ok()) << address << ": " << status.error_message();
    if (!status.ok()) break;
    out.insert(out.end(), page.reports().begin(), page.reports().end());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return out;
}

// Stores `content` on `shard` as an older extractor would have: without its
// region and with an old version. Returns the meta the current extractor
// gives it (region included).
absl::StatusOr<zhibiao::v1::ReportMeta> PutAsOldExtraction(zhibiao::v1::StorageService::Stub* shard,
                                                           const std::string& content,
                                                           const std::string& name,
                                                           const zhibiao::v1::ReportHints& hints) {
  auto report = pipeline::BuildReport(content, name, hints);
  if (!report.ok()) return report.status();
  const zhibiao::v1::ReportMeta current = report->meta();
  report->mutable_meta()->clear_region();
  report->mutable_meta()->set_extractor_version(kOldVersion);
  zhibiao::v1::PutReportRequest request;
  *request.mutable_report() = *std::move(report);
  zhibiao::v1::PutReportResponse response;
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(30));
  grpc::Status status = shard->PutReport(&context, request, &response);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return current;
}

// The arriving marks of the shard at `address` (reports a move has not settled).
int ArrivingOn(const std::string& address) {
  auto stub = zhibiao::v1::StorageService::NewStub(MakeChannel(address));
  zhibiao::v1::ListReportsRequest request;
  request.set_page_size(1);
  zhibiao::v1::ListReportsResponse page;
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(30));
  grpc::Status status = stub->ListReports(&context, request, &page);
  EXPECT_TRUE(status.ok()) << address << ": " << status.error_message();
  return page.arriving_size();
}

// `zhibiao up` with three storage shards in a fresh folder, stopped after
// the test.
class ReextractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = testing::MakeTempDir("reextract");
    auto up = Process::Start({bin_ + "/zhibiao", "up", "--storage-shards=3", "--base_port=0",
                              absl::StrCat("--data_dir=", work_, "/data")},
                             work_ + "/up.log");
    ASSERT_TRUE(up.ok()) << up.status();
    up_.emplace(*std::move(up));
    env_ = testing::WaitForEnvFile(work_ + "/data/run/env", absl::Seconds(60));
    ASSERT_FALSE(env_.empty()) << "zhibiao up did not write run/env; see " << work_ << "/up.log";
    storage_ = absl::StrSplit(env_["ZHIBIAO_STORAGE_ADDR"], ',');
    ASSERT_EQ(storage_.size(), 3u);
  }
  void TearDown() override {
    if (!up_.has_value()) return;
    EXPECT_TRUE(up_->Signal(SIGTERM));
    EXPECT_TRUE(up_->Wait(absl::Seconds(60)).has_value());
  }

  // `zhibiao admin reextract --json` against this suite, with transit
  // waits of `transit_wait_ms`.
  std::vector<std::string> ReextractCommand(int transit_wait_ms) {
    return {bin_ + "/zhibiao",
            "admin",
            "reextract",
            "--json",
            absl::StrCat("--storage=", env_["ZHIBIAO_STORAGE_ADDR"]),
            absl::StrCat("--ingest=", env_["ZHIBIAO_INGEST_ADDR"]),
            absl::StrCat("--transit_wait_ms=", transit_wait_ms)};
  }

  const std::string bin_ = ZB_BINARY_DIR;
  std::string work_;
  std::optional<Process> up_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> storage_;
};

TEST_F(ReextractTest, OldReportsMoveToTheirShardOnceEvenWhenTheSourceShardIsKilled) {
  const std::string& work = work_;
  const std::string& bin = bin_;
  std::map<std::string, std::string>& env = env_;
  const std::vector<std::string>& storage = storage_;
  std::vector<std::unique_ptr<zhibiao::v1::StorageService::Stub>> stubs;
  for (const std::string& address : storage) {
    auto channel = MakeChannel(address);
    ASSERT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok()) << address;
    stubs.push_back(zhibiao::v1::StorageService::NewStub(channel));
  }

  // What an older extractor stored: no region, an old version, all on shard 0.
  struct Stored {
    std::string region;  // the region the current extractor gives it
  };
  std::map<std::string, Stored> expected;  // by report id
  auto put_old = [&](const std::string& content, const std::string& name,
                     const zhibiao::v1::ReportHints& hints) {
    absl::StatusOr<zhibiao::v1::ReportMeta> stored =
        PutAsOldExtraction(stubs[0].get(), content, name, hints);
    ASSERT_TRUE(stored.ok()) << name << ": " << stored.status();
    expected[stored->report_id()] = {stored->region().code()};
  };
  for (int n = 0; n < 240; ++n) {
    put_old(testing::SampleVariant(n), absl::StrCat("variant-", n, ".txt"), {});
  }
  // Two real work reports, one ingested with a region hint the text does not
  // bear out: re-extraction must give the hint again, and it wins.
  const std::string henan =
      testing::ReadFileOrEmpty(testing::SharedPath("corpus/gzbg-2026/henan-2026.txt"));
  const std::string hubei =
      testing::ReadFileOrEmpty(testing::SharedPath("corpus/gzbg-2026/hubei-2026.txt"));
  ASSERT_FALSE(henan.empty() || hubei.empty()) << "../shared/corpus/gzbg-2026 is absent";
  put_old(henan, "henan-2026.txt", {});
  zhibiao::v1::ReportHints xinxiang;
  xinxiang.set_region_code("410700");
  put_old(hubei, "hubei-2026.txt", xinxiang);
  ASSERT_EQ(expected.size(), 242u);
  int routed_elsewhere = 0;
  for (const auto& [id, s] : expected) routed_elsewhere += ShardForRegion(s.region, 3) != 0;
  ASSERT_GT(routed_elsewhere, 100);

  const std::vector<std::string> cli = ReextractCommand(300);

  // Run 1: shard 0, the one every report is read from and deleted on, is
  // SIGKILLed once some reports have moved.
  const std::string run1 = work + "/reextract-1.log";
  auto first = Process::Start(cli, run1);
  ASSERT_TRUE(first.ok()) << first.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (CountLines(run1, "\"moved\"") < 20 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const int moved_before_kill = CountLines(run1, "\"moved\"");
  int storage0_pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(env["ZHIBIAO_PID_STORAGE_0"], &storage0_pid));
  ASSERT_EQ(::kill(storage0_pid, SIGKILL), 0);
  std::optional<int> first_exit = first->Wait(absl::Seconds(120));
  ASSERT_TRUE(first_exit.has_value());
  EXPECT_EQ(*first_exit, 1) << "the kill came after the run ended; see " << run1;
  EXPECT_GE(moved_before_kill, 20);

  // `zhibiao up` restarts the shard on its address.
  const absl::Time restart_deadline = absl::Now() + absl::Seconds(60);
  while (testing::ReadEnvFile(work + "/data/run/env")["ZHIBIAO_PID_STORAGE_0"] ==
             env["ZHIBIAO_PID_STORAGE_0"] &&
         absl::Now() < restart_deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_NE(testing::ReadEnvFile(work + "/data/run/env")["ZHIBIAO_PID_STORAGE_0"],
            env["ZHIBIAO_PID_STORAGE_0"]);
  {
    auto probe = Process::Start({bin + "/zhibiao", "health", absl::StrCat("--storage=", storage[0]),
                                 absl::StrCat("--ingest=", env["ZHIBIAO_INGEST_ADDR"]),
                                 absl::StrCat("--query=", env["ZHIBIAO_QUERY_ADDR"])},
                                work + "/health.log");
    ASSERT_TRUE(probe.ok());
    probe->Wait(absl::Seconds(30));  // the restarted shard answers
  }

  // The restarted shard answers (wait_for_ready) before run 2 starts.
  ListAll(storage[0]);
  // Run 2 finishes; run 3 finds nothing to do.
  auto second = Process::Start(cli, work + "/reextract-2.log");
  ASSERT_TRUE(second.ok());
  std::optional<int> second_exit = second->Wait(absl::Seconds(300));
  ASSERT_TRUE(second_exit.has_value());
  ASSERT_EQ(*second_exit, 0) << "see " << work << "/reextract-2.log";
  auto third = Process::Start(cli, work + "/reextract-3.log");
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->Wait(absl::Seconds(300)).value_or(-1), 0);
  EXPECT_EQ(CountLines(work + "/reextract-3.log", "\"action\""), 0)
      << "a second full run changed reports; see " << work << "/reextract-3.log";
  EXPECT_EQ(CountLines(work + "/reextract-3.log", "\"current\":242"), 1);

  // Every report once, on the shard its region routes to, re-extracted.
  std::map<std::string, int> copies;
  int hinted_seen = 0;
  for (int shard = 0; shard < 3; ++shard) {
    for (const auto& meta : ListAll(storage[shard])) {
      ++copies[meta.report_id()];
      EXPECT_NE(meta.extractor_version(), kOldVersion) << meta.report_id();
      EXPECT_EQ(ShardForRegion(meta.region().code(), 3), shard)
          << meta.report_id() << " region " << meta.region().code();
      auto it = expected.find(meta.report_id());
      ASSERT_NE(it, expected.end()) << "a report nobody stored: " << meta.report_id();
      EXPECT_EQ(meta.region().code(), it->second.region) << meta.source_name();
      if (meta.source_name() == "hubei-2026.txt") {
        EXPECT_EQ(meta.region().code(), "410700");
        EXPECT_EQ(meta.hints().region_code(), "410700");
        ++hinted_seen;
      }
    }
  }
  EXPECT_EQ(hinted_seen, 1);
  EXPECT_EQ(copies.size(), expected.size());
  for (const auto& [id, n] : copies) EXPECT_EQ(n, 1) << id;

  for (int shard = 0; shard < 3; ++shard) {
    EXPECT_EQ(ArrivingOn(storage[shard]), 0) << "a move left unsettled on storage-" << shard;
  }

  auto verify = Process::Start({bin + "/zhibiao", "admin", "verify",
                                absl::StrCat("--storage=", env["ZHIBIAO_STORAGE_ADDR"])},
                               work + "/verify.log");
  ASSERT_TRUE(verify.ok());
  EXPECT_EQ(verify->Wait(absl::Seconds(120)).value_or(-1), 0) << "see " << work << "/verify.log";
  std::printf("reextract: %zu reports, %d moved before shard 0 was killed\n", expected.size(),
              moved_before_kill);
}

// Runs `zhibiao admin reextract` with `extra` flags; its exit status, and its
// output in *log.
int RunReextract(const std::vector<std::string>& base, const std::vector<std::string>& extra,
                 const std::string& log_path, std::string* log) {
  std::vector<std::string> argv = base;
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto run = Process::Start(argv, log_path);
  if (!run.ok()) return -1;
  const int status = run->Wait(absl::Seconds(120)).value_or(-1);
  *log = testing::ReadFileOrEmpty(log_path);
  return status;
}

TEST_F(ReextractTest, ANewerCopyOnAnotherShardWinsAndTheFlagsChooseTheReports) {
  const std::string& work = work_;
  const std::string& bin = bin_;
  std::map<std::string, std::string>& env = env_;
  const std::vector<std::string>& storage = storage_;
  auto ingest_channel = MakeChannel(env["ZHIBIAO_INGEST_ADDR"]);
  ASSERT_TRUE(WaitForConnection(ingest_channel, absl::Seconds(20)).ok());
  auto ingest = zhibiao::v1::IngestService::NewStub(ingest_channel);
  auto ingest_once = [&](const std::string& content, const zhibiao::v1::ReportHints& hints) {
    zhibiao::v1::IngestRequest request;
    request.set_content(content);
    request.set_source_name("henan-2026.txt");
    *request.mutable_hints() = hints;
    zhibiao::v1::IngestResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(60));
    grpc::Status status = ingest->Ingest(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };

  // henan-2026 as the text says (河南, 410000), then again with a hint that
  // puts it on another shard: ingest stores a second copy there.
  const std::string henan =
      testing::ReadFileOrEmpty(testing::SharedPath("corpus/gzbg-2026/henan-2026.txt"));
  ASSERT_FALSE(henan.empty()) << "../shared/corpus/gzbg-2026 is absent";
  const zhibiao::v1::IngestResponse first = ingest_once(henan, {});
  ASSERT_EQ(first.meta().region().code(), "410000");
  std::string other_region;
  for (const char* code : {"110000", "320000", "440000", "510000", "620000"}) {
    if (ShardForRegion(code, 3) != ShardForRegion("410000", 3)) {
      other_region = code;
      break;
    }
  }
  ASSERT_FALSE(other_region.empty());
  zhibiao::v1::ReportHints moved;
  moved.set_region_code(other_region);
  const zhibiao::v1::IngestResponse second = ingest_once(henan, moved);
  EXPECT_EQ(second.report_id(), first.report_id());
  EXPECT_EQ(second.outcome(), zhibiao::v1::INGEST_OUTCOME_STORED);
  EXPECT_NE(second.shard(), first.shard());

  // A report of an old extractor version, on the shard its region names.
  auto old =
      pipeline::BuildReport(testing::SampleVariant(1), "variant-1.txt", zhibiao::v1::ReportHints());
  ASSERT_TRUE(old.ok()) << old.status();
  const std::string old_id = old->meta().report_id();
  old->mutable_meta()->set_extractor_version(kOldVersion);
  {
    auto stub = zhibiao::v1::StorageService::NewStub(
        MakeChannel(storage[ShardForRegion(old->meta().region().code(), 3)]));
    zhibiao::v1::PutReportRequest request;
    *request.mutable_report() = *old;
    zhibiao::v1::PutReportResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(30));
    ASSERT_TRUE(stub->PutReport(&context, request, &response).ok());
  }

  const std::vector<std::string> cli = ReextractCommand(300);
  std::string log;
  EXPECT_EQ(
      RunReextract(cli, {"--all", "--extractor_older_than=extract-9"}, work + "/both.log", &log), 2)
      << log;

  // Older than the old version itself: nothing is re-extracted, but the
  // older copy of henan-2026 goes.
  ASSERT_EQ(RunReextract(cli, {absl::StrCat("--extractor_older_than=", kOldVersion)},
                         work + "/none.log", &log),
            0)
      << log;
  EXPECT_TRUE(absl::StrContains(log, "\"copies_removed\":1")) << log;
  EXPECT_TRUE(absl::StrContains(log, "\"skipped\":2")) << log;
  EXPECT_TRUE(absl::StrContains(log, "\"in_place\":0")) << log;

  // Older than the current version: the old report, and only it.
  ASSERT_EQ(
      RunReextract(cli, {absl::StrCat("--extractor_older_than=", pipeline::ExtractorVersion())},
                   work + "/older.log", &log),
      0)
      << log;
  EXPECT_TRUE(absl::StrContains(log, "\"in_place\":1")) << log;
  EXPECT_TRUE(absl::StrContains(log, "\"skipped\":1")) << log;
  EXPECT_TRUE(absl::StrContains(log, "\"copies_removed\":0")) << log;

  // --all sends every report again; all are current now.
  ASSERT_EQ(RunReextract(cli, {"--all"}, work + "/all.log", &log), 0) << log;
  EXPECT_TRUE(absl::StrContains(log, "\"looked_at\":2,\"current\":2")) << log;

  std::map<std::string, int> copies;
  for (int shard = 0; shard < 3; ++shard) {
    for (const auto& meta : ListAll(storage[shard])) {
      ++copies[meta.report_id()];
      EXPECT_EQ(ShardForRegion(meta.region().code(), 3), shard) << meta.report_id();
      EXPECT_EQ(meta.extractor_version(), pipeline::ExtractorVersion()) << meta.report_id();
      if (meta.report_id() == first.report_id()) {
        EXPECT_EQ(meta.region().code(), other_region);  // the newer copy, with the hint
      }
    }
  }
  EXPECT_EQ(copies, (std::map<std::string, int>{{first.report_id(), 1}, {old_id, 1}}));
  auto verify = Process::Start({bin + "/zhibiao", "admin", "verify",
                                absl::StrCat("--storage=", env["ZHIBIAO_STORAGE_ADDR"])},
                               work + "/verify.log");
  ASSERT_TRUE(verify.ok());
  EXPECT_EQ(verify->Wait(absl::Seconds(120)).value_or(-1), 0) << "see " << work << "/verify.log";
}

// Figures per report id over every shard, as query counts them.
std::map<std::string, int64_t> FiguresPerReport(zhibiao::v1::QueryService::Stub* query,
                                                grpc::Status* status) {
  zhibiao::v1::AggregateRequest request;
  request.add_group_by(zhibiao::v1::GROUP_BY_REPORT);
  request.set_include_superseded(true);
  request.set_split_by_unit(true);
  request.add_aggregations(zhibiao::v1::AGGREGATION_COUNT);
  zhibiao::v1::AggregateResponse response;
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(30));
  *status = query->Aggregate(&context, request, &response);
  std::map<std::string, int64_t> out;
  for (const auto& row : response.rows()) out[row.group_values(0)] += row.count();
  return out;
}

// Every report id query lists in one call, with how many times it is
// listed. (Each page of a listing is a call of its own: a report that moves
// between two calls can be on both pages or on neither, docs/storage.md.)
std::map<std::string, int> ListedReports(zhibiao::v1::QueryService::Stub* query,
                                         grpc::Status* status) {
  std::map<std::string, int> out;
  zhibiao::v1::ListReportsRequest request;
  request.set_page_size(1000);
  do {
    zhibiao::v1::ListReportsResponse page;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(30));
    *status = query->ListReports(&context, request, &page);
    if (!status->ok()) break;
    for (const auto& meta : page.reports()) ++out[meta.report_id()];
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return out;
}

// While reports move between shards, every answer counts each exactly once:
// queries run all through a reextract that moves most of 40 reports, and
// each sees every report, with its figures either as stored before or as
// re-extracted, never both and never neither.
TEST_F(ReextractTest, QueriesDuringAMoveSeeEveryReportOnce) {
  auto shard0 = zhibiao::v1::StorageService::NewStub(MakeChannel(storage_[0]));
  std::set<std::string> ids;
  int routed_elsewhere = 0;
  for (int n = 0; n < 40; ++n) {
    absl::StatusOr<zhibiao::v1::ReportMeta> stored = PutAsOldExtraction(
        shard0.get(), testing::SampleVariant(n), absl::StrCat("variant-", n, ".txt"), {});
    ASSERT_TRUE(stored.ok()) << stored.status();
    routed_elsewhere += ShardForRegion(stored->region().code(), 3) != 0;
    ids.insert(stored->report_id());
  }
  ASSERT_GT(routed_elsewhere, 10);
  auto query_channel = MakeChannel(env_["ZHIBIAO_QUERY_ADDR"]);
  ASSERT_TRUE(WaitForConnection(query_channel, absl::Seconds(20)).ok());
  auto query = zhibiao::v1::QueryService::NewStub(query_channel);
  grpc::Status status;
  const std::map<std::string, int64_t> before = FiguresPerReport(query.get(), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(before.size(), ids.size());

  // Waits of a second between a move's steps: the queries below take
  // milliseconds, well inside them.
  auto run = Process::Start(ReextractCommand(1000), work_ + "/reextract.log");
  ASSERT_TRUE(run.ok());
  std::vector<std::map<std::string, int64_t>> seen;
  int bad_lists = 0, polls = 0, retried = 0;
  std::optional<int> finished;
  while (!(finished = run->Wait(absl::ZeroDuration())).has_value()) {
    // UNAVAILABLE "retry" (reports kept moving while the answer was built)
    // is retried, as a client would.
    std::map<std::string, int64_t> figures;
    for (int attempt = 0; attempt < 50; ++attempt) {
      figures = FiguresPerReport(query.get(), &status);
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
      ++retried;
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
    seen.push_back(std::move(figures));
    const std::map<std::string, int> listed = ListedReports(query.get(), &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
    bool once = listed.size() == ids.size();
    for (const auto& [id, n] : listed) once = once && n == 1 && ids.count(id) == 1;
    if (!once) {
      std::string what = absl::StrCat(listed.size(), " listed:");
      for (const auto& [id, n] : listed) {
        if (n != 1 || ids.count(id) == 0) absl::StrAppend(&what, " ", id, "x", n);
      }
      for (const std::string& id : ids) {
        if (listed.count(id) == 0) absl::StrAppend(&what, " missing ", id);
      }
      if (bad_lists < 3) ADD_FAILURE() << "listing " << polls << ": " << what;
    }
    bad_lists += !once;
    ++polls;
  }
  ASSERT_EQ(*finished, 0) << testing::ReadFileOrEmpty(work_ + "/reextract.log");
  ASSERT_GE(CountLines(work_ + "/reextract.log", "\"moved\""), 10);
  const std::map<std::string, int64_t> after = FiguresPerReport(query.get(), &status);
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(after.size(), ids.size());

  int bad_aggregates = 0;
  for (const auto& figures : seen) {
    bool once = figures.size() == ids.size();
    for (const auto& [id, count] : figures) {
      const bool as_before = before.count(id) && before.at(id) == count;
      const bool as_after = after.count(id) && after.at(id) == count;
      once = once && (as_before || as_after);
    }
    bad_aggregates += !once;
  }
  EXPECT_GE(polls, 20) << "the queries did not run through the moves";
  EXPECT_EQ(bad_aggregates, 0) << "of " << polls << " aggregates";
  EXPECT_EQ(bad_lists, 0) << "of " << polls << " listings";
  for (int shard = 0; shard < 3; ++shard) EXPECT_EQ(ArrivingOn(storage_[shard]), 0);
  std::printf(
      "reextract with queries: %d polls (%d retried), %d aggregates and %d listings wrong\n", polls,
      retried, bad_aggregates, bad_lists);
}

}  // namespace
}  // namespace zb
