// zhibiao-query: answers queries over every storage shard.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "common/base/env_flags.h"
#include "common/base/logging.h"
#include "common/rpc/channels.h"
#include "common/rpc/server.h"
#include "common/rpc/storage_shards.h"
#include "services/query/query_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7402", "HOST:PORT to serve on (port 0 picks one)");
ABSL_FLAG(std::string, port_file, "", "write the chosen port to this file once serving");
ABSL_FLAG(std::string, storage, "127.0.0.1:7410", "storage shards, ADDR[,ADDR...] (all of them)");
ABSL_FLAG(int, shard_timeout_ms, 10000, "deadline of each storage shard call");
ABSL_FLAG(int, max_message_mb, 64, "largest request or response in MiB");
ABSL_FLAG(int, shutdown_grace_ms, 4000, "how long SIGTERM waits for in-flight calls");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");

int main(int argc, char** argv) {
  zb::BlockTerminationSignals();
  zb::ParseFlagsWithEnv(argc, argv,
                        "zhibiao-query: aggregations and report reads over all storage shards.\n"
                        "Every flag can also be set as ZHIBIAO_<FLAG> in the environment.");
  zb::SetLogService("query");
  if (!zb::SetMinLogLevelByName(absl::GetFlag(FLAGS_log_level))) {
    std::fprintf(stderr, "--log_level must be debug, info, warning or error\n");
    return 2;
  }
  auto addresses = zb::ParseAddressList(absl::GetFlag(FLAGS_storage), "storage");
  if (!addresses.ok()) {
    std::fprintf(stderr, "%s\n", std::string(addresses.status().message()).c_str());
    return 2;
  }
  zb::ChannelOptions channel_options;
  channel_options.max_message_bytes = absl::GetFlag(FLAGS_max_message_mb) << 20;
  zb::StorageShards shards(*addresses, channel_options);
  zb::query::QueryOptions options;
  options.shard_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_shard_timeout_ms));
  zb::query::QueryServiceImpl service(&shards, options);

  zb::ServerOptions server_options;
  server_options.name = "query";
  server_options.listen = absl::GetFlag(FLAGS_listen);
  server_options.port_file = absl::GetFlag(FLAGS_port_file);
  server_options.max_message_bytes = absl::GetFlag(FLAGS_max_message_mb) << 20;
  server_options.shutdown_grace = absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms));
  server_options.health_service_names = {"zhibiao.v1.QueryService"};
  auto server = zb::Server::Start(server_options, {&service});
  if (!server.ok()) {
    zb::LogError("startup_failed", {{"error", server.status().ToString()}});
    return 1;
  }
  zb::Server* raw_server = server->get();
  shards.StartMonitor(absl::Seconds(1), [raw_server] { raw_server->SetServing(true); });

  zb::WaitForTerminationSignal();
  shards.StopMonitor();
  (*server)->Shutdown();
  zb::LogInfo("exited", {{"code", 0}});
  return 0;
}
