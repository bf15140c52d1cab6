// zhibiao-web's HTTP server: the dashboard (one page and its scripts, all
// compiled into the binary, nothing from the internet), the query API as
// JSON at POST /v1/query/<Method>, answers as CSV or XLSX at
// /v1/export/<Method>.csv|.xlsx, the region names at GET /v1/regions, and
// /healthz (query answers SERVING) and /livez. It holds no tokens: the
// caller's Authorization header goes to query, which decides.
#ifndef ZHIBIAO_SERVICES_WEB_WEB_SERVER_H_
#define ZHIBIAO_SERVICES_WEB_WEB_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/rpc/auth.h"
#include "common/webapi/json_gateway.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace zb::web {

struct WebOptions {
  std::string listen = "127.0.0.1:7480";  // HOST:PORT, port 0 picks one
  std::string port_file;                  // written once listening
  TlsFiles tls;                           // cert and key: HTTPS (with require_client_cert: mutual)
  size_t max_request_bytes = 256 << 10;   // larger bodies: 413
  int threads = 64;                       // connections served at once (keep-alive holds one)
  absl::Duration default_timeout =
      absl::Seconds(10);  // of a query call (X-Zhibiao-Timeout-Ms asks for other)
  absl::Duration max_timeout = absl::Seconds(60);
  absl::Duration health_interval = absl::Seconds(1);  // how often query's health is asked
  std::string tmp_dir = "/tmp";                       // XLSX files are written here, then removed
};

class WebServer {
 public:
  // Listens and serves on its own threads. UNAVAILABLE naming the address
  // when it cannot listen; INVALID_ARGUMENT for a bad address or TLS files.
  static absl::StatusOr<std::unique_ptr<WebServer>> Start(const WebOptions& options,
                                                          std::shared_ptr<grpc::Channel> query,
                                                          const std::string& query_address);
  ~WebServer();  // Stop()

  int port() const { return port_; }
  // Whether query said SERVING at the last check.
  bool serving() const { return serving_.load(); }
  // Finishes requests in flight and stops.
  void Stop();

 private:
  WebServer(const WebOptions& options, std::shared_ptr<grpc::Channel> query,
            const std::string& query_address);
  // Every route, in groups: what every answer carries (headers, errors),
  // the dashboard and its assets, health and the lists of regions and
  // methods, the JSON query API, the exports.
  void AddRoutes();
  void SetCommonHandlers();
  void AddPageRoutes();
  void AddServiceInfoRoutes();
  void AddQueryRoutes();
  // GET or POST /v1/export/<Method>.csv|.xlsx: the answer as a table file.
  void Export(const httplib::Request& req, httplib::Response& res);
  void CheckHealthUntilStopped();

  const WebOptions options_;
  const std::string query_address_;
  std::shared_ptr<grpc::Channel> query_;
  webapi::QueryJsonGateway gateway_;
  std::unique_ptr<httplib::Server> http_;
  std::string regions_json_;  // GET /v1/regions, built once
  int port_ = 0;
  std::thread serve_thread_;
  std::thread health_thread_;
  absl::Notification stop_;
  std::atomic<bool> serving_{false};
  std::atomic<bool> stopped_{false};
  mutable absl::Mutex reason_mu_;
  std::string not_serving_reason_ ABSL_GUARDED_BY(reason_mu_) = "query has not answered yet";
};

}  // namespace zb::web

#endif  // ZHIBIAO_SERVICES_WEB_WEB_SERVER_H_
