// The suite as operators run it on an intranet (issue 7): TLS on every
// service port with mutual TLS to storage, scoped bearer tokens checked on
// every call and re-read on SIGHUP, health without a token on a plaintext
// health port, audit lines for writes and deletes, a request id that ingest
// passes on to storage, and Prometheus counters that move. Certificates are
// made by the test with the openssl command line.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/process/process.h"
#include "common/rpc/auth.h"
#include "common/rpc/channels.h"
#include "common/testing/fixtures.h"
#include "gtest/gtest.h"
#include "tests/testing/service_process.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb {
namespace {

constexpr char kIngestServiceToken[] = "storage-token-of-ingest-0001";
constexpr char kQueryServiceToken[] = "storage-token-of-query-00002";
constexpr char kAdminToken[] = "admin-token-of-operators-003";
constexpr char kClientToken[] = "client-token-ingest-query-04";
constexpr char kReaderToken[] = "reader-token-query-only-0005";
constexpr char kRotatedToken[] = "client-token-after-sighup-06";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int ReadPort(const std::string& path) {
  absl::StatusOr<int> port = WaitForPortFile(path, absl::Seconds(30));
  return port.ok() ? *port : 0;
}

class SecureSuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = testing::MakeTempDir("secure");
    MakeCertificates();
    Write(work_ + "/storage.tokens",
          absl::StrCat("# services and operators that may call storage\n", "ingest-svc store ",
                       kIngestServiceToken, "\nquery-svc query ", kQueryServiceToken,
                       "\nops admin ", kAdminToken, "\n"));
    Write(work_ + "/client.tokens", absl::StrCat("portal ingest,query ", kClientToken,
                                                 "\nanalyst query ", kReaderToken, "\n"));
    Write(work_ + "/ingest.token", absl::StrCat(kIngestServiceToken, "\n"));
    Write(work_ + "/query.token", absl::StrCat(kQueryServiceToken, "\n"));

    const std::vector<std::string> tls = {absl::StrCat("--tls_cert=", work_, "/server.pem"),
                                          absl::StrCat("--tls_key=", work_, "/server.key"),
                                          absl::StrCat("--tls_ca=", work_, "/ca.pem")};
    std::vector<std::string> storage_args = tls;
    storage_args.insert(
        storage_args.end(),
        {"--tls_require_client_cert", absl::StrCat("--tokens_file=", work_, "/storage.tokens"),
         absl::StrCat("--data_dir=", work_, "/data"), "--health_listen=127.0.0.1:0",
         absl::StrCat("--health_port_file=", work_, "/storage.health"),
         "--metrics_listen=127.0.0.1:0",
         absl::StrCat("--metrics_port_file=", work_, "/storage.metrics")});
    auto storage =
        testing::ServiceProcess::Start("zhibiao-storage", storage_args, work_, "storage");
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
    storage_health_port_ = ReadPort(work_ + "/storage.health");
    storage_metrics_port_ = ReadPort(work_ + "/storage.metrics");

