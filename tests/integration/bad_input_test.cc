// Every kind of bad document sent to the real ingest binary: each gets the
// right status and a message that names the problem, and the service keeps
// serving afterwards.
#include "absl/strings/str_cat.h"
#include "common/rpc/channels.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"
#include "tests/testing/service_process.h"
#include "zhibiao/v1/ingest.grpc.pb.h"

namespace zb {
namespace {

struct BadInput {
  const char* name;
  std::string content;
  grpc::StatusCode code;
  const char* message_part;
};

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = new std::string(testing::MakeTempDir("bad_input"));
    // No storage is needed for Parse; ingest still needs an address.
    auto ingest = testing::ServiceProcess::Start(
        "zhibiao-ingest", {"--storage=127.0.0.1:1", "--max_document_mb=1"}, *work_, "ingest");
    ASSERT_TRUE(ingest.ok()) << ingest.status();
    ingest_ = ingest->release();
    // Never SERVING (no storage), so connect without waiting for health.
    ASSERT_TRUE(WaitForConnection(ingest_->channel(), absl::Seconds(20)).ok());
  }
  static void TearDownTestSuite() {
    delete ingest_;
    delete work_;
  }

  grpc::Status Parse(const std::string& content, zhibiao::v1::ParseResponse* response) {
    auto stub = zhibiao::v1::IngestService::NewStub(ingest_->channel());
    zhibiao::v1::ParseRequest request;
    request.set_content(content);
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(30));
    return stub->Parse(&context, request, response);
  }

  static std::string* work_;
  static testing::ServiceProcess* ingest_;
};

std::string* BadInputTest::work_ = nullptr;
testing::ServiceProcess* BadInputTest::ingest_ = nullptr;

TEST_F(BadInputTest, EachIsAnsweredPreciselyAndTheServiceKeepsServing) {
  const std::string sample = testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt"));
  const std::string pdf = testing::ReadFileOrEmpty(testing::SharedFixturePath("xinxiang-2021.pdf"));
  std::string random_binary;
  for (int i = 0; i < 4096; ++i) random_binary.push_back(static_cast<char>((i * 131 + 7) % 251));
  std::string broken_utf8 = sample;
  broken_utf8[sample.size() / 2] = '\xFF';
  std::vector<BadInput> inputs = {
      {"empty body", "", grpc::StatusCode::INVALID_ARGUMENT, "empty document"},
      {"white space only", " \n\t \r\n\xE3\x80\x80\n", grpc::StatusCode::INVALID_ARGUMENT,
       "only white space"},
      {"random binary", random_binary, grpc::StatusCode::INVALID_ARGUMENT, "binary"},
      {"invalid UTF-8 in a UTF-8 document", broken_utf8, grpc::StatusCode::INVALID_ARGUMENT,
       "invalid UTF-8 at byte offset"},
      {"encrypted PDF", testing::ReadFileOrEmpty(testing::TestDataPath("encrypted.pdf")),
       grpc::StatusCode::INVALID_ARGUMENT, "encrypted PDF"},
      {"zip that is not DOCX", testing::ReadFileOrEmpty(testing::TestDataPath("not-docx.zip")),
       grpc::StatusCode::INVALID_ARGUMENT, "not DOCX"},
      {"body over the size limit", std::string(1536 * 1024, 'x'),
       grpc::StatusCode::RESOURCE_EXHAUSTED, "over the limit"},
      {"HTML with no article text",
       "<html><head><title>首页</title></head><body><div class=\"nav\">首页 政务公开</div>"
       "<div class=\"footer\">豫ICP备05012345号 浏览次数:3521</div></body></html>",
       grpc::StatusCode::INVALID_ARGUMENT, "no article text"},
      {"legacy DOC", std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(512, '\0'),
       grpc::StatusCode::INVALID_ARGUMENT, "legacy Word/WPS"},
  };
  if (!pdf.empty()) {
    inputs.push_back({"truncated PDF", pdf.substr(0, pdf.size() / 3),
                      grpc::StatusCode::INVALID_ARGUMENT, "truncated PDF"});
  }
  for (const BadInput& input : inputs) {
    SCOPED_TRACE(input.name);
    zhibiao::v1::ParseResponse response;
    grpc::Status status = Parse(input.content, &response);
    EXPECT_EQ(status.error_code(), input.code) << status.error_message();
    EXPECT_NE(status.error_message().find(input.message_part), std::string::npos)
        << status.error_message();
    // Still serving: a good document parses right after.
    zhibiao::v1::ParseResponse good;
    ASSERT_TRUE(Parse(sample, &good).ok());
    EXPECT_EQ(good.report().meta().region().code(), "410700");
  }
}

}  // namespace
}  // namespace zb
