// The suite against a hostile client: the real storage, ingest and query
// binaries, tokens on, sent documents built to exhaust parsers (entity and
// decompression bombs, nesting, millions of figures), oversized and forged
// requests, bytes that are no protobuf at all. Each case must get its
// precise status in bounded time; afterwards every service is SERVING and
// answers ordinary calls, ingest's memory is back within bounds, and
// storage's own consistency check is clean.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/pipeline/report_builder.h"
#include "common/process/process.h"
#include "common/rpc/channels.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"
#include "tests/testing/service_process.h"
#include "tests/testing/suite_processes.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb {
namespace {

using testing::ServiceProcess;

constexpr char kClientToken[] = "client-token-ingest-query-01";  // ingest,query
constexpr char kStoreToken[] = "ingest-service-store-token-2";   // store (ingest's own)
constexpr char kQueryToken[] = "query-service-query-token-03";   // query (query's own)
constexpr char kAdminToken[] = "operator-admin-token-000004";    // admin

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string Repeat(const std::string& unit, size_t bytes) {
  std::string out;
  out.reserve(bytes + unit.size());
  while (out.size() + unit.size() <= bytes) out += unit;
  return out;
}

// UTF-16 of `utf8` (BMP only), without a byte order mark.
std::string Utf16WithoutBom(const std::string& utf8, bool little) {
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    const unsigned char c = utf8[i];
    const int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : 3;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : (c & 0x0F);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (utf8[i + k] & 0x3F);
    i += len;
    const char hi = static_cast<char>(cp >> 8), lo = static_cast<char>(cp & 0xFF);
    out.push_back(little ? lo : hi);
    out.push_back(little ? hi : lo);
  }
  return out;
}

// One unary call with raw request bytes (what a broken client sends).
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& bytes, const std::string& token) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(20));
  if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  grpc::CompletionQueue cq;
  grpc::Slice slice(bytes.data(), bytes.size());
  grpc::ByteBuffer request(&slice, 1);
  auto call = stub.PrepareUnaryCall(&context, method, request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  return status;
}

struct Outcome {
  grpc::Status status;
  absl::Duration took;
};

class HostileInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = new std::string(testing::MakeTempDir("hostile"));
    Write(*work_ + "/storage.tokens",
          absl::StrCat("ingest-service store ", kStoreToken, "\nquery-service query ", kQueryToken,
                       "\noperator admin ", kAdminToken, "\nclient ingest,query ", kClientToken,
                       "\n"));
    Write(*work_ + "/client.tokens", absl::StrCat("client ingest,query ", kClientToken, "\n"));
    Write(*work_ + "/ingest.token", absl::StrCat(kStoreToken, "\n"));
    Write(*work_ + "/query.token", absl::StrCat(kQueryToken, "\n"));
    testing::SuiteFlags flags;
    flags.storage = {absl::StrCat("--tokens_file=", *work_, "/storage.tokens")};
    flags.ingest = {absl::StrCat("--storage_token_file=", *work_, "/ingest.token"),
                    absl::StrCat("--tokens_file=", *work_, "/client.tokens"), "--parse_threads=2",
                    "--max_parse_seconds=20"};
    flags.query = {absl::StrCat("--storage_token_file=", *work_, "/query.token"),
                   absl::StrCat("--tokens_file=", *work_, "/client.tokens")};
    absl::StatusOr<testing::SuiteProcesses> suite = testing::StartSuite(*work_, flags);
    ASSERT_TRUE(suite.ok()) << suite.status();
    storage_ = suite->storage[0].release();
    ingest_ = suite->ingest.release();
    query_ = suite->query.release();
  }
  static void TearDownTestSuite() {
    delete query_;
    delete ingest_;
    delete storage_;
    delete work_;
  }

  static void Authorize(grpc::ClientContext* context, const char* token) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }

  static Outcome Ingest(const std::string& content, absl::Duration timeout = absl::Seconds(60),
                        const std::function<void(zhibiao::v1::IngestRequest*)>& edit = nullptr,
                        zhibiao::v1::IngestResponse* response_out = nullptr) {
    auto stub = zhibiao::v1::IngestService::NewStub(ingest_->channel());
    zhibiao::v1::IngestRequest request;
    request.set_content(content);
    request.set_source_name("hostile.bin");
    if (edit) edit(&request);
    zhibiao::v1::IngestResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, timeout);
    Authorize(&context, kClientToken);
    const absl::Time start = absl::Now();
    grpc::Status status = stub->Ingest(&context, request, &response);
    if (response_out != nullptr) *response_out = response;
    return {status, absl::Now() - start};
  }

  // Every service SERVING, an ordinary document ingested and found again.
  static void ExpectStillServing() {
    for (auto [process, service] : {std::pair{storage_, "zhibiao.v1.StorageService"},
                                    std::pair{ingest_, "zhibiao.v1.IngestService"},
                                    std::pair{query_, "zhibiao.v1.QueryService"}}) {
      EXPECT_TRUE(process->WaitServing(service, absl::Seconds(5)).ok()) << service;
    }
    zhibiao::v1::IngestResponse stored;
    Outcome good = Ingest(testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt")),
                          absl::Seconds(30), nullptr, &stored);
    ASSERT_TRUE(good.status.ok()) << good.status.error_message();
    EXPECT_EQ(stored.meta().region().code(), "410700");
    auto query = zhibiao::v1::QueryService::NewStub(query_->channel());
    zhibiao::v1::SearchIndicatorsRequest search;
    search.add_words("领导干部");
    search.mutable_filter()->add_report_ids(stored.report_id());
    zhibiao::v1::SearchIndicatorsResponse found;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    Authorize(&context, kClientToken);
    grpc::Status status = query->SearchIndicators(&context, search, &found);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_GT(found.hits_size(), 0);
  }

  static std::string* work_;
  static ServiceProcess* storage_;
  static ServiceProcess* ingest_;
  static ServiceProcess* query_;
};

