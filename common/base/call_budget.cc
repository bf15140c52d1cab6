#include "common/base/call_budget.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace zb {

absl::Status CallBudget::Check(absl::string_view stage) const {
  if (cancelled_ && cancelled_()) {
    return absl::CancelledError(absl::StrCat(stage, " stopped: the caller went away"));
  }
  if (deadline_ != absl::InfiniteFuture() && absl::Now() >= deadline_) {
    return absl::DeadlineExceededError(absl::StrCat(
        stage, " stopped: the deadline passed (the caller's, or --max_parse_seconds)"));
  }
  return absl::OkStatus();
}

}  // namespace zb
