// Which checkpoints of a shard to keep: a checkpoint written by
// IndicatorStore::Checkpoint carries a marker file, and after a new one is
// written the older ones of the same shard beyond a count are removed.
//
// The layout is the one `zhibiao admin checkpoint ROOT/NAME` writes: ROOT/NAME/
// shard-N for shard N, one NAME per run. The checkpoints of the same shard are
// the directories ROOT/*/shard-N that hold a marker; nothing without a marker
// is ever removed (a restored copy, a folder an operator made by hand), nor the
// live data directory or anything holding it.
#ifndef ZHIBIAO_COMMON_STORE_CHECKPOINT_RETENTION_H_
#define ZHIBIAO_COMMON_STORE_CHECKPOINT_RETENTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace zb::store {

// The marker's file name inside a checkpoint directory.
inline constexpr char kCheckpointMarker[] = "ZHIBIAO-CHECKPOINT";

// Writes the marker into a checkpoint just written: when, and how many reports.
absl::Status WriteCheckpointMarker(const std::string& directory, absl::Time created,
                                   int64_t reports);

// After `directory` (ROOT/NAME/shard-N) was written: removes the oldest other
// marked ROOT/*/shard-N so that `keep` checkpoints of this shard remain, the
// new one included (keep <= 0: none removed), then each ROOT/NAME left empty.
// Returns the directories removed; one that cannot be removed is logged and
// left, and the others still go.
std::vector<std::string> PruneCheckpoints(const std::string& directory, int keep,
                                          const std::string& live_data_dir);

}  // namespace zb::store

#endif  // ZHIBIAO_COMMON_STORE_CHECKPOINT_RETENTION_H_
