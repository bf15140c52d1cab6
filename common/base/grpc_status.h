// Conversions between absl::Status (used inside zhibiao) and grpc::Status
// (used only at the service edge). The canonical codes are numerically equal.
#ifndef ZHIBIAO_COMMON_BASE_GRPC_STATUS_H_
#define ZHIBIAO_COMMON_BASE_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zb {

// Longest message sent to a client: an error that quotes input (a section
// name, a path, a label) must not outgrow gRPC's metadata limits.
inline constexpr size_t kMaxStatusMessageBytes = 1024;

// Code unchanged; the message cut at kMaxStatusMessageBytes (on a UTF-8
// character boundary, saying how much was cut).
grpc::Status ToGrpcStatus(const absl::Status& status);

// `text` cut to at most `max_bytes` on a UTF-8 boundary, with "…" when cut:
// for quoting untrusted input in messages and logs.
std::string ShortQuote(absl::string_view text, size_t max_bytes = 80);

// Code unchanged; the message is prefixed with `peer` (e.g. "storage 127.0.0.1:7400")
// so a caller several hops away sees which backend failed.
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view peer);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_BASE_GRPC_STATUS_H_
