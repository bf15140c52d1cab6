#include "services/common/service_main.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/base/env_flags.h"
#include "common/base/logging.h"
#include "common/metrics/metrics.h"

ABSL_FLAG(std::string, listen, "",
          "HOST:PORT to serve on; port 0 picks one (default: storage 127.0.0.1:7410, ingest "
          "127.0.0.1:7401, query 127.0.0.1:7402, web 127.0.0.1:7480)");
ABSL_FLAG(std::string, port_file, "", "write the chosen port to this file once serving");
ABSL_FLAG(std::string, unix_socket, "",
          "also serve on this Unix domain socket path (clients on the same host: unix:PATH)");
ABSL_FLAG(int, shutdown_grace_ms, 4000, "how long SIGTERM waits for in-flight calls");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(int, slow_call_ms, 1000,
          "a call that succeeded gets an info line when it took this long (else a debug line; "
          "failed calls always get a warning line)");
ABSL_FLAG(std::string, health_listen, "",
          "also serve grpc.health.v1 alone, in plaintext, on this HOST:PORT (for probes that "
          "cannot speak TLS)");
ABSL_FLAG(int, health_check_ms, 1000,
          "how often the service checks itself (disk, writes, parsers) and sets its health");
ABSL_FLAG(std::string, health_port_file, "", "write the health port here once serving");
ABSL_FLAG(std::string, metrics_listen, "",
          "serve Prometheus metrics at http://HOST:PORT/metrics (empty: off)");
ABSL_FLAG(std::string, metrics_port_file, "", "write the metrics port here once serving");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: TLS on the service port");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle: verifies storage shards (ingest, query) and, with "
          "--tls_require_client_cert, clients");
ABSL_FLAG(bool, tls_require_client_cert, false,
          "mutual TLS: refuse clients without a certificate signed by --tls_ca");
ABSL_FLAG(std::string, tokens_file, "",
          "bearer tokens accepted, lines NAME SCOPES TOKEN (scopes ingest,query,admin,store); "
          "re-read on SIGHUP; empty: no token needed");
ABSL_FLAG(std::string, storage_token_file, "",
          "ingest and query: file holding the bearer token sent to storage; re-read on SIGHUP");

namespace zb::service {
namespace {

// What Init loads for the life of the process.
struct Security {
  TlsFiles tls;
  std::unique_ptr<TokenStore> tokens;
  std::unique_ptr<Authorizer> authorizer;
  std::shared_ptr<BearerToken> storage_token;
};

Security& SecurityState() {
  static auto* state = new Security();
  return *state;
}

void ReloadTokens() {
  Security& security = SecurityState();
  if (security.tokens != nullptr) {
    absl::Status reloaded = security.tokens->Reload();
    if (reloaded.ok()) {
      LogInfo("tokens_reloaded", {{"tokens", security.tokens->size()}});
    } else {
      LogError("tokens_reload_failed", {{"error", reloaded.ToString()}});
    }
  }
  if (security.storage_token != nullptr) {
    absl::Status reloaded = security.storage_token->Reload();
    if (!reloaded.ok()) LogError("storage_token_reload_failed", {{"error", reloaded.ToString()}});
  }
}

}  // namespace

const Authorizer* CallAuthorizer() { return SecurityState().authorizer.get(); }

ChannelOptions BackendChannelOptions(ChannelOptions base) {
  Security& security = SecurityState();
  if (security.tls.enabled()) {
    TlsFiles client = security.tls;
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        MakeChannelCredentials(client);
    if (!credentials.ok()) ExitWithUsageError(std::string(credentials.status().message()));
    base.credentials = *credentials;
  }
  return base;
}

ChannelOptions StorageChannelOptions(ChannelOptions base) {
  base = BackendChannelOptions(std::move(base));
  base.token = SecurityState().storage_token;
  return base;
}

const TlsFiles& ServiceTls() { return SecurityState().tls; }

std::string ListenAddress(const ServiceSpec& spec) {
  return absl::GetFlag(FLAGS_listen).empty() ? spec.default_listen : absl::GetFlag(FLAGS_listen);
}

std::string PortFile() { return absl::GetFlag(FLAGS_port_file); }

absl::Duration HealthCheckInterval() {
  return absl::Milliseconds(std::max(50, absl::GetFlag(FLAGS_health_check_ms)));
}

void WaitUntilTerminated() { WaitForTerminationSignal(&ReloadTokens); }

void ExitWithUsageError(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(2);
}

void Init(int argc, char** argv, const ServiceSpec& spec) {
  // Debian's Abseil is built with mutex deadlock detection on: a lock-order
  // graph update on every absl::Mutex lock. A debugging aid (the unit tests,
  // which do not come through here, keep it), not for serving.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  BlockTerminationSignals();
  ParseFlagsWithEnv(
      argc, argv,
      absl::StrCat(spec.usage,
                   "\nEvery flag can also be set as ZHIBIAO_<FLAG> in the environment."));
  SetLogService(spec.name);
  if (!SetMinLogLevelByName(absl::GetFlag(FLAGS_log_level))) {
    ExitWithUsageError("--log_level must be debug, info, warning or error");
  }
  Security& security = SecurityState();
  security.tls.cert = absl::GetFlag(FLAGS_tls_cert);
  security.tls.key = absl::GetFlag(FLAGS_tls_key);
  security.tls.ca = absl::GetFlag(FLAGS_tls_ca);
  security.tls.require_client_cert = absl::GetFlag(FLAGS_tls_require_client_cert);
  if (!absl::GetFlag(FLAGS_tokens_file).empty()) {
    absl::StatusOr<std::unique_ptr<TokenStore>> tokens =
        TokenStore::Load(absl::GetFlag(FLAGS_tokens_file));
    if (!tokens.ok()) ExitWithUsageError(std::string(tokens.status().message()));
    security.tokens = *std::move(tokens);
  }
  security.authorizer = std::make_unique<Authorizer>(security.tokens.get());
  if (!absl::GetFlag(FLAGS_storage_token_file).empty()) {
    absl::StatusOr<std::shared_ptr<BearerToken>> token =
        BearerToken::Load(absl::GetFlag(FLAGS_storage_token_file));
    if (!token.ok()) ExitWithUsageError(std::string(token.status().message()));
    security.storage_token = *std::move(token);
  }
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    absl::Status serving = Metrics::Global().Serve(absl::GetFlag(FLAGS_metrics_listen),
                                                   absl::GetFlag(FLAGS_metrics_port_file));
    if (!serving.ok()) ExitWithUsageError(std::string(serving.message()));
    LogInfo("metrics_started", {{"port", Metrics::Global().port()}});
  }
}

