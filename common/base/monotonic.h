// A monotonic clock as absl::Time, for leases and timeouts that must not
// jump with the wall clock (absl::Now() follows NTP adjustments). Its
// epoch is arbitrary: compare and subtract these times only with each other.
#ifndef ZHIBIAO_COMMON_BASE_MONOTONIC_H_
#define ZHIBIAO_COMMON_BASE_MONOTONIC_H_

#include <chrono>

#include "absl/time/time.h"

namespace zb {

inline absl::Time MonotonicNow() {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

}  // namespace zb

#endif  // ZHIBIAO_COMMON_BASE_MONOTONIC_H_
