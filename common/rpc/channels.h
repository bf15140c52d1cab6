// Client-side helpers: channels to other zhibiao services, deadlines and
// health checks. One channel per backend, created once and reused.
#ifndef ZHIBIAO_COMMON_RPC_CHANNELS_H_
#define ZHIBIAO_COMMON_RPC_CHANNELS_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/rpc/auth.h"

namespace zb {

struct ChannelOptions {
  int max_message_bytes = 64 << 20;
  // Reconnect quickly after a backend restarts (gRPC's default backoff grows
  // to 120 s, which would keep a recovered storage shard unused for minutes).
  absl::Duration max_reconnect_backoff = absl::Seconds(1);
  // TLS (null: insecure) and the bearer token sent on every call (null: none).
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::shared_ptr<BearerToken> token;
};

// A channel to `address` ("HOST:PORT", or any gRPC target such as
// "ipv4:127.0.0.1:7401,127.0.0.1:7403" or "dns:///ingest:7401", which are
// balanced round robin) with zhibiao's arguments.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const ChannelOptions& options = {});

// Sets a deadline `timeout` from now on `context`.
void SetTimeout(grpc::ClientContext* context, absl::Duration timeout);

// Asks `channel` for grpc.health.v1 status of `service` ("" = whole server).
// Returns the status name ("SERVING", "NOT_SERVING", ...) or the call's error.
absl::StatusOr<std::string> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& service, absl::Duration timeout);

// Splits "a:1,b:2" into addresses; empty items are an error naming `flag`.
absl::StatusOr<std::vector<std::string>> ParseAddressList(absl::string_view list,
                                                          absl::string_view flag);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_RPC_CHANNELS_H_
