#include "common/store/rocks_status.h"

#include "absl/strings/str_cat.h"

namespace zb::store {

absl::Status FromRocksStatus(const rocksdb::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(context, ": ", status.ToString());
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsNotSupported()) return absl::UnimplementedError(message);
  if (status.IsNoSpace()) return absl::ResourceExhaustedError(message);
  if (status.IsBusy() || status.IsTryAgain() || status.IsTimedOut()) {
    return absl::AbortedError(message);
  }
  if (status.IsIOError() || status.IsShutdownInProgress()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

}  // namespace zb::store
