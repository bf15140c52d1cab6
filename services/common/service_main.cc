#include "services/common/service_main.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/base/env_flags.h"
#include "common/base/logging.h"

ABSL_FLAG(std::string, listen, "",
          "HOST:PORT to serve on; port 0 picks one (default: storage 127.0.0.1:7410, ingest "
          "127.0.0.1:7401, query 127.0.0.1:7402)");
ABSL_FLAG(std::string, port_file, "", "write the chosen port to this file once serving");
ABSL_FLAG(int, shutdown_grace_ms, 4000, "how long SIGTERM waits for in-flight calls");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");

namespace zb::service {

void ExitWithUsageError(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(2);
}

void Init(int argc, char** argv, const ServiceSpec& spec) {
  BlockTerminationSignals();
  ParseFlagsWithEnv(argc, argv,
                    absl::StrCat(spec.usage,
                                 "\nEvery flag can also be set as ZHIBIAO_<FLAG> in the environment."));
  SetLogService(spec.name);
  if (!SetMinLogLevelByName(absl::GetFlag(FLAGS_log_level))) {
    ExitWithUsageError("--log_level must be debug, info, warning or error");
  }
}

ServerOptions ServerOptionsFromFlags(const ServiceSpec& spec, int max_message_bytes) {
  ServerOptions options;
  options.name = spec.name;
  options.listen = absl::GetFlag(FLAGS_listen).empty() ? spec.default_listen
                                                       : absl::GetFlag(FLAGS_listen);
  options.port_file = absl::GetFlag(FLAGS_port_file);
  options.max_message_bytes = max_message_bytes;
  options.shutdown_grace = absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms));
  options.health_service_names = {spec.grpc_service};
  return options;
}

int ServeUntilTerminated(const ServerOptions& options, grpc::Service* service,
                         StorageShards* shards) {
  auto server = Server::Start(options, {service});
  if (!server.ok()) {
    LogError("startup_failed", {{"error", server.status().ToString()}});
    return 1;
  }
  Server* raw_server = server->get();
  if (shards == nullptr) {
    raw_server->SetServing(true);
  } else {
    // SERVING once every storage shard has answered; see StorageShards.
    shards->StartMonitor(absl::Seconds(1), [raw_server] { raw_server->SetServing(true); });
  }
  WaitForTerminationSignal();
  if (shards != nullptr) shards->StopMonitor();
  raw_server->Shutdown();
  return 0;
}

}  // namespace zb::service
