#include "common/base/grpc_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace zb {

namespace {

// The largest prefix of `text` of at most `max_bytes` that ends on a UTF-8 boundary.
absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

std::string ShortQuote(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  return absl::StrCat(Utf8Prefix(text, max_bytes), "…");
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const absl::string_view message = status.message();
  if (message.size() <= kMaxStatusMessageBytes) {
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(message));
  }
  const absl::string_view kept = Utf8Prefix(message, kMaxStatusMessageBytes - 40);
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      absl::StrCat(kept, "… (", message.size() - kept.size(), " bytes cut)"));
}

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view peer) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(
      static_cast<absl::StatusCode>(status.error_code()),
      peer.empty() ? status.error_message() : absl::StrCat(peer, ": ", status.error_message()));
}

}  // namespace zb
