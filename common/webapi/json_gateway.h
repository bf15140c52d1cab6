// The QueryService methods by name with JSON requests and replies, in
// protobuf's JSON mapping (the library's own conversion): what the web
// service's POST /v1/query/<Method> calls. The method table comes from the
// service descriptor, so a method added to query.proto is served without a
// change here. Thread-safe; one gateway per query channel.
#ifndef ZHIBIAO_COMMON_WEBAPI_JSON_GATEWAY_H_
#define ZHIBIAO_COMMON_WEBAPI_JSON_GATEWAY_H_

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zb::webapi {

class QueryJsonGateway {
 public:
  struct Options {
    std::string peer;  // how messages name query: "query 127.0.0.1:7402"
    absl::Duration default_timeout = absl::Seconds(10);
    absl::Duration max_timeout = absl::Seconds(60);  // a caller cannot ask for more
  };
  // What one call carries besides its request.
  struct CallOptions {
    std::string authorization;  // the caller's Authorization header, passed on as is ("" : none)
    absl::Duration timeout = absl::ZeroDuration();  // 0: Options::default_timeout
  };

  QueryJsonGateway(std::shared_ptr<grpc::Channel> channel, Options options);

  // "GetReport", "Rank", … in query.proto's order.
  std::vector<std::string> MethodNames() const;
  bool HasMethod(absl::string_view method) const { return methods_.contains(method); }

  // The request of `method` from `json` (an empty body is the empty request).
  // NOT_FOUND naming the method when QueryService has none by that name;
  // INVALID_ARGUMENT "request of Rank: …" with the parser's words (which
  // name the field) when the JSON does not fit.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParseRequest(
      absl::string_view method, absl::string_view json) const;

  // Calls `method` on query and returns its reply, or query's status with
  // its message; UNAVAILABLE and DEADLINE_EXCEEDED also name the peer.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Call(
      absl::string_view method, const google::protobuf::Message& request,
      const CallOptions& call) const;

  // ParseRequest, Call, and the reply as JSON (every field printed, enums
  // by name, int64 as strings, as protobuf's JSON mapping says).
  absl::StatusOr<std::string> CallJson(absl::string_view method, absl::string_view json,
                                       const CallOptions& call) const;

 private:
  struct Method {
    std::string path;  // "/zhibiao.v1.QueryService/Rank"
    const google::protobuf::Message* request_prototype;
    const google::protobuf::Message* reply_prototype;
  };
  const Options options_;
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, Method> methods_;
  mutable grpc::GenericStub stub_;
};

// `message` in protobuf's JSON mapping with every field printed.
std::string MessageToJson(const google::protobuf::Message& message);

}  // namespace zb::webapi

#endif  // ZHIBIAO_COMMON_WEBAPI_JSON_GATEWAY_H_
