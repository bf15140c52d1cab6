// An in-memory, column-oriented copy of a shard's ind_by_metric family, for
// aggregations: a full scan of RocksDB costs ~150-200 ns an entry on the
// reference machine (iterator, key comparisons, decoding), a scan of these
// arrays a few nanoseconds. Strings (metrics, regions, units, subjects,
// report ids) are interned once; rows hold their ids.
//
// The store keeps it in step with the database: it is loaded from the index
// family at open and updated by the single writer right after each group's
// batch is durable, under an exclusive lock; aggregations take a shared lock,
// so each one sees the state between two groups — the same all-or-nothing
// view a RocksDB snapshot gives. Memory: about 48 bytes an entry plus the
// distinct strings (≈ 50 MB per million indicators).
//
// Thread-safe.
#ifndef ZHIBIAO_COMMON_STORE_INDEX_CACHE_H_
#define ZHIBIAO_COMMON_STORE_INDEX_CACHE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/store/keys.h"
#include "zhibiao/v1/aggregate.pb.h"

namespace zb::store {

class IndexCache {
 public:
  // One change of a group: drop a report's entries, or add one entry.
  struct Change {
    bool remove_report = false;
    absl::string_view report_id;  // for remove_report
    IndicatorKeyParts key;        // for additions (views must outlive ApplyGroup)
    IndexValue value;
  };

  // Applies a committed group's changes in order, under one exclusive lock,
  // so no aggregation sees part of a group.
  void ApplyGroup(const std::vector<Change>& changes) ABSL_LOCKS_EXCLUDED(mu_);
  // Adds one index entry (decoded from its key and value).
  void Add(const IndicatorKeyParts& key, const IndexValue& value) ABSL_LOCKS_EXCLUDED(mu_);
  // Drops every entry of a report.
  void RemoveReport(absl::string_view report_id) ABSL_LOCKS_EXCLUDED(mu_);

  // Partial aggregates of the entries that match `filter`, grouped by
  // `group_by` and unit, sorted like agg::PartialAggregator's. Returns the
  // number of live entries examined.
  // REQUIRES: filter and group_by are valid (agg::ValidateFilter/ValidateGroupBy).
  int64_t Aggregate(const zhibiao::v1::IndicatorFilter& filter,
                    const google::protobuf::RepeatedField<int>& group_by, bool include_values,
                    std::vector<zhibiao::v1::PartialAggregate>* out) const ABSL_LOCKS_EXCLUDED(mu_);

  int64_t live_entries() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Strings to dense ids and back.
  class Interner {
   public:
    uint32_t Intern(absl::string_view s);
    // The id of `s`, or -1 when it was never interned.
    int64_t Find(absl::string_view s) const;
    const std::string& Get(uint32_t id) const { return strings_[id]; }
    size_t size() const { return strings_.size(); }

   private:
    absl::flat_hash_map<std::string, uint32_t> ids_;
    std::vector<std::string> strings_;
  };

  void AddLocked(const IndicatorKeyParts& key, const IndexValue& value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveReportLocked(absl::string_view report_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops dead rows once they are a quarter of all rows.
  void CompactIfNeeded() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  Interner metrics_ ABSL_GUARDED_BY(mu_);
  Interner regions_ ABSL_GUARDED_BY(mu_);   // region and province codes
  Interner units_ ABSL_GUARDED_BY(mu_);
  Interner subjects_ ABSL_GUARDED_BY(mu_);
  Interner reports_ ABSL_GUARDED_BY(mu_);
  // One entry per row, column by column.
  std::vector<uint32_t> metric_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> region_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> province_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> unit_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> subject_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> report_ ABSL_GUARDED_BY(mu_);
  std::vector<uint16_t> year_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> qualifier_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> change_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> unit_kind_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> flags_ ABSL_GUARDED_BY(mu_);  // bit 0: target, bit 1: dead
  std::vector<double> value_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> rows_of_report_ ABSL_GUARDED_BY(mu_);
  int64_t dead_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace zb::store

#endif  // ZHIBIAO_COMMON_STORE_INDEX_CACHE_H_