ServerOptions ServerOptionsFromFlags(const ServiceSpec& spec, int max_message_bytes,
                                     int max_send_message_bytes) {
  ServerOptions options;
  options.name = spec.name;
  options.listen = ListenAddress(spec);
  options.port_file = absl::GetFlag(FLAGS_port_file);
  options.unix_socket = absl::GetFlag(FLAGS_unix_socket);
  options.max_message_bytes = max_message_bytes;
  options.max_send_message_bytes = max_send_message_bytes;
  options.shutdown_grace = absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms));
  options.slow_call = absl::Milliseconds(absl::GetFlag(FLAGS_slow_call_ms));
  options.health_service_names = {spec.grpc_service};
  options.health_listen = absl::GetFlag(FLAGS_health_listen);
  options.health_port_file = absl::GetFlag(FLAGS_health_port_file);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(SecurityState().tls);
  if (!credentials.ok()) ExitWithUsageError(std::string(credentials.status().message()));
  options.credentials = *std::move(credentials);
  options.on_call_done = [](absl::string_view method, grpc::StatusCode code,
                            absl::Duration latency) {
    Metrics::Global().RecordCall(method, code, latency);
  };
  return options;
}

int ServeUntilTerminated(const ServerOptions& options, grpc::Service* service,
                         StorageShards* shards, const std::function<void()>& before_shutdown,
                         const SelfCheck& self_check) {
  auto server = Server::Start(options, {service});
  if (!server.ok()) {
    LogError("startup_failed", {{"error", server.status().ToString()}});
    return 1;
  }
  Server* raw_server = server->get();
  // SERVING once every storage shard has answered (see StorageShards) and
  // for as long as the service's own check passes; rechecked every
  // --health_check_ms, so it comes back by itself when the cause goes.
  auto shards_ready = std::make_shared<std::atomic<bool>>(shards == nullptr);
  if (shards != nullptr) {
    shards->StartMonitor(absl::Seconds(1), [shards_ready] { shards_ready->store(true); });
  }
  auto serving = std::make_shared<std::atomic<int>>(0);
  Metrics::Global().AddScrapeCallback([serving] {
    return std::vector<Metrics::Sample>{
        {"zhibiao_serving", "1 while health says SERVING (0: starting, or a self-check failed)",
         false, static_cast<double>(serving->load())}};
  });
  absl::Notification stop;
  const absl::Duration interval = HealthCheckInterval();
  std::thread health_loop([&] {
    bool first = true;
    bool was_serving = false;
    std::string last_reason;
    do {
      absl::Status check = absl::OkStatus();
      if (!shards_ready->load()) {
        check = absl::UnavailableError("waiting for every storage shard to answer");
      } else if (self_check) {
        check = self_check();
      }
      const bool now_serving = check.ok();
      if (first || now_serving != was_serving) {
        raw_server->SetServing(now_serving);
        serving->store(now_serving ? 1 : 0);
        if (now_serving) {
          if (!first) LogInfo("health_serving", {{"after", last_reason}});
        } else if (shards_ready->load()) {
          LogError("health_not_serving", {{"reason", check.ToString()}});
        }
      }
      if (!now_serving) last_reason = check.ToString();
      was_serving = now_serving;
      first = false;
    } while (!stop.WaitForNotificationWithTimeout(interval));
  });
  WaitForTerminationSignal(&ReloadTokens);
  stop.Notify();
  health_loop.join();
  if (shards != nullptr) shards->StopMonitor();
  if (before_shutdown) before_shutdown();
  raw_server->Shutdown();
  return 0;
}

}  // namespace zb::service