    auto stateless_args = [&](const std::string& name, const std::string& token_file) {
      std::vector<std::string> args = tls;
      args.insert(args.end(), {absl::StrCat("--storage=", storage_->address()),
                               absl::StrCat("--storage_token_file=", work_, "/", token_file),
                               absl::StrCat("--tokens_file=", work_, "/client.tokens"),
                               "--health_listen=127.0.0.1:0",
                               absl::StrCat("--health_port_file=", work_, "/", name, ".health"),
                               "--metrics_listen=127.0.0.1:0",
                               absl::StrCat("--metrics_port_file=", work_, "/", name, ".metrics")});
      return args;
    };
    auto ingest = testing::ServiceProcess::Start(
        "zhibiao-ingest", stateless_args("ingest", "ingest.token"), work_, "ingest");
    ASSERT_TRUE(ingest.ok()) << ingest.status();
    ingest_ = *std::move(ingest);
    auto query = testing::ServiceProcess::Start(
        "zhibiao-query", stateless_args("query", "query.token"), work_, "query");
    ASSERT_TRUE(query.ok()) << query.status();
    query_ = *std::move(query);
    ingest_health_port_ = ReadPort(work_ + "/ingest.health");
    ingest_metrics_port_ = ReadPort(work_ + "/ingest.metrics");
    query_health_port_ = ReadPort(work_ + "/query.health");
    // Every service SERVING, asked on the plaintext health ports (no token).
    for (int port : {storage_health_port_, ingest_health_port_, query_health_port_}) {
      ASSERT_GT(port, 0);
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      absl::StatusOr<std::string> health;
      do {
        health = CheckHealth(MakeChannel(absl::StrCat("127.0.0.1:", port)), "", absl::Seconds(1));
        if (health.ok() && *health == "SERVING") break;
        absl::SleepFor(absl::Milliseconds(100));
      } while (absl::Now() < deadline);
      ASSERT_TRUE(health.ok() && *health == "SERVING")
          << "port " << port << ": " << (health.ok() ? *health : health.status().ToString());
    }
  }

  void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

  void Openssl(const std::string& args) {
    const std::string command =
        absl::StrCat("cd ", work_, " && openssl ", args, " >>openssl.log 2>&1");
    ASSERT_EQ(std::system(command.c_str()), 0) << command << "\n"
                                               << ReadAll(work_ + "/openssl.log");
  }

  // A CA, a server certificate for 127.0.0.1 and localhost, and a client
  // certificate for the services' calls to storage, all signed by the CA.
  void MakeCertificates() {
    Openssl(
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "
        "/CN=zhibiao-test-ca");
    Write(work_ + "/san.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Openssl("req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost");
    Openssl(
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile san.cnf");
    Openssl("req -newkey rsa:2048 -nodes -keyout other.key -out other.csr -subj /CN=stranger");
    Openssl("x509 -req -in other.csr -signkey other.key -out other.pem -days 2");
  }

  // A TLS channel verifying the services against the test CA; with `client_cert`
  // it also presents the server certificate as a client certificate. With
  // `connect` it is connected (handshake done) before it is returned.
  std::shared_ptr<grpc::Channel> Tls(const std::string& address, const std::string& token,
                                     bool client_cert = false, bool connect = true) {
    TlsFiles files;
    files.ca = work_ + "/ca.pem";
    if (client_cert) {
      files.cert = work_ + "/server.pem";
      files.key = work_ + "/server.key";
    }
    ChannelOptions options;
    auto credentials = MakeChannelCredentials(files);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    options.credentials = *credentials;
    if (!token.empty()) options.token = BearerToken::Fixed(token);
    auto channel = MakeChannel(address, options);
    if (connect) {
      EXPECT_TRUE(WaitForConnection(channel, absl::Seconds(20)).ok()) << address;
    }
    return channel;
  }

  grpc::Status Ingest(const std::shared_ptr<grpc::Channel>& channel, const std::string& request_id,
                      zhibiao::v1::IngestResponse* response) {
    auto stub = zhibiao::v1::IngestService::NewStub(channel);
    zhibiao::v1::IngestRequest request;
    request.set_content(testing::ReadFileOrEmpty(testing::TestDataPath("xinxiang-2021.txt")));
    request.set_source_name("xinxiang-2021.txt");
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(20));
    if (!request_id.empty()) context.AddMetadata("x-request-id", request_id);
    return stub->Ingest(&context, request, response);
  }

  std::string work_;
  std::unique_ptr<testing::ServiceProcess> storage_, ingest_, query_;
  int storage_health_port_ = 0, ingest_health_port_ = 0, query_health_port_ = 0;
  int storage_metrics_port_ = 0, ingest_metrics_port_ = 0;
};

