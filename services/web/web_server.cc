#include "services/web/web_server.h"

#include <httplib.h>

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/logging.h"
#include "common/base/port_file.h"
#include "common/metrics/metrics.h"
#include "common/regions/regions.h"
#include "common/rpc/channels.h"
#include "common/webapi/answer_tables.h"
#include "common/webapi/http_status.h"
#include "common/webapi/table_files.h"

// The dashboard, compiled in (services/web/ui; ECharts from its npm package).
extern const char kZbWebIndexHtml[];
extern const char kZbWebAppJs[];
extern const char kZbWebStyleCss[];
extern const char kZbWebEchartsJs[];

namespace zb::web {
namespace {

constexpr char kJson[] = "application/json; charset=utf-8";
// Scripts only from this service; report text can never run (the page also
// escapes it). ECharts sets styles from script, so styles may be inline.
constexpr char kPagePolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: "
    "blob:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors "
    "'none'";

struct Asset {
  const char* path;
  const char* content_type;
  const char* bytes;
};
const Asset kAssets[] = {
    {"/assets/app.js", "text/javascript; charset=utf-8", kZbWebAppJs},
    {"/assets/style.css", "text/css; charset=utf-8", kZbWebStyleCss},
    {"/assets/echarts.min.js", "text/javascript; charset=utf-8", kZbWebEchartsJs},
};

void SendError(const absl::Status& status, httplib::Response* res) {
  res->status = webapi::HttpStatusFor(status.code());
  res->set_header("Cache-Control", "no-store");
  res->set_content(webapi::ErrorJson(status), kJson);
}

void SendJson(std::string body, httplib::Response* res) {
  res->status = 200;
  res->set_header("Cache-Control", "no-store");
  res->set_content(body, kJson);  // Debian's httplib takes no rvalue
}

// The call options a request asks for: its Authorization header and
// X-Zhibiao-Timeout-Ms (a positive integer; else the default).
absl::StatusOr<webapi::QueryJsonGateway::CallOptions> CallOptionsOf(const httplib::Request& req) {
  webapi::QueryJsonGateway::CallOptions call;
  call.authorization = req.get_header_value("Authorization");
  const std::string timeout = req.get_header_value("X-Zhibiao-Timeout-Ms");
  if (!timeout.empty()) {
    int ms = 0;
    if (!absl::SimpleAtoi(timeout, &ms) || ms <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("X-Zhibiao-Timeout-Ms must be a positive number of milliseconds, not ",
                       webapi::JsonQuote(timeout.substr(0, 40))));
    }
    call.timeout = absl::Milliseconds(ms);
  }
  return call;
}

// A JSON body is required to say so: a cross-site form cannot send one.
absl::Status CheckJsonBody(const httplib::Request& req) {
  if (req.body.empty()) return absl::OkStatus();
  const std::string type = req.get_header_value("Content-Type");
  if (!absl::StartsWith(absl::AsciiStrToLower(type), "application/json")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request body must be JSON with Content-Type: application/json (got ",
        type.empty() ? std::string("none") : webapi::JsonQuote(type.substr(0, 60)), ")"));
  }
  return absl::OkStatus();
}

std::string RegionsJson() {
  const regions::RegionTable& table = regions::RegionTable::Default();
  std::string json = "{";
  bool first = true;
  for (auto level : {zhibiao::v1::REGION_LEVEL_PROVINCE, zhibiao::v1::REGION_LEVEL_CITY,
                     zhibiao::v1::REGION_LEVEL_COUNTY}) {
    for (const zhibiao::v1::Region& r : table.AtLevel(level)) {
      absl::StrAppend(&json, first ? "" : ",", webapi::JsonQuote(r.code()), ":[",
                      webapi::JsonQuote(r.name()), ",", static_cast<int>(level), ",",
                      webapi::JsonQuote(r.province_code()), "]");
      first = false;
    }
  }
  return json + "}";
}

// Splits "HOST:PORT" (IPv6 hosts in brackets).
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen must be HOST:PORT, not \"", listen, "\""));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return std::make_pair(host, port);
}

}  // namespace

