// How long one piece of work may run and whether anyone still waits for it:
// a deadline and a cancellation test that long loops (document readers,
// extraction) check between steps, so work whose caller has gone or whose
// time is up stops instead of holding a parser thread.
#ifndef ZHIBIAO_COMMON_BASE_CALL_BUDGET_H_
#define ZHIBIAO_COMMON_BASE_CALL_BUDGET_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zb {

// Thread-compatible; the cancellation test must be thread-safe if the
// budget is shared.
class CallBudget {
 public:
  // No deadline, never cancelled.
  CallBudget() = default;
  CallBudget(absl::Time deadline, std::function<bool()> cancelled)
      : deadline_(deadline), cancelled_(std::move(cancelled)) {}

  // OK while time is left and the caller waits; else DEADLINE_EXCEEDED or
  // CANCELLED saying that `stage` was stopped.
  absl::Status Check(absl::string_view stage) const;

  // Check() every `every`-th call only, for tight loops (absl::Now() and the
  // cancellation test cost more than a loop step).
  absl::Status CheckEvery(int64_t every, absl::string_view stage) const {
    if (++calls_ % every != 0) return absl::OkStatus();
    return Check(stage);
  }

  absl::Time deadline() const { return deadline_; }

 private:
  absl::Time deadline_ = absl::InfiniteFuture();
  std::function<bool()> cancelled_;
  mutable int64_t calls_ = 0;
};

}  // namespace zb

#endif  // ZHIBIAO_COMMON_BASE_CALL_BUDGET_H_
