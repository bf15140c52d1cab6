// RocksDB ↔ Abseil glue; with indicator_store.cc the only code that sees RocksDB.
#ifndef ZHIBIAO_COMMON_STORE_ROCKS_STATUS_H_
#define ZHIBIAO_COMMON_STORE_ROCKS_STATUS_H_

#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zb::store {

// NotFound→kNotFound, Corruption→kDataLoss, InvalidArgument→kInvalidArgument,
// NotSupported→kUnimplemented, NoSpace→kResourceExhausted,
// Busy/TryAgain/TimedOut→kAborted, IOError/ShutdownInProgress→kUnavailable,
// anything else kInternal; the message starts with `context`.
absl::Status FromRocksStatus(const rocksdb::Status& status, absl::string_view context);

inline rocksdb::Slice ToSlice(absl::string_view v) { return rocksdb::Slice(v.data(), v.size()); }
inline absl::string_view ToView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace zb::store

#endif  // ZHIBIAO_COMMON_STORE_ROCKS_STATUS_H_
