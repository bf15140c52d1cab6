// zhibiao-web: the analysts' dashboard and the query API as JSON over HTTP.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "common/base/logging.h"
#include "common/metrics/metrics.h"
#include "common/rpc/channels.h"
#include "services/common/service_main.h"
#include "services/web/web_server.h"

ABSL_FLAG(std::string, query, "127.0.0.1:7402", "the query service (any gRPC target)");
ABSL_FLAG(int, query_timeout_ms, 10000,
          "deadline of a query call (a request may ask for another with X-Zhibiao-Timeout-Ms)");
ABSL_FLAG(int, max_query_timeout_ms, 60000, "the longest deadline a request may ask for");
ABSL_FLAG(int, max_request_kb, 256, "largest request body in KiB (413 beyond)");
ABSL_FLAG(int, max_message_mb, 256,
          "largest reply of query in MiB (GetReport answers a whole report)");
ABSL_FLAG(int, http_threads, 64,
          "HTTP connections served at once (a kept-alive connection holds its thread until it "
          "has been idle 5 s; more connections wait)");
ABSL_FLAG(std::string, tmp_dir, "/tmp", "where XLSX downloads are written before they are sent");

int main(int argc, char** argv) {
  const zb::service::ServiceSpec spec = {
      "web", "127.0.0.1:7480",
      "zhibiao-web: the dashboard and the query API as JSON over HTTP (POST /v1/query/<Method>).",
      "zhibiao.v1.QueryService"};
  zb::service::Init(argc, argv, spec);
  const std::string query_address = absl::GetFlag(FLAGS_query);
  zb::ChannelOptions channel_options;
  channel_options.max_message_bytes = absl::GetFlag(FLAGS_max_message_mb) << 20;
  std::shared_ptr<grpc::Channel> query =
      zb::MakeChannel(query_address, zb::service::BackendChannelOptions(channel_options));

  zb::web::WebOptions options;
  options.listen = zb::service::ListenAddress(spec);
  options.port_file = zb::service::PortFile();
  options.tls = zb::service::ServiceTls();
  options.max_request_bytes = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_max_request_kb)))
                              << 10;
  options.threads = absl::GetFlag(FLAGS_http_threads);
  options.default_timeout = absl::Milliseconds(std::max(1, absl::GetFlag(FLAGS_query_timeout_ms)));
  options.max_timeout = absl::Milliseconds(std::max(1, absl::GetFlag(FLAGS_max_query_timeout_ms)));
  options.health_interval = zb::service::HealthCheckInterval();
  options.tmp_dir = absl::GetFlag(FLAGS_tmp_dir);
  auto server = zb::web::WebServer::Start(options, query, query_address);
  if (!server.ok()) {
    zb::LogError("startup_failed", {{"error", server.status().ToString()}});
    return 1;
  }
  zb::LogInfo("serving", {{"port", (*server)->port()},
                          {"query", query_address},
                          {"https", !options.tls.cert.empty()}});
  zb::Metrics::Global().AddScrapeCallback([raw = server->get()] {
    return std::vector<zb::Metrics::Sample>{
        {"zhibiao_serving", "1 while query answers SERVING (the web service's /healthz)", false,
         raw->serving() ? 1.0 : 0.0}};
  });
  zb::service::WaitUntilTerminated();
  zb::LogInfo("stopping");
  (*server)->Stop();
  zb::Metrics::Global().StopServing();
  zb::LogInfo("exited", {{"code", 0}});
  return 0;
}
