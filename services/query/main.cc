// zhibiao-query: answers queries over every storage shard.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "common/base/logging.h"
#include "common/rpc/channels.h"
#include "common/rpc/server.h"
#include "common/rpc/storage_shards.h"
#include "services/common/service_main.h"
#include "services/query/query_service.h"

ABSL_FLAG(std::string, storage, "127.0.0.1:7410", "storage shards, ADDR[,ADDR...] (all of them)");
ABSL_FLAG(int, shard_timeout_ms, 10000, "deadline of each storage shard call");
ABSL_FLAG(int, max_message_mb, 64, "largest request or response in MiB");

int main(int argc, char** argv) {
  const zb::service::ServiceSpec spec = {
      "query", "127.0.0.1:7402",
      "zhibiao-query: aggregations and report reads over all storage shards.",
      "zhibiao.v1.QueryService"};
  zb::service::Init(argc, argv, spec);
  auto addresses = zb::ParseAddressList(absl::GetFlag(FLAGS_storage), "storage");
  if (!addresses.ok()) zb::service::ExitWithUsageError(std::string(addresses.status().message()));
  zb::ChannelOptions channel_options;
  channel_options.max_message_bytes = absl::GetFlag(FLAGS_max_message_mb) << 20;
  zb::StorageShards shards(*addresses, zb::service::StorageChannelOptions(channel_options));
  zb::query::QueryOptions options;
  options.shard_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_shard_timeout_ms));
  options.authorizer = zb::service::CallAuthorizer();
  zb::query::QueryServiceImpl service(&shards, options);

  const int status = zb::service::ServeUntilTerminated(
      zb::service::ServerOptionsFromFlags(spec, absl::GetFlag(FLAGS_max_message_mb) << 20),
      &service, &shards);
  zb::LogInfo("exited", {{"code", status}});
  return status;
}
