#include "common/rpc/server.h"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <utility>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/logging.h"
#include "common/base/port_file.h"

namespace zb {
namespace {

// Logs finished calls (ServerOptions::slow_call says which): method, status
// code, latency, peer. Health checks and reflection are not logged (probes
// would drown the log).
// Also counts the calls in flight, so shutdown can wait for exactly those.
class RequestLogInterceptor : public grpc::experimental::Interceptor {
 public:
  RequestLogInterceptor(grpc::experimental::ServerRpcInfo* info, std::atomic<int>* in_flight,
                        const ServerOptions* options)
      : info_(info), start_(absl::Now()), in_flight_(in_flight), options_(options) {
    in_flight_->fetch_add(1);
  }
  ~RequestLogInterceptor() override { in_flight_->fetch_sub(1); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // A request whose bytes do not parse reaches no handler: gRPC answers
    // UNIMPLEMENTED with no message. Say what is wrong instead.
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      request_undecodable_ = true;
    }
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (request_undecodable_ && status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
        status = grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("the request is not a valid protobuf message for ", info_->method()));
        methods->ModifySendStatus(status);
      }
      const absl::Duration latency = absl::Now() - start_;
      if (options_->on_call_done)
        options_->on_call_done(info_->method(), status.error_code(), latency);
      const LogLevel level = !status.ok()                     ? LogLevel::kWarning
                             : latency >= options_->slow_call ? LogLevel::kInfo
                                                              : LogLevel::kDebug;
      if (LogEnabled(level)) {
        grpc::ServerContextBase* context = info_->server_context();
        const std::string peer = context != nullptr ? context->peer() : "";
        const std::string request_id = context != nullptr ? IncomingRequestId(*context) : "";
        const double ms = absl::ToDoubleMilliseconds(latency);
        if (status.ok()) {
          Log(level, "rpc",
              {{"method", info_->method()},
               {"code", "OK"},
               {"latency_ms", ms},
               {"peer", peer},
               {"request_id", request_id}});
        } else {
          Log(level, "rpc",
              {{"method", info_->method()},
               {"code", static_cast<int>(status.error_code())},
               {"message", status.error_message()},
               {"latency_ms", ms},
               {"peer", peer},
               {"request_id", request_id}});
        }
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  absl::Time start_;
  std::atomic<int>* in_flight_;
  const ServerOptions* options_;
  bool request_undecodable_ = false;
};

class RequestLogInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RequestLogInterceptorFactory(std::atomic<int>* in_flight, ServerOptions options)
      : in_flight_(in_flight), options_(std::move(options)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* method = info->method();
    if (method == nullptr || absl::StartsWith(method, "/grpc.health.") ||
        absl::StartsWith(method, "/grpc.reflection.")) {
      return nullptr;
    }
    return new RequestLogInterceptor(info, in_flight_, &options_);
  }

 private:
  std::atomic<int>* in_flight_;
  const ServerOptions options_;  // the server owns this factory: it outlives every call
};

std::string HostOf(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      const std::vector<grpc::Service*>& services) {
  if (options.listen.empty() || options.listen.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen must be HOST:PORT, got \"", options.listen, "\""));
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(
      options.listen,
      options.credentials != nullptr ? options.credentials : grpc::InsecureServerCredentials(),
      &port);
  if (!options.unix_socket.empty()) {
    std::error_code ec;
    if (std::filesystem::is_socket(options.unix_socket, ec)) {
      std::filesystem::remove(options.unix_socket, ec);  // left by a process that died
    }
    builder.AddListeningPort(
        absl::StrCat("unix:", options.unix_socket),
        options.credentials != nullptr ? options.credentials : grpc::InsecureServerCredentials());
  }
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes > 0 ? options.max_send_message_bytes
                                                                   : options.max_message_bytes);
  // Keepalive: detect dead peers on idle connections; tolerate client pings.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  for (grpc::Service* service : services) builder.RegisterService(service);

  auto in_flight = std::make_unique<std::atomic<int>>(0);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<RequestLogInterceptorFactory>(in_flight.get(), options));
  builder.experimental().SetInterceptorCreators(std::move(creators));

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen, " (address in use or not local?)"));
  }
  auto result =
      std::unique_ptr<Server>(new Server(options, std::move(server), port, std::move(in_flight)));
  if (!options.health_listen.empty()) {
    if (absl::Status health = StartHealthServer(result.get()); !health.ok()) {
      result->Shutdown();
      return health;
    }
  }
  result->SetServing(false);
  if (!options.port_file.empty()) {
    absl::Status written = WritePortFile(options.port_file, port);
    if (!written.ok()) {
      result->Shutdown();
      return written;
    }
  }
  LogInfo("server_started", {{"name", options.name},
                             {"address", result->address()},
                             {"unix_socket", options.unix_socket}});
  return result;
}