WebServer::WebServer(const WebOptions& options, std::shared_ptr<grpc::Channel> query,
                     const std::string& query_address)
    : options_(options),
      query_address_(query_address),
      query_(query),
      gateway_(query, {absl::StrCat("query ", query_address), options.default_timeout,
                       options.max_timeout}),
      regions_json_(RegionsJson()) {}

absl::StatusOr<std::unique_ptr<WebServer>> WebServer::Start(const WebOptions& options,
                                                            std::shared_ptr<grpc::Channel> query,
                                                            const std::string& query_address) {
  absl::StatusOr<std::pair<std::string, int>> address = SplitHostPort(options.listen);
  if (!address.ok()) return address.status();
  std::unique_ptr<WebServer> server(new WebServer(options, std::move(query), query_address));
  if (options.tls.cert.empty() != options.tls.key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!options.tls.cert.empty()) {
    const char* client_ca = options.tls.require_client_cert && !options.tls.ca.empty()
                                ? options.tls.ca.c_str()
                                : nullptr;
    auto https = std::make_unique<httplib::SSLServer>(options.tls.cert.c_str(),
                                                      options.tls.key.c_str(), client_ca);
    if (!https->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot serve HTTPS with --tls_cert=", options.tls.cert,
                       " and --tls_key=", options.tls.key));
    }
    server->http_ = std::move(https);
  } else {
    server->http_ = std::make_unique<httplib::Server>();
  }
  const int threads = std::max(1, options.threads);
  server->http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->http_->set_payload_max_length(options.max_request_bytes);
  server->http_->set_read_timeout(std::chrono::seconds(30));
  server->http_->set_write_timeout(std::chrono::seconds(30));
  server->http_->set_keep_alive_max_count(10000);
  // A JSON reply is small: send it now, not after the peer's delayed ACK (Nagle).
  server->http_->set_tcp_nodelay(true);
  server->AddRoutes();
  const auto& [host, port] = *address;
  if (port == 0) {
    server->port_ = server->http_->bind_to_any_port(host);
  } else {
    server->port_ = server->http_->bind_to_port(host, port) ? port : -1;
  }
  if (server->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  server->serve_thread_ = std::thread([raw = server.get()] { raw->http_->listen_after_bind(); });
  server->health_thread_ = std::thread([raw = server.get()] { raw->CheckHealthUntilStopped(); });
  if (!options.port_file.empty()) {
    if (absl::Status s = WritePortFile(options.port_file, server->port_); !s.ok()) {
      server->Stop();
      return s;
    }
  }
  return server;
}

WebServer::~WebServer() { Stop(); }

void WebServer::Stop() {
  if (stopped_.exchange(true)) return;
  stop_.Notify();
  if (http_) http_->stop();
  if (serve_thread_.joinable()) serve_thread_.join();
  if (health_thread_.joinable()) health_thread_.join();
}

void WebServer::CheckHealthUntilStopped() {
  bool first = true;
  do {
    absl::StatusOr<std::string> health = CheckHealth(
        query_, "zhibiao.v1.QueryService", std::min(options_.health_interval, absl::Seconds(2)));
    const bool now = health.ok() && *health == "SERVING";
    std::string reason;
    if (!now) {
      reason = health.ok()
                   ? absl::StrCat("query ", query_address_, " says ", *health)
                   : absl::StrCat("query ", query_address_, ": ", health.status().message());
    }
    if (first || now != serving_.load()) {
      if (now) {
        LogInfo("health_serving", {{"query", query_address_}});
      } else {
        LogWarning("health_not_serving", {{"reason", reason}});
      }
    }
    {
      absl::MutexLock lock(&reason_mu_);
      not_serving_reason_ = reason;
    }
    serving_.store(now);
    first = false;
  } while (!stop_.WaitForNotificationWithTimeout(options_.health_interval));
}