std::string* HostileInputTest::work_ = nullptr;
ServiceProcess* HostileInputTest::storage_ = nullptr;
ServiceProcess* HostileInputTest::ingest_ = nullptr;
ServiceProcess* HostileInputTest::query_ = nullptr;

struct DocumentCase {
  std::string name;
  std::string content;
  grpc::StatusCode code;
  std::string message_part;
  std::function<void(zhibiao::v1::IngestRequest*)> edit = nullptr;
  absl::Duration timeout = absl::Seconds(60);
};

std::string HostilePath(const std::string& name) {
  return std::string(ZB_SOURCE_DIR) + "/tests/data/hostile/" + name;
}

TEST_F(HostileInputTest, HostileDocumentsGetPreciseStatusesInBoundedTimeAndMemory) {
  const std::string sample = testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt"));
  const std::string work_report =
      testing::ReadFileOrEmpty(testing::SharedPath("corpus/gzbg-2026/henan-2026.txt"));
  ASSERT_FALSE(sample.empty());
  std::string deep_html = "<html><body><div><p>办理案件3件。</p></div>";
  for (int i = 0; i < 100000; ++i) deep_html += "<div><span><b>";
  std::string wide_html = "<html><body><div><p>办理案件3件。</p>";
  for (int i = 0; i < 600000; ++i) wide_html += "<i>x</i>";
  std::string many_labels;
  std::vector<DocumentCase> cases = {
      {"DOCX billion laughs", testing::ReadFileOrEmpty(HostilePath("entity-bomb.docx")),
       grpc::StatusCode::INVALID_ARGUMENT, "declares a DTD"},
      {"DOCX decompression bomb", testing::ReadFileOrEmpty(HostilePath("decompression-bomb.docx")),
       grpc::StatusCode::INVALID_ARGUMENT, "--max_docx_xml_mb"},
      {"DOCX nested 100,000 deep", testing::ReadFileOrEmpty(HostilePath("deep-nesting.docx")),
       grpc::StatusCode::INVALID_ARGUMENT, "256 deep"},
      {"HTML of 300,000 unclosed elements", deep_html, grpc::StatusCode::INVALID_ARGUMENT,
       "--max_html_depth"},
      {"HTML of 600,000 elements", wide_html, grpc::StatusCode::INVALID_ARGUMENT,
       "--max_html_elements"},
      {"document over the 32 MiB limit", Repeat("办理案件3件。\n", (33u << 20)),
       grpc::StatusCode::RESOURCE_EXHAUSTED, "--max_document_mb"},
      {"a million figures", Repeat("1%、", 8u << 20), grpc::StatusCode::RESOURCE_EXHAUSTED,
       "--max_indicators"},
      {"PDF header on garbage", "%PDF-1.7\n" + Repeat("garbage ", 4096) + "\n%%EOF\n",
       grpc::StatusCode::INVALID_ARGUMENT, "PDF"},
      {"PDF cut short", "%PDF-1.4\n1 0 obj<<>>endobj\n", grpc::StatusCode::INVALID_ARGUMENT,
       "truncated PDF"},
      {"ZIP that is not DOCX", testing::ReadFileOrEmpty(testing::TestDataPath("not-docx.zip")),
       grpc::StatusCode::INVALID_ARGUMENT, "not DOCX"},
      {"NUL bytes without a text shape", std::string(4096, '\0'),
       grpc::StatusCode::INVALID_ARGUMENT, "binary data"},
      {"empty document", "", grpc::StatusCode::INVALID_ARGUMENT, "empty document"},
      {"only a title", "关于2021年法治政府建设情况的报告\n", grpc::StatusCode::OK, ""},
      {"200,000 labels", sample, grpc::StatusCode::INVALID_ARGUMENT, "labels",
       [](zhibiao::v1::IngestRequest* r) {
         for (int i = 0; i < 200000; ++i) (*r->mutable_labels())[absl::StrCat("k", i)] = "v";
       }},
      {"label with a line break", sample, grpc::StatusCode::INVALID_ARGUMENT, "control characters",
       [](zhibiao::v1::IngestRequest* r) { (*r->mutable_labels())["team"] = "a\nb"; }},
      {"1 MB source name with a newline", sample, grpc::StatusCode::INVALID_ARGUMENT, "source_name",
       [](zhibiao::v1::IngestRequest* r) { r->set_source_name(std::string(1 << 20, 'x') + "\n"); }},
      {"region hint outside GB/T 2260", sample, grpc::StatusCode::INVALID_ARGUMENT,
       "hints.region_code",
       [](zhibiao::v1::IngestRequest* r) { r->mutable_hints()->set_region_code("999999"); }},
      {"year hint of 99999", sample, grpc::StatusCode::INVALID_ARGUMENT, "hints",
       [](zhibiao::v1::IngestRequest* r) { r->mutable_hints()->set_report_year(99999); }},
      {"text without full stops (figures in one 30 MB sentence)",
       Repeat(Repeat("中", 600) + "增长5%", 30u << 20), grpc::StatusCode::OK, ""},
      {"UTF-16LE without a BOM", Utf16WithoutBom(sample, true), grpc::StatusCode::OK, ""},
      {"UTF-16BE without a BOM", Utf16WithoutBom(sample, false), grpc::StatusCode::OK, ""},
  };
  if (!work_report.empty()) {
    // The document limit is the one that answers: anything under it is stored.
    cases.push_back(
        {"31 MB work report", Repeat(work_report, 31u << 20), grpc::StatusCode::OK, ""});
  }
  absl::Duration worst;
  std::string worst_name;
  for (const DocumentCase& c : cases) {
    SCOPED_TRACE(c.name);
    Outcome outcome = Ingest(c.content, c.timeout, c.edit);
    EXPECT_EQ(outcome.status.error_code(), c.code) << outcome.status.error_message();
    EXPECT_NE(outcome.status.error_message().find(c.message_part), std::string::npos)
        << outcome.status.error_message();
    EXPECT_LE(outcome.status.error_message().size(), 1024u);
    EXPECT_LT(outcome.took, absl::Seconds(30));
    if (outcome.took > worst) {
      worst = outcome.took;
      worst_name = c.name;
    }
  }
  const int64_t peak_kb = testing::ProcessMemoryKb(ingest_->pid(), "VmHWM");
  std::printf("hostile documents: %zu cases, slowest %s (%s); ingest peak RSS %lld MiB\n",
              cases.size(), worst_name.c_str(), absl::FormatDuration(worst).c_str(),
              static_cast<long long>(peak_kb >> 10));
  EXPECT_LT(peak_kb, 3 << 20) << "ingest peak RSS over 3 GiB";
  ExpectStillServing();
  // Memory goes back: glibc may keep some, but not the peak of the worst document.
  const int64_t rss_kb = testing::ProcessMemoryKb(ingest_->pid(), "VmRSS");
  std::printf("ingest RSS after the hostile documents: %lld MiB\n",
              static_cast<long long>(rss_kb >> 10));
  EXPECT_LT(rss_kb, 1024 << 10);  // 337 MiB measured (malloc_trim after large documents)
}