TEST_F(SecureSuiteTest, CredentialsAreCheckedOnEveryPortAndTokensReloadOnSighup) {
  zhibiao::v1::IngestResponse response;
  // Plaintext to a TLS port: no connection.
  EXPECT_EQ(Ingest(MakeChannel(ingest_->address()), "", &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // TLS without a token, with an unknown one, with one that lacks the scope.
  grpc::Status s = Ingest(Tls(ingest_->address(), ""), "", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(
      Ingest(Tls(ingest_->address(), "not-a-token-anyone-issued"), "", &response).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  s = Ingest(Tls(ingest_->address(), kReaderToken), "", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "\"analyst\"")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "\"ingest\"")) << s.error_message();
  // The right token: stored through ingest (TLS) -> storage (mutual TLS, ingest's token).
  s = Ingest(Tls(ingest_->address(), kClientToken), "req-secure-42", &response);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << ingest_->ReadLog() << storage_->ReadLog();
  const std::string id = response.report_id();

  // Health answers over TLS without a token.
  absl::StatusOr<std::string> health =
      CheckHealth(Tls(query_->address(), ""), "", absl::Seconds(5));
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, "SERVING");

  // Query reads with a query-only token; not without one.
  auto query = [&](const std::string& token) {
    auto stub = zhibiao::v1::QueryService::NewStub(Tls(query_->address(), token));
    zhibiao::v1::GetReportRequest request;
    request.set_report_id(id);
    zhibiao::v1::GetReportResponse got;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(10));
    return stub->GetReport(&context, request, &got);
  };
  EXPECT_TRUE(query(kReaderToken).ok());
  EXPECT_EQ(query("").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Storage demands a client certificate signed by the CA, then a token
  // with the scope: query's token may read but not delete or checkpoint.
  auto storage_stats = [&](const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = zhibiao::v1::StorageService::NewStub(channel);
    zhibiao::v1::GetStatsResponse stats;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(5));
    return stub->GetStats(&context, zhibiao::v1::GetStatsRequest(), &stats);
  };
  EXPECT_EQ(storage_stats(Tls(storage_->address(), kAdminToken, false, false)).error_code(),
            grpc::StatusCode::UNAVAILABLE);  // no client certificate: no handshake
  EXPECT_TRUE(storage_stats(Tls(storage_->address(), kAdminToken, true)).ok());
  EXPECT_EQ(storage_stats(Tls(storage_->address(), kQueryServiceToken, true)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  {
    auto stub =
        zhibiao::v1::StorageService::NewStub(Tls(storage_->address(), kQueryServiceToken, true));
    zhibiao::v1::DeleteReportRequest request;
    request.set_report_id(id);
    zhibiao::v1::DeleteReportResponse deleted;
    grpc::ClientContext context;
    SetTimeout(&context, absl::Seconds(5));
    EXPECT_EQ(stub->DeleteReport(&context, request, &deleted).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  // Rotate the client tokens: after SIGHUP the new token works, the old one does not.
  Write(work_ + "/client.tokens", absl::StrCat("portal ingest,query ", kRotatedToken, "\n"));
  ASSERT_TRUE(ingest_->Signal(SIGHUP));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!absl::StrContains(ingest_->ReadLog(), "tokens_reloaded") && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(Ingest(Tls(ingest_->address(), kClientToken), "", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  s = Ingest(Tls(ingest_->address(), kRotatedToken), "", &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.outcome(), zhibiao::v1::INGEST_OUTCOME_UNCHANGED);

  // Audit lines name who wrote, what and the result; the request id crossed over.
  const std::string storage_log = storage_->ReadLog();
  EXPECT_TRUE(
      absl::StrContains(storage_log, absl::StrCat("\"event\":\"audit\",\"who\":\"ingest-svc\","
                                                  "\"action\":\"put_report\",\"report_id\":\"",
                                                  id, "\",\"result\":\"PUT_OUTCOME_STORED\"")))
      << storage_log;
  EXPECT_TRUE(absl::StrContains(storage_log, "\"request_id\":\"req-secure-42\"")) << storage_log;
  EXPECT_TRUE(absl::StrContains(ingest_->ReadLog(), "\"event\":\"audit\",\"who\":\"portal\""));
}

TEST_F(SecureSuiteTest, MetricsCountCallsIngestsAndStorageFigures) {
  const std::string before = testing::HttpGetMetrics(ingest_metrics_port_);
  ASSERT_FALSE(before.empty()) << "no /metrics on port " << ingest_metrics_port_;
  const std::string ok_ingests =
      "zhibiao_rpc_requests_total{code=\"OK\",method=\"/zhibiao.v1.IngestService/Ingest\"}";
  const std::string denied =
      "zhibiao_rpc_requests_total{code=\"UNAUTHENTICATED\",method=\"/zhibiao.v1.IngestService/"
      "Ingest\"}";
  const double ok_before = std::max(0.0, testing::MetricSample(before, ok_ingests));

  zhibiao::v1::IngestResponse response;
  ASSERT_TRUE(Ingest(Tls(ingest_->address(), kClientToken), "", &response).ok());
  EXPECT_EQ(Ingest(Tls(ingest_->address(), ""), "", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const std::string after = testing::HttpGetMetrics(ingest_metrics_port_);
  EXPECT_EQ(testing::MetricSample(after, ok_ingests), ok_before + 1) << after;
  EXPECT_GE(testing::MetricSample(after, denied), 1) << after;
  EXPECT_GE(testing::MetricSample(after, "zhibiao_reports_ingested_total{outcome=\"stored\"}"), 1)
      << after;
  EXPECT_GE(testing::MetricSample(after, "zhibiao_indicators_ingested_total"), 70) << after;
  EXPECT_GE(
      testing::MetricSample(
          after, "zhibiao_rpc_latency_seconds_count{method=\"/zhibiao.v1.IngestService/Ingest\"}"),
      2)
      << after;

  const std::string storage = testing::HttpGetMetrics(storage_metrics_port_);
  EXPECT_GE(testing::MetricSample(storage,
                                  "zhibiao_rpc_requests_total{code=\"OK\",method=\"/"
                                  "zhibiao.v1.StorageService/PutReport\"}"),
            1)
      << storage;
  EXPECT_GE(testing::MetricSample(storage, "zhibiao_storage_reports "), 1) << storage;
  EXPECT_GE(testing::MetricSample(storage, "zhibiao_storage_block_cache_hit_ratio "), 0) << storage;
  EXPECT_GE(testing::MetricSample(storage, "zhibiao_storage_write_stall_seconds_total "), 0)
      << storage;
  EXPECT_GE(testing::MetricSample(storage, "zhibiao_storage_compaction_bytes_written_total "), 0)
      << storage;
  EXPECT_GE(testing::MetricSample(storage, "zhibiao_storage_disk_bytes "), 0) << storage;
}

}  // namespace
}  // namespace zb
