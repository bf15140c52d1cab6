// What every service binary does around its service: the common flags
// (--listen, --port_file, --shutdown_grace_ms, --log_level, TLS, tokens,
// health and metrics ports, each also ZHIBIAO_<FLAG>), signal handling
// (SIGHUP re-reads the token files), logging, metrics and the server options.
// Linked only into the service binaries (flags belong to binaries).
#ifndef ZHIBIAO_SERVICES_COMMON_SERVICE_MAIN_H_
#define ZHIBIAO_SERVICES_COMMON_SERVICE_MAIN_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "common/rpc/auth.h"
#include "common/rpc/channels.h"
#include "common/rpc/server.h"
#include "common/rpc/storage_shards.h"

namespace zb::service {

struct ServiceSpec {
  std::string name;            // "storage", "ingest", "query", "web": log lines and messages
  std::string default_listen;  // used when --listen is not given
  std::string usage;           // first line of --help
  std::string grpc_service;    // full name for health, e.g. "zhibiao.v1.QueryService"
};

// Blocks SIGTERM, SIGINT and SIGHUP (before any thread starts), parses flags
// with ZHIBIAO_* overrides, sets up logging, loads certificates and tokens
// and starts the metrics endpoint. Exits with status 2 on a bad common flag
// or an unreadable certificate or tokens file.
void Init(int argc, char** argv, const ServiceSpec& spec);

// Checks every call's bearer token when --tokens_file is set (else allows all).
const Authorizer* CallAuthorizer();

// `base` with the TLS credentials (--tls_ca, and --tls_cert/--tls_key as the
// client certificate) and the token (--storage_token_file) for calls to
// storage.
ChannelOptions StorageChannelOptions(ChannelOptions base);

// `base` with the TLS credentials only: for calls that carry their caller's
// own token (the web service's calls to query).
ChannelOptions BackendChannelOptions(ChannelOptions base);

// The TLS files of the common flags (a server that is not gRPC serves with them).
const TlsFiles& ServiceTls();

// The address of --listen, or the spec's default; and --port_file.
std::string ListenAddress(const ServiceSpec& spec);
std::string PortFile();

// How often a service checks its health (--health_check_ms, at least 50 ms).
absl::Duration HealthCheckInterval();

// Blocks until SIGTERM or SIGINT; SIGHUP meanwhile re-reads the token files.
// For services that serve something other than gRPC (ServeUntilTerminated
// does this itself).
void WaitUntilTerminated();

// Server options from the common flags; `max_message_bytes` is the service's own.
// `max_send_message_bytes` its largest response (0: the same).
ServerOptions ServerOptionsFromFlags(const ServiceSpec& spec, int max_message_bytes,
                                     int max_send_message_bytes = 0);

// What a service knows about its own health: OK, or why it cannot do its
// work now (disk full, writes failing, parsers wedged). Called every
// --health_check_ms from one thread; must be quick.
using SelfCheck = std::function<absl::Status()>;

// Starts the server for `service` and keeps its health current: SERVING
// once every storage shard has answered (when `shards` is given) and while
// `self_check` (when given) passes, NOT_SERVING with a log line naming the
// reason while it fails, SERVING again by itself when it passes again (the
// gauge zhibiao_serving says the same). Waits for SIGTERM or SIGINT; then
// drains in-flight calls and stops. Returns the exit status: 1 if the
// server could not start, else 0. The caller then releases its own
// resources (executors, database) in order. `before_shutdown`, when given,
// runs after the signal and before the server drains (to end long streams).
int ServeUntilTerminated(const ServerOptions& options, grpc::Service* service,
                         StorageShards* shards,
                         const std::function<void()>& before_shutdown = nullptr,
                         const SelfCheck& self_check = nullptr);

// Prints `message` and exits with status 2 (a usage error at start-up).
[[noreturn]] void ExitWithUsageError(const std::string& message);

}  // namespace zb::service

#endif  // ZHIBIAO_SERVICES_COMMON_SERVICE_MAIN_H_