absl::Status Server::StartHealthServer(Server* server) {
  const ServerOptions& options = server->options_;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(), &port);
  server->health_server_ = builder.BuildAndStart();
  if (server->health_server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on --health_listen ", options.health_listen));
  }
  if (!options.health_port_file.empty()) {
    if (absl::Status s = WritePortFile(options.health_port_file, port); !s.ok()) return s;
  }
  LogInfo("health_server_started", {{"name", options.name}, {"port", port}});
  return absl::OkStatus();
}

std::string IncomingRequestId(const grpc::ServerContextBase& context) {
  auto it = context.client_metadata().find("x-request-id");
  if (it == context.client_metadata().end() || it->second.size() > 128) return "";
  return std::string(it->second.data(), it->second.size());
}

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  std::string incoming = IncomingRequestId(context);
  if (!incoming.empty()) return incoming;
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = absl::Uniform<uint64_t>(absl::BitGen());
  return absl::StrCat(
      absl::Hex(salt ^ (counter.fetch_add(1) * 0x9E3779B97F4A7C15ULL), absl::kZeroPad16));
}

Server::Server(ServerOptions options, std::unique_ptr<grpc::Server> server, int port,
               std::unique_ptr<std::atomic<int>> in_flight)
    : options_(std::move(options)),
      server_(std::move(server)),
      port_(port),
      in_flight_(std::move(in_flight)) {
  address_ = absl::StrCat(HostOf(options_.listen), ":", port_);
}

Server::~Server() { Shutdown(); }

void Server::SetServing(bool serving) {
  if (shut_down_) return;
  for (grpc::Server* s : {server_.get(), health_server_.get()}) {
    if (s == nullptr) continue;
    grpc::HealthCheckServiceInterface* health = s->GetHealthCheckService();
    if (health == nullptr) continue;
    health->SetServingStatus(serving);
    for (const std::string& name : options_.health_service_names) {
      health->SetServingStatus(name, serving);
    }
  }
}

void Server::Shutdown() {
  if (shut_down_.exchange(true)) return;
  LogInfo("server_draining", {{"name", options_.name},
                              {"grace_ms", absl::ToInt64Milliseconds(options_.shutdown_grace)}});
  for (grpc::Server* s : {server_.get(), health_server_.get()}) {
    if (s == nullptr) continue;
    if (grpc::HealthCheckServiceInterface* health = s->GetHealthCheckService()) {
      health->Shutdown();  // every service NOT_SERVING from now on
    }
  }
  // Let the calls in flight finish, up to the grace period; then stop. (gRPC's
  // own Shutdown(deadline) waits out the whole deadline while clients hold
  // idle connections, so the drain is done here.)
  const absl::Time deadline = absl::Now() + options_.shutdown_grace;
  while (in_flight_->load() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  const int abandoned = in_flight_->load();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(50)));
  server_->Wait();
  if (health_server_ != nullptr) {
    health_server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(50)));
    health_server_->Wait();
  }
  LogInfo("server_stopped", {{"name", options_.name}, {"cancelled_calls", abandoned}});
}

std::shared_ptr<grpc::Channel> Server::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal(const std::function<void()>& on_hangup) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  int signal_number = 0;
  while (true) {
    if (sigwait(&set, &signal_number) != 0) continue;
    if (signal_number != SIGHUP) break;
    LogInfo("signal_received", {{"signal", "SIGHUP"}});
    if (on_hangup) on_hangup();
  }
  LogInfo("signal_received", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  return signal_number;
}

}  // namespace zb