namespace {

// What each handler records: its route (a bounded set), status and time.
httplib::Server::Handler Timed(std::string route, httplib::Server::Handler handler) {
  return [route = std::move(route), handler = std::move(handler)](const httplib::Request& req,
                                                                  httplib::Response& res) {
    const absl::Time start = absl::Now();
    handler(req, res);
    const absl::Duration latency = absl::Now() - start;
    Metrics::Global().RecordHttp(route, res.status, latency);
    if (res.status >= 500) {
      LogWarning("http_failed", {{"path", req.path.substr(0, 120)},
                                 {"status", res.status},
                                 {"ms", absl::ToInt64Milliseconds(latency)}});
    } else {
      LogDebug("http", {{"path", req.path.substr(0, 120)},
                        {"status", res.status},
                        {"ms", absl::ToInt64Milliseconds(latency)}});
    }
  };
}

}  // namespace

void WebServer::AddRoutes() {
  SetCommonHandlers();
  AddPageRoutes();
  AddServiceInfoRoutes();
  AddQueryRoutes();
  // /v1/export/<Method>.csv|.xlsx: the request as a JSON body (POST) or as
  // ?request= (GET, for a plain link when no token is needed).
  auto exporter = [this](const httplib::Request& req, httplib::Response& res) { Export(req, res); };
  http_->Post(R"(/v1/export/([A-Za-z]+)\.(csv|xlsx))", Timed("/v1/export", exporter));
  http_->Get(R"(/v1/export/([A-Za-z]+)\.(csv|xlsx))", Timed("/v1/export", exporter));
}

void WebServer::SetCommonHandlers() {
  httplib::Server& http = *http_;
  // Every answer says what it is and is never sniffed into something else.
  http.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
  });
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    absl::Status status;
    if (res.status == 413) {
      status = absl::ResourceExhaustedError(
          absl::StrCat("the request body is larger than ", options_.max_request_bytes, " bytes"));
    } else if (res.status == 404) {
      status = absl::NotFoundError(absl::StrCat("no such page: ", req.method, " ",
                                                webapi::JsonQuote(req.path.substr(0, 120))));
    } else {
      status = absl::UnknownError(absl::StrCat("HTTP ", res.status));
    }
    const int code = res.status;
    res.set_content(webapi::ErrorJson(status), kJson);
    res.status = code;
  });
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendError(absl::InternalError("the web service failed on this request"), &res);
      });
}

