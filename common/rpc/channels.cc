#include "common/rpc/channels.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/base/grpc_status.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace zb {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const ChannelOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(options.max_message_bytes);
  const int max_backoff_ms =
      static_cast<int>(absl::ToInt64Milliseconds(options.max_reconnect_backoff));
  // The first reconnect comes 20 ms after a failed attempt; no attempt to
  // connect is given less than 100 ms (gRPC's "min reconnect backoff").
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(max_backoff_ms, 20));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, std::min(max_backoff_ms, 100));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_backoff_ms);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  // Several addresses behind one target (ipv4:a,b or DNS names with many
  // records) share the calls instead of pinning them all to the first.
  args.SetLoadBalancingPolicyName("round_robin");
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials();
  if (options.token == nullptr) return grpc::CreateCustomChannel(address, credentials, args);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeBearerTokenInterceptor(options.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, credentials, args,
                                                                 std::move(interceptors));
}

absl::Status WaitForConnection(const std::shared_ptr<grpc::Channel>& channel,
                               absl::Duration timeout) {
  if (channel->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout))) {
    return absl::OkStatus();
  }
  const char* state = "idle";
  switch (channel->GetState(false)) {
    case GRPC_CHANNEL_CONNECTING: state = "connecting"; break;
    case GRPC_CHANNEL_TRANSIENT_FAILURE: state = "failing to connect"; break;
    case GRPC_CHANNEL_SHUTDOWN: state = "shut down"; break;
    default: break;
  }
  return absl::UnavailableError(
      absl::StrCat("not connected after ", absl::FormatDuration(timeout), ": ", state));
}

void SetTimeout(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

absl::StatusOr<std::string> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& service, absl::Duration timeout) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  SetTimeout(&context, timeout);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status, "");
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

absl::StatusOr<std::vector<std::string>> ParseAddressList(absl::string_view list,
                                                          absl::string_view flag) {
  std::vector<std::string> out;
  if (absl::StripAsciiWhitespace(list).empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " needs at least one HOST:PORT"));
  }
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty() || item.find(':') == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": \"", item, "\" is not HOST:PORT in \"", list, "\""));
    }
    out.emplace_back(item);
  }
  return out;
}

}  // namespace zb
