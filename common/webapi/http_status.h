// How a gRPC status reads over HTTP: the HTTP status a JSON client expects
// for each canonical code, and the JSON error body (google.rpc.Status's
// `code` and `message`, plus the code's name) every HTTP error carries.
#ifndef ZHIBIAO_COMMON_WEBAPI_HTTP_STATUS_H_
#define ZHIBIAO_COMMON_WEBAPI_HTTP_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zb::webapi {

// 200 for OK; 400 for INVALID_ARGUMENT, FAILED_PRECONDITION and
// OUT_OF_RANGE; 401 UNAUTHENTICATED; 403 PERMISSION_DENIED; 404 NOT_FOUND;
// 409 ALREADY_EXISTS and ABORTED; 413 RESOURCE_EXHAUSTED; 499 CANCELLED;
// 501 UNIMPLEMENTED; 503 UNAVAILABLE; 504 DEADLINE_EXCEEDED; else 500.
int HttpStatusFor(absl::StatusCode code);

// {"code":3,"status":"INVALID_ARGUMENT","message":"…"}: the message kept
// whole (JSON-escaped), so a client sees what the service said.
std::string ErrorJson(const absl::Status& status);

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace zb::webapi

#endif  // ZHIBIAO_COMMON_WEBAPI_HTTP_STATUS_H_