void WebServer::AddPageRoutes() {
  httplib::Server& http = *http_;
  auto page = [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", kPagePolicy);
    res.set_header("Cache-Control", "no-cache");
    res.set_content(kZbWebIndexHtml, std::strlen(kZbWebIndexHtml), "text/html; charset=utf-8");
  };
  http.Get("/", Timed("/", page));
  http.Get("/index.html", Timed("/", page));
  for (const Asset& asset : kAssets) {
    http.Get(asset.path, Timed("/assets", [asset](const httplib::Request&, httplib::Response& res) {
               res.set_header("Cache-Control", "no-cache");
               res.set_content(asset.bytes, std::strlen(asset.bytes), asset.content_type);
             }));
  }
  http.Get("/favicon.ico",
           [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
}

void WebServer::AddServiceInfoRoutes() {
  httplib::Server& http = *http_;
  http.Get("/livez", Timed("/livez", [](const httplib::Request&, httplib::Response& res) {
             res.set_content("{\"status\":\"ALIVE\"}", kJson);
           }));
  http.Get("/healthz", Timed("/healthz", [this](const httplib::Request&, httplib::Response& res) {
             res.set_header("Cache-Control", "no-store");
             if (serving_.load()) {
               res.set_content("{\"status\":\"SERVING\"}", kJson);
               return;
             }
             absl::MutexLock lock(&reason_mu_);
             res.status = 503;
             res.set_content(absl::StrCat("{\"status\":\"NOT_SERVING\",\"reason\":",
                                          webapi::JsonQuote(not_serving_reason_), "}"),
                             kJson);
           }));
  http.Get("/v1/regions",
           Timed("/v1/regions", [this](const httplib::Request&, httplib::Response& res) {
             res.set_header("Cache-Control", "max-age=3600");
             res.set_content(regions_json_, kJson);
           }));
  http.Get("/v1/methods",
           Timed("/v1/methods", [this](const httplib::Request&, httplib::Response& res) {
             std::string json = "[";
             for (const std::string& m : gateway_.MethodNames()) {
               absl::StrAppend(&json, json.size() > 1 ? "," : "", webapi::JsonQuote(m));
             }
             SendJson(json + "]", &res);
           }));
}

void WebServer::AddQueryRoutes() {
  httplib::Server& http = *http_;
  // POST /v1/query/<Method>: the request in protobuf's JSON mapping.
  for (const std::string& method : gateway_.MethodNames()) {
    const std::string path = absl::StrCat("/v1/query/", method);
    http.Post(path,
              Timed(path, [this, method](const httplib::Request& req, httplib::Response& res) {
                absl::StatusOr<webapi::QueryJsonGateway::CallOptions> call = CallOptionsOf(req);
                if (!call.ok()) return SendError(call.status(), &res);
                if (absl::Status s = CheckJsonBody(req); !s.ok()) return SendError(s, &res);
                absl::StatusOr<std::string> reply = gateway_.CallJson(method, req.body, *call);
                if (!reply.ok()) return SendError(reply.status(), &res);
                SendJson(*std::move(reply), &res);
              }));
    http.Get(path, Timed(path, [method](const httplib::Request&, httplib::Response& res) {
               res.set_header("Allow", "POST");
               SendError(absl::InvalidArgumentError(absl::StrCat(
                             "POST the request of ", method, " as JSON; GET is not served here")),
                         &res);
               res.status = 405;
             }));
  }
  http.Post(R"(/v1/query/(.*))",
            Timed("/v1/query/unknown", [this](const httplib::Request& req, httplib::Response& res) {
              SendError(gateway_.ParseRequest(std::string(req.matches[1]), "").status(), &res);
            }));
}

void WebServer::Export(const httplib::Request& req, httplib::Response& res) {
  const std::string method = req.matches[1];
  const std::string format = req.matches[2];
  if (!gateway_.HasMethod(method))
    return SendError(gateway_.ParseRequest(method, "").status(), &res);
  if (!webapi::HasAnswerTable(method)) return SendError(webapi::NoAnswerTable(method), &res);
  absl::StatusOr<webapi::QueryJsonGateway::CallOptions> call = CallOptionsOf(req);
  if (!call.ok()) return SendError(call.status(), &res);
  if (absl::Status s = CheckJsonBody(req); !s.ok()) return SendError(s, &res);
  const std::string json = req.method == "GET" ? req.get_param_value("request") : req.body;
  auto request = gateway_.ParseRequest(method, json);
  if (!request.ok()) return SendError(request.status(), &res);
  auto reply = gateway_.Call(method, **request, *call);
  if (!reply.ok()) return SendError(reply.status(), &res);
  absl::StatusOr<webapi::Table> table =
      webapi::AnswerTable(method, **reply, regions::RegionTable::Default());
  if (!table.ok()) return SendError(table.status(), &res);
  std::string file_name = table->name;
  for (char& c : file_name) {
    if (c == ' ' || c == '/' || c == '"' || c == '\\') c = '_';
  }
  res.set_header("Cache-Control", "no-store");
  if (format == "csv") {
    const bool bom = req.get_param_value("bom") != "0";
    res.set_header("Content-Disposition",
                   absl::StrCat("attachment; filename=\"", file_name, ".csv\""));
    res.set_content(webapi::ToCsv(*table, bom), "text/csv; charset=utf-8");
    return;
  }
  absl::StatusOr<std::string> xlsx = webapi::ToXlsx(*table, options_.tmp_dir);
  if (!xlsx.ok()) return SendError(xlsx.status(), &res);
  res.set_header("Content-Disposition",
                 absl::StrCat("attachment; filename=\"", file_name, ".xlsx\""));
  res.set_content(*std::move(xlsx),
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
}

}  // namespace zb::web
