// Conversions between absl::Status (used inside zhibiao) and grpc::Status
// (used only at the service edge). The canonical codes are numerically equal.
#ifndef ZHIBIAO_COMMON_BASE_GRPC_STATUS_H_
#define ZHIBIAO_COMMON_BASE_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zb {

// Code and message unchanged.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Code unchanged; the message is prefixed with `peer` (e.g. "storage 127.0.0.1:7400")
// so a caller several hops away sees which backend failed.
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view peer);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_BASE_GRPC_STATUS_H_
