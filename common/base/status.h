// Propagation macros for absl::Status / absl::StatusOr. The Abseil shipped by
// Debian 12 (20220623) has none of its own.
#ifndef ZHIBIAO_COMMON_BASE_STATUS_H_
#define ZHIBIAO_COMMON_BASE_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define ZB_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status zb_status_ = (expr);      \
    if (!zb_status_.ok()) return zb_status_; \
  } while (false)

#define ZB_STATUS_CONCAT_INNER_(a, b) a##b
#define ZB_STATUS_CONCAT_(a, b) ZB_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be a
// declaration (`auto x`) or an existing variable.
#define ZB_ASSIGN_OR_RETURN(lhs, rexpr) \
  ZB_ASSIGN_OR_RETURN_IMPL_(ZB_STATUS_CONCAT_(zb_statusor_, __LINE__), lhs, rexpr)

#define ZB_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)    \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

namespace zb {

// Returns `status` with `context` and ": " in front of its message, keeping the
// code: Annotate(NotFound("x"), "store report 1f") is NotFound("store report 1f: x").
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace zb

#endif  // ZHIBIAO_COMMON_BASE_STATUS_H_
