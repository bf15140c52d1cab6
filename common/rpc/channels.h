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
  // Largest message either way: a stored report (GetReport, PutReport) can be
  // as large as ingest's --max_report_mb.
  int max_message_bytes = 256 << 20;
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

// Connects `channel` now and waits until it is ready or `timeout` passes,
// through failed attempts (each retried after the reconnect backoff). Use it
// before the first call of a short-lived client: gRPC 1.51 (Debian 12)
// reads errno after other calls while a non-blocking connect() is still in
// progress (src/core/lib/iomgr/tcp_client_posix.cc, fixed upstream later),
// so once in a while an attempt that would have succeeded is reported
// failed ("No such file or directory") and fails the calls waiting on it.
// Long-lived clients need not: ingest and query wait until every shard has
// answered a health check before they serve. OK when ready; UNAVAILABLE
// with the channel's state otherwise. Not for in-process channels (they
// have no connectivity state; gRPC aborts).
absl::Status WaitForConnection(const std::shared_ptr<grpc::Channel>& channel,
                               absl::Duration timeout);

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
