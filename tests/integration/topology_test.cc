// The operators' topology as local processes (issue 7): `zhibiao up` with
// three storage shards, two ingest and two query processes; a generated
// corpus ingested through both ingest processes with `zhibiao ingest` (the
// streaming RPC) while queries go through both query processes; one ingest
// and one query process are SIGKILLed during the run. Every acknowledged
// report must be stored, on exactly the shard its routing rule names, and
// the remaining processes must keep serving.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/process/process.h"
#include "common/rpc/channels.h"
#include "common/rpc/storage_shards.h"
#include "gtest/gtest.h"
#include "tests/testing/service_process.h"
#include "tools/corpus/corpus_generator.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb {
namespace {

namespace fs = std::filesystem;

// "report_id" and "status" of each JSON line `zhibiao ingest --json` printed.
std::vector<std::pair<std::string, std::string>> ReadIngestLines(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  std::ifstream in(path);
  std::string line;
  auto field = [](const std::string& json, const std::string& name) {
    const std::string key = absl::StrCat("\"", name, "\":\"");
    const size_t at = json.find(key);
    if (at == std::string::npos) return std::string();
    const size_t begin = at + key.size();
    return json.substr(begin, json.find('"', begin) - begin);
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    out.emplace_back(field(line, "report_id"), field(line, "status"));
  }
  return out;
}

TEST(TopologyTest, ThreeShardsTwoIngestTwoQueryLoseNothingWhenReplicasAreKilled) {
  const std::string work = testing::MakeTempDir("topology");
  // The corpus: every report a separate file, as a collection platform sends them.
  corpus::CorpusOptions corpus_options;
  corpus_options.regions = 300;
  corpus_options.years = 4;
  corpus_options.seed = 71;
  const std::vector<corpus::GeneratedReport> reports = corpus::GenerateCorpus(corpus_options);
  const std::string corpus_dir = work + "/corpus";
  fs::create_directories(corpus_dir);
  for (const auto& r : reports) {
    std::ofstream(corpus_dir + "/" + r.file_name, std::ios::binary) << r.bytes;
  }
  ASSERT_GE(reports.size(), 1000u);

  const std::string bin = ZB_BINARY_DIR;
  auto up = Process::Start({bin + "/zhibiao", "up", "--storage-shards=3", "--ingest=2", "--query=2",
                            "--base_port=0", absl::StrCat("--data_dir=", work, "/data")},
                           work + "/up.log");
  ASSERT_TRUE(up.ok()) << up.status();
  std::map<std::string, std::string> env =
      testing::WaitForEnvFile(work + "/data/run/env", absl::Seconds(60));
  ASSERT_FALSE(env.empty()) << "zhibiao up did not write run/env; see " << work << "/up.log";
  const std::string ingest_target = env["ZHIBIAO_INGEST_ADDR"];
  const std::string query_target = env["ZHIBIAO_QUERY_ADDR"];
  ASSERT_TRUE(absl::StartsWith(ingest_target, "ipv4:")) << ingest_target;  // two replicas
  ASSERT_TRUE(absl::StartsWith(query_target, "ipv4:")) << query_target;
  const std::vector<std::string> storage = absl::StrSplit(env["ZHIBIAO_STORAGE_ADDR"], ',');
  ASSERT_EQ(storage.size(), 3u);
  int ingest_pid = 0, query_pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(env["ZHIBIAO_PID_INGEST_0"], &ingest_pid));
  ASSERT_TRUE(absl::SimpleAtoi(env["ZHIBIAO_PID_QUERY_1"], &query_pid));

