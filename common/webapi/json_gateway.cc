#include "common/webapi/json_gateway.h"

#include <google/protobuf/util/json_util.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "common/base/grpc_status.h"
#include "zhibiao/v1/query.grpc.pb.h"

namespace zb::webapi {
namespace {

namespace pb = google::protobuf;

grpc::ByteBuffer ToByteBuffer(const pb::Message& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool FromByteBuffer(const grpc::ByteBuffer& buffer, pb::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  bytes.reserve(buffer.Length());
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return message->ParseFromString(bytes);
}

}  // namespace

std::string MessageToJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  // Printing a well-formed message cannot fail (no Any fields in proto/).
  (void)pb::util::MessageToJsonString(message, &json, options);
  return json;
}

QueryJsonGateway::QueryJsonGateway(std::shared_ptr<grpc::Channel> channel, Options options)
    : options_(std::move(options)), stub_(std::move(channel)) {
  // Naming a generated message links query.pb.cc, whose descriptors the pool then holds.
  const pb::ServiceDescriptor* service =
      zhibiao::v1::RankRequest::descriptor()->file()->FindServiceByName("QueryService");
  pb::MessageFactory* factory = pb::MessageFactory::generated_factory();
  for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
    const pb::MethodDescriptor* m = service->method(i);
    if (m->client_streaming() || m->server_streaming()) continue;  // JSON over HTTP is unary
    names_.push_back(m->name());
    methods_[m->name()] = {absl::StrCat("/", service->full_name(), "/", m->name()),
                           factory->GetPrototype(m->input_type()),
                           factory->GetPrototype(m->output_type())};
  }
}

std::vector<std::string> QueryJsonGateway::MethodNames() const { return names_; }

absl::StatusOr<std::unique_ptr<pb::Message>> QueryJsonGateway::ParseRequest(
    absl::string_view method, absl::string_view json) const {
  auto it = methods_.find(method);
  if (it == methods_.end()) {
    return absl::NotFoundError(absl::StrCat("QueryService has no method ", ShortQuote(method),
                                            "; its methods are ", absl::StrJoin(names_, ", ")));
  }
  std::unique_ptr<pb::Message> request(it->second.request_prototype->New());
  if (json.find_first_not_of(" \t\r\n") == absl::string_view::npos) return request;
  pb::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  const auto parsed = pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()),
                                                    request.get(), parse);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("request of ", method, " (",
                                                   request->GetDescriptor()->full_name(),
                                                   "): ", std::string(parsed.message())));
  }
  return request;
}

absl::StatusOr<std::unique_ptr<pb::Message>> QueryJsonGateway::Call(absl::string_view method,
                                                                    const pb::Message& request,
                                                                    const CallOptions& call) const {
  auto it = methods_.find(method);
  if (it == methods_.end())
    return absl::NotFoundError(absl::StrCat("QueryService has no method ", ShortQuote(method)));
  absl::Duration timeout =
      call.timeout > absl::ZeroDuration() ? call.timeout : options_.default_timeout;
  timeout = std::min(timeout, options_.max_timeout);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!call.authorization.empty()) context.AddMetadata("authorization", call.authorization);
  const grpc::ByteBuffer request_bytes = ToByteBuffer(request);
  grpc::ByteBuffer reply_bytes;
  grpc::Status status;
  absl::Notification done;
  stub_.UnaryCall(&context, it->second.path, grpc::StubOptions(), &request_bytes, &reply_bytes,
                  [&](grpc::Status s) {
                    status = std::move(s);
                    done.Notify();
                  });
  done.WaitForNotification();
  if (!status.ok()) {
    const auto code = static_cast<absl::StatusCode>(status.error_code());
    if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
      return FromGrpcStatus(status, options_.peer);
    }
    return absl::Status(code, status.error_message());
  }
  std::unique_ptr<pb::Message> reply(it->second.reply_prototype->New());
  if (!FromByteBuffer(reply_bytes, reply.get())) {
    return absl::InternalError(
        absl::StrCat(options_.peer, " sent a ", method, " reply that does not parse"));
  }
  return reply;
}

absl::StatusOr<std::string> QueryJsonGateway::CallJson(absl::string_view method,
                                                       absl::string_view json,
                                                       const CallOptions& call) const {
  absl::StatusOr<std::unique_ptr<pb::Message>> request = ParseRequest(method, json);
  if (!request.ok()) return request.status();
  absl::StatusOr<std::unique_ptr<pb::Message>> reply = Call(method, **request, call);
  if (!reply.ok()) return reply.status();
  return MessageToJson(**reply);
}

}  // namespace zb::webapi