TEST_F(HostileInputTest, APassedDeadlineStopsParsingAndFreesTheParser) {
  // Two slow documents with short deadlines on both parser threads: each
  // stops at its deadline, and an ordinary document is served right after.
  const std::string slow = Repeat(Repeat("中", 600) + "增长5%", 30u << 20);
  std::vector<std::thread> callers;
  std::vector<Outcome> outcomes(2);
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&, i] { outcomes[i] = Ingest(slow, absl::Milliseconds(300)); });
  }
  for (auto& t : callers) t.join();
  for (const Outcome& o : outcomes) {
    EXPECT_EQ(o.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
        << o.status.error_message();
  }
  const absl::Time start = absl::Now();
  ExpectStillServing();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(HostileInputTest, ForgedAndMalformedRequestsAreRefusedWithTheRightStatus) {
  auto storage = zhibiao::v1::StorageService::NewStub(storage_->channel());
  auto put = [&](const zhibiao::v1::Report& report, const char* token) {
    zhibiao::v1::PutReportRequest request;
    *request.mutable_report() = report;
    zhibiao::v1::PutReportResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    Authorize(&context, token);
    return storage->PutReport(&context, request, &response);
  };
  auto built = pipeline::BuildReport(
      testing::ReadFileOrEmpty(testing::TestDataPath("yunxi-2022.txt")), "yunxi-2022.txt");
  ASSERT_TRUE(built.ok()) << built.status();
  zhibiao::v1::Report bare;
  bare.mutable_meta()->set_report_id(std::string(32, '0'));
  // A client's ingest token may not write to storage at all.
  EXPECT_EQ(put(*built, kClientToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(put(bare, kClientToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // With the ingest service's own token, only what ingest builds is stored.
  grpc::Status forged = put(bare, kStoreToken);
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(forged.error_message().find("not a parsed document"), std::string::npos)
      << forged.error_message();
  zhibiao::v1::Report edited = *built;
  edited.mutable_indicators(0)->mutable_quantity()->set_value(1e12);
  edited.mutable_sections(0)->set_text("伪造");
  EXPECT_EQ(put(edited, kStoreToken).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  zhibiao::v1::Report outside = *built;
  outside.mutable_indicators(0)->set_char_begin(-5);
  EXPECT_EQ(put(outside, kStoreToken).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(put(*built, kStoreToken).ok());

  // Bytes that are no protobuf: INVALID_ARGUMENT from every service.
  const std::string garbage = "\xFF\xFF\xFF\xFF\x0F not a protobuf";
  for (auto [channel, method] :
       {std::pair{ingest_->channel(), "/zhibiao.v1.IngestService/Ingest"},
        std::pair{ingest_->channel(), "/zhibiao.v1.IngestService/Parse"},
        std::pair{storage_->channel(), "/zhibiao.v1.StorageService/PutReport"},
        std::pair{storage_->channel(), "/zhibiao.v1.StorageService/ListReports"},
        std::pair{query_->channel(), "/zhibiao.v1.QueryService/ListReports"},
        std::pair{query_->channel(), "/zhibiao.v1.QueryService/Rank"}}) {
    SCOPED_TRACE(method);
    const char* token = channel == storage_->channel() ? kStoreToken : kClientToken;
    grpc::Status status = RawCall(channel, method, garbage, token);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_FALSE(status.error_message().empty());
  }

  auto query = zhibiao::v1::QueryService::NewStub(query_->channel());
  auto search = [&](const std::function<void(zhibiao::v1::SearchIndicatorsRequest*)>& edit) {
    zhibiao::v1::SearchIndicatorsRequest request;
    edit(&request);
    zhibiao::v1::SearchIndicatorsResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(20));
    Authorize(&context, kClientToken);
    return query->SearchIndicators(&context, request, &response);
  };
  struct RequestCase {
    const char* name;
    std::function<void(zhibiao::v1::SearchIndicatorsRequest*)> edit;
    grpc::StatusCode code;
    const char* part;
  };
  const std::vector<RequestCase> requests = {
      {"100,000 search words",
       [](auto* r) {
         for (int i = 0; i < 100000; ++i) r->add_words("案件");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "words"},
      {"a 100 KB search word", [](auto* r) { r->add_words(std::string(100000, 'x')); },
       grpc::StatusCode::INVALID_ARGUMENT, "words[0]"},
      {"10,000 region codes",
       [](auto* r) {
         r->add_words("案件");
         for (int i = 0; i < 10000; ++i) r->mutable_filter()->add_region_codes("410700");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "filter.region_codes"},
      {"1,000,000 region codes (8 MB request)",
       [](auto* r) {
         r->add_words("案件");
         for (int i = 0; i < 1000000; ++i) r->mutable_filter()->add_region_codes("410700");
       },
       grpc::StatusCode::RESOURCE_EXHAUSTED, ""},
      {"a 30 KB region code",
       [](auto* r) {
         r->add_words("案件");
         r->mutable_filter()->add_region_codes(std::string(30000, '9'));
       },
       grpc::StatusCode::INVALID_ARGUMENT, "filter.region_codes[0]"},
      {"a page size of a billion",
       [](auto* r) {
         r->add_words("案件");
         r->set_page_size(1000000000);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "page_size"},
      {"a forged page token",
       [](auto* r) {
         r->add_words("案件");
         r->set_page_token("bm90IGEgdG9rZW4=");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "page_token"},
      {"a year of 99999",
       [](auto* r) {
         r->add_words("案件");
         r->mutable_filter()->add_years(99999);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "filter.years[0]"},
  };
  for (const RequestCase& c : requests) {
    SCOPED_TRACE(c.name);
    grpc::Status status = search(c.edit);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_NE(status.error_message().find(c.part), std::string::npos) << status.error_message();
    EXPECT_LE(status.error_message().size(), 1024u);
  }
  // A section name of 30 KB is quoted short.
  {
    zhibiao::v1::GetSectionRequest request;
    request.set_report_id(built->meta().report_id());
    request.set_section(std::string(30000, '7'));
    zhibiao::v1::GetSectionResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    Authorize(&context, kClientToken);
    grpc::Status status = query->GetSection(&context, request, &response);
    EXPECT_NE(status.error_code(), grpc::StatusCode::OK);
    EXPECT_NE(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    EXPECT_LE(status.error_message().size(), 1024u);
  }
  // No token, and a token of the wrong scope.
  {
    zhibiao::v1::ListReportsRequest request;
    zhibiao::v1::ListReportsResponse response;
    grpc::ClientContext anonymous;
    SetTimeout(&anonymous, absl::Seconds(10));
    EXPECT_EQ(query->ListReports(&anonymous, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    grpc::ClientContext admin;
    SetTimeout(&admin, absl::Seconds(10));
    Authorize(&admin, kAdminToken);
    EXPECT_EQ(storage->ListReports(&admin, request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  ExpectStillServing();

  // Storage's own check finds nothing wrong with what was stored.
  zhibiao::v1::VerifyRequest verify;
  zhibiao::v1::VerifyResponse verified;
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(30));
  Authorize(&context, kAdminToken);
  grpc::Status status = storage->Verify(&context, verify, &verified);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(verified.problems(), 0) << verified.DebugString();
}

// Large documents have a parser pool of their own (--large_document_kb):
// while two slow 30 MB texts parse (ingest has --parse_threads=2, so the
// large pool has one thread), an ordinary report is stored before either of
// them ends. Without the second pool it would wait for their deadline.
TEST_F(HostileInputTest, SlowLargeDocumentsDoNotStarveOrdinaryOnes) {
  const std::string slow = Repeat(Repeat("中", 600) + "增长5%", 30u << 20);
  constexpr absl::Duration kSlowDeadline = absl::Seconds(8);
  std::vector<std::thread> callers;
  std::vector<Outcome> outcomes(2);
  std::vector<absl::Time> slow_ended(2);
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&, i] {
      outcomes[i] = Ingest(slow, kSlowDeadline);
      slow_ended[i] = absl::Now();
    });
  }
  absl::SleepFor(absl::Milliseconds(700));  // both are parsing or queued
  const absl::Time start = absl::Now();
  Outcome ordinary = Ingest(testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt")),
                            absl::Seconds(30));
  const absl::Time ordinary_ended = absl::Now();
  for (auto& t : callers) t.join();
  EXPECT_TRUE(ordinary.status.ok()) << ordinary.status.error_message();
  for (int i = 0; i < 2; ++i) {
    EXPECT_LT(ordinary_ended, slow_ended[i]) << "an ordinary report waited behind large ones";
  }
  std::printf(
      "ordinary report beside two slow 30 MB documents: %s (the slow ones ended after %s)\n",
      absl::FormatDuration(ordinary_ended - start).c_str(),
      absl::FormatDuration(std::min(slow_ended[0], slow_ended[1]) - start).c_str());
  ExpectStillServing();
}

// Operator mistakes: a second storage process on a live data directory
// (RocksDB's LOCK file deleted first), a checkpoint into the live directory,
// a shard whose disk is below its floor.
TEST_F(HostileInputTest, OperatorMistakesAreRefusedAndHealthSaysWhy) {
  std::filesystem::remove(*work_ + "/data/LOCK");
  absl::StatusOr<Process> second =
      Process::Start({absl::StrCat(ZB_BINARY_DIR, "/zhibiao-storage"), "--listen=127.0.0.1:0",
                      absl::StrCat("--data_dir=", *work_, "/data")},
                     *work_ + "/second-storage.log");
  ASSERT_TRUE(second.ok()) << second.status();
  std::optional<int> exit_code = second->Wait(absl::Seconds(20));
  ASSERT_TRUE(exit_code.has_value()) << "a second storage process runs on the live data directory";
  EXPECT_EQ(*exit_code, 1);
  EXPECT_NE(
      testing::ReadFileOrEmpty(*work_ + "/second-storage.log").find("another storage process"),
      std::string::npos);

  auto storage = zhibiao::v1::StorageService::NewStub(storage_->channel());
  for (const std::string& inside : {*work_ + "/data/backup", *work_ + "/data/x/../../data/y"}) {
    zhibiao::v1::CheckpointRequest request;
    request.set_directory(inside);
    zhibiao::v1::CheckpointResponse response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    Authorize(&context, kAdminToken);
    grpc::Status status = storage->Checkpoint(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << inside;
    EXPECT_NE(status.error_message().find("inside the live data directory"), std::string::npos)
        << status.error_message();
  }

  // A shard whose disk has less free space than its floor starts, says
  // NOT_SERVING with the reason in its log, and refuses writes naming the flag.
  const std::string full_dir = *work_ + "/full";
  std::filesystem::create_directories(full_dir);
  auto full = ServiceProcess::Start("zhibiao-storage",
                                    {absl::StrCat("--data_dir=", full_dir, "/data"),
                                     "--min_free_disk_mb=1000000000", "--health_check_ms=100"},
                                    full_dir, "storage");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_FALSE((*full)->WaitServing("zhibiao.v1.StorageService", absl::Seconds(2)).ok());
  EXPECT_NE((*full)->ReadLog().find("health_not_serving"), std::string::npos) << (*full)->ReadLog();
  EXPECT_NE((*full)->ReadLog().find("--min_free_disk_mb"), std::string::npos);
  {
    auto full_stub = zhibiao::v1::StorageService::NewStub((*full)->channel());
    zhibiao::v1::Report report =
        pipeline::BuildReport(testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt")),
                              "xinxiang-2021.txt")
            .value();
    zhibiao::v1::PutReportRequest put;
    *put.mutable_report() = report;
    zhibiao::v1::PutReportResponse put_response;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    grpc::Status status = full_stub->PutReport(&context, put, &put_response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    EXPECT_NE(status.error_message().find("--min_free_disk_mb"), std::string::npos);
  }
  ExpectStillServing();
}

}  // namespace
}  // namespace zb