  // Queries through both query processes for the whole run.
  std::atomic<bool> stop{false};
  std::atomic<int> queries_ok{0}, queries_failed{0}, ok_after_kill{0};
  std::atomic<bool> query_killed{false};
  std::thread querier([&] {
    auto channel = MakeChannel(query_target);
    EXPECT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok());
    auto stub = zhibiao::v1::QueryService::NewStub(channel);
    while (!stop) {
      zhibiao::v1::AggregateRequest request;
      request.add_group_by(zhibiao::v1::GROUP_BY_YEAR);
      request.set_split_by_unit(true);
      zhibiao::v1::AggregateResponse response;
      grpc::ClientContext context;
      SetTimeout(&context, absl::Seconds(5));
      if (stub->Aggregate(&context, request, &response).ok()) {
        ++queries_ok;
        if (query_killed) ++ok_after_kill;
      } else {
        ++queries_failed;  // a call in flight on the killed replica
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  });

  // Ingest the corpus through both ingest processes; kill one of each
  // stateless service while it runs.
  const std::string ingest_log = work + "/ingest.jsonl";
  auto ingest = Process::Start({bin + "/zhibiao", "ingest", corpus_dir, "--json", "--in_flight=8",
                                absl::StrCat("--ingest=", ingest_target)},
                               ingest_log);
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  // Kill once a share of the corpus is in.
  const absl::Time wait_until = absl::Now() + absl::Seconds(60);
  while (ReadIngestLines(ingest_log).size() < reports.size() / 5 && absl::Now() < wait_until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const size_t lines_at_kill = ReadIngestLines(ingest_log).size();
  ASSERT_EQ(::kill(ingest_pid, SIGKILL), 0);
  ASSERT_EQ(::kill(query_pid, SIGKILL), 0);
  query_killed = true;
  std::optional<int> ingest_exit = ingest->Wait(absl::Seconds(300));
  ASSERT_TRUE(ingest_exit.has_value()) << "zhibiao ingest did not finish";
  EXPECT_EQ(*ingest_exit, 0) << "some documents failed; see " << ingest_log;
  EXPECT_LT(lines_at_kill, reports.size()) << "the kill came after the ingestion ended";
  absl::SleepFor(absl::Milliseconds(300));
  stop = true;
  querier.join();
  EXPECT_GT(ok_after_kill.load(), 0) << "no query succeeded after a query process was killed";

  // Every acknowledged report is there...
  std::set<std::string> acknowledged;
  for (const auto& [id, status] : ReadIngestLines(ingest_log)) {
    if (status == "stored" || status == "unchanged" || status == "replaced")
      acknowledged.insert(id);
  }
  EXPECT_EQ(acknowledged.size(), reports.size());
  auto query_channel = MakeChannel(query_target);
  ASSERT_TRUE(WaitForConnection(query_channel, absl::Seconds(20)).ok());
  auto query = zhibiao::v1::QueryService::NewStub(query_channel);
  int present = 0;
  for (const std::string& id : acknowledged) {
    zhibiao::v1::GetReportRequest request;
    request.set_report_id(id);
    zhibiao::v1::GetReportResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    present += query->GetReport(&context, request, &response).ok();
  }
  EXPECT_EQ(present, static_cast<int>(acknowledged.size()));

  // ...exactly once, on the shard its region routes to.
  std::set<std::string> seen;
  int misrouted = 0, duplicates = 0;
  for (int shard = 0; shard < 3; ++shard) {
    auto channel = MakeChannel(storage[shard]);
    ASSERT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok());
    auto stub = zhibiao::v1::StorageService::NewStub(channel);
    std::string token;
    do {
      zhibiao::v1::ListReportsRequest request;
      request.set_page_size(1000);
      request.set_page_token(token);
      zhibiao::v1::ListReportsResponse response;
      grpc::ClientContext context;
      SetTimeout(&context, absl::Seconds(10));
      ASSERT_TRUE(stub->ListReports(&context, request, &response).ok());
      for (const auto& meta : response.reports()) {
        misrouted += ShardForRegion(meta.region().code(), 3) != shard;
        duplicates += !seen.insert(meta.report_id()).second;
      }
      token = response.next_page_token();
    } while (!token.empty());
  }
  EXPECT_EQ(misrouted, 0);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(seen, acknowledged);
  std::printf(
      "topology: %zu reports acknowledged and stored, %d queries ok (%d after the kill), "
      "%d failed in flight\n",
      acknowledged.size(), queries_ok.load(), ok_after_kill.load(), queries_failed.load());

  // A file over the document limit fails alone; the files beside it go on.
  const std::string mixed_dir = work + "/mixed";
  fs::create_directories(mixed_dir);
  std::ofstream(mixed_dir + "/huge.txt") << std::string((33 << 20), 'x');
  for (int i = 0; i < 2; ++i) {
    std::ofstream(mixed_dir + "/" + reports[i].file_name, std::ios::binary) << reports[i].bytes;
  }
  const std::string mixed_log = work + "/mixed.jsonl";
  auto mixed = Process::Start(
      {bin + "/zhibiao", "ingest", mixed_dir, "--json", absl::StrCat("--ingest=", ingest_target)},
      mixed_log);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->Wait(absl::Seconds(60)).value_or(-1), 1);  // one file failed
  std::map<std::string, int> statuses;
  for (const auto& [id, status] : ReadIngestLines(mixed_log)) ++statuses[status];
  EXPECT_EQ(statuses["failed"], 1);
  EXPECT_EQ(statuses["unchanged"], 2);
  std::ifstream mixed_in(mixed_log);
  const std::string mixed_text((std::istreambuf_iterator<char>(mixed_in)),
                               std::istreambuf_iterator<char>());
  EXPECT_NE(mixed_text.find("RESOURCE_EXHAUSTED"), std::string::npos) << mixed_text;

  ASSERT_TRUE(up->Signal(SIGTERM));
  std::optional<int> up_exit = up->Wait(absl::Seconds(60));
  ASSERT_TRUE(up_exit.has_value());
  EXPECT_EQ(*up_exit, 0);
}

}  // namespace
}  // namespace zb
