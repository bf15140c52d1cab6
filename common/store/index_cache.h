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
// view a RocksDB snapshot gives. Memory: about 70 bytes an entry plus the
// distinct strings (≈ 70 MB per million indicators).
//
// It also keeps the revised-report rule current: when several reports of one
// region and year carry figures of one kind (levels, changes or targets) for
// one metric, those of all but the latest published report (then the latest
// ingested, then the greatest id) are flagged superseded, and aggregations leave them out unless
// asked not to. Routing by region puts every report of a region on one shard, so each shard can
// decide this alone. Reports of unknown region or year are never superseded.
//
// Thread-safe.
#ifndef ZHIBIAO_COMMON_STORE_INDEX_CACHE_H_
#define ZHIBIAO_COMMON_STORE_INDEX_CACHE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/agg/aggregate.h"
#include "common/store/keys.h"
#include "zhibiao/v1/aggregate.pb.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::store {

class IndexCache {
 public:
  // One change of a group: drop a report's entries, record when a report
  // was published and ingested (before its entries are added), or add one entry.
  // Mark a report as arriving (replacing `replaces_report_id`) or settle it.
  struct Change {
    enum class Kind { kRemoveReport, kReportInfo, kAddEntry, kArriving, kSettle };
    Kind kind = Kind::kAddEntry;
    absl::string_view report_id;           // for every kind but kAddEntry
    absl::string_view replaces_report_id;  // for kArriving
    absl::string_view published_date;      // "2022-02-25" or "", for kReportInfo
    int64_t ingested_at_unix_ms = 0;       // for kReportInfo
    IndicatorKeyParts key;                 // for kAddEntry (views must outlive ApplyGroup)
    IndexValue value;
  };

  // Applies a committed group's changes in order, under one exclusive lock,
  // so no aggregation sees part of a group, and counts one more generation
  // (when there is any change).
  void ApplyGroup(const std::vector<Change>& changes) ABSL_LOCKS_EXCLUDED(mu_);
  // Loading at open: report information and entries in any order, then
  // FinishLoad() once, which settles which figures are superseded.
  void SetReportInfo(absl::string_view report_id, absl::string_view published_date,
                     int64_t ingested_at_unix_ms) ABSL_LOCKS_EXCLUDED(mu_);
  void Add(const IndicatorKeyParts& key, const IndexValue& value) ABSL_LOCKS_EXCLUDED(mu_);
  void FinishLoad() ABSL_LOCKS_EXCLUDED(mu_);
  // Loading at open: a report's arriving mark (PutReportRequest.replaces_report_id).
  void SetArriving(absl::string_view report_id, absl::string_view replaces_report_id)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The reports with an arriving mark, by id, and the id each replaces.
  std::vector<zhibiao::v1::ArrivingReport> Arriving() const ABSL_LOCKS_EXCLUDED(mu_);
  // The id `report_id` replaces, when it has an arriving mark.
  std::optional<std::string> ArrivingMarkOf(absl::string_view report_id) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Partial aggregates of the entries that match the request's filter,
  // grouped by its group_by and unit, sorted like agg::PartialAggregator's,
  // with its qualified-value policy, revised-report rule and weights. Returns
  // the number of live entries examined.
  // REQUIRES: filter and group_by are valid (agg::ValidateFilter/ValidateGroupBy).
  // With request.ranking (Rank pushdown; group_by [REGION, PROVINCE]) and
  // one unit among the groups of known regions, `out` holds only the groups
  // of the first k ranks and their ties, and `cut` (when given) says so.
  // `generation`, when given, gets the generation the answer was computed at;
  // `arriving`, when given, the reports with an arriving mark among those
  // counted. Reports named by request.exclude_report_ids are left out.
  int64_t Aggregate(const zhibiao::v1::AggregateIndicatorsRequest& request,
                    std::vector<zhibiao::v1::PartialAggregate>* out, agg::RankingCut* cut = nullptr,
                    uint64_t* generation = nullptr,
                    std::vector<zhibiao::v1::ArrivingReport>* arriving = nullptr) const
      ABSL_LOCKS_EXCLUDED(mu_);

  int64_t live_entries() const ABSL_LOCKS_EXCLUDED(mu_);
  // Groups with changes applied since the index was loaded (0 after
  // FinishLoad): what a result cache compares to know whether an answer is
  // still current.
  uint64_t generation() const ABSL_LOCKS_EXCLUDED(mu_);

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

  // When a report was published and ingested: what decides which of two
  // reports of one region, year and metric is the latest.
  struct ReportInfo {
    int32_t published = 0;  // yyyymmdd, 0 when unknown
    int64_t ingested_at_unix_ms = 0;
  };
  // Region, year and metric ids, and the kind of figure (0 level, 1 change,
  // 2 target): the figures the revised-report rule compares.
  using Cell = std::tuple<uint32_t, uint16_t, uint32_t, uint8_t>;
  Cell CellOf(uint32_t row) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void SetReportInfoLocked(absl::string_view report_id, absl::string_view published_date,
                           int64_t ingested_at_unix_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddLocked(const IndicatorKeyParts& key, const IndexValue& value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveReportLocked(absl::string_view report_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops dead rows once they are a quarter of all rows.
  void CompactIfNeeded() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Re-decides the superseded flag of every row of the cells touched since
  // the last call.
  void SettleDirtyCells() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether report a is later than report b under the revised-report rule.
  bool Later(uint32_t a, uint32_t b) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The weight of figures of `report` whose metric weighs by `weight_metric`:
  // the report's first live level, non-target figure of that metric, or -1.
  double WeightOf(uint32_t report, uint32_t weight_metric) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  // The steps of Aggregate (index_cache.cc): the request compiled to ids,
  // every row it keeps added to its group, the groups a rank pushdown keeps,
  // and the groups as partial aggregates.
  struct CompiledQuery;
  struct GroupAcc;
  struct Groups;
  // A group: up to four dimensions and the unit, as ids, and what it holds.
  using GroupKey = std::array<uint32_t, 5>;
  using GroupEntry = std::pair<const GroupKey, GroupAcc>;
  CompiledQuery Compile(const zhibiao::v1::AggregateIndicatorsRequest& request) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void AddRow(const CompiledQuery& query, size_t row, Groups* groups) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void AddRows(const CompiledQuery& query, Groups* groups) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::vector<const GroupEntry*> KeptGroups(const CompiledQuery& query, const Groups& groups,
                                            agg::RankingCut* cut) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void WritePartials(const CompiledQuery& query, const std::vector<const GroupEntry*>& kept,
                     std::vector<zhibiao::v1::PartialAggregate>* out) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void ListArriving(const Groups& groups, std::vector<zhibiao::v1::ArrivingReport>* arriving) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  Interner metrics_ ABSL_GUARDED_BY(mu_);
  Interner regions_ ABSL_GUARDED_BY(mu_);  // region and province codes
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
  std::vector<uint16_t> period_end_ ABSL_GUARDED_BY(mu_);  // the report year when open
  std::vector<uint8_t> document_kind_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> qualifier_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> change_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> unit_kind_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> flags_ ABSL_GUARDED_BY(mu_);  // bit 0: target, 1: dead, 2: superseded
  std::vector<uint32_t> seq_ ABSL_GUARDED_BY(mu_);
  std::vector<double> value_ ABSL_GUARDED_BY(mu_);
  std::vector<double> low_ ABSL_GUARDED_BY(mu_);
  std::vector<double> high_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> rows_of_report_ ABSL_GUARDED_BY(mu_);
  // Rows of each metric id, ascending (dead rows included until compaction):
  // a query for a few metrics reads only their rows.
  std::vector<std::vector<uint32_t>> rows_of_metric_ ABSL_GUARDED_BY(mu_);
  std::vector<ReportInfo> report_info_ ABSL_GUARDED_BY(mu_);  // by report id
  // Report id -> the id it replaces, for reports with an arriving mark (few:
  // only those reextract is moving).
  absl::flat_hash_map<uint32_t, std::string> arriving_ ABSL_GUARDED_BY(mu_);
  // Rows of each (metric, year) and (metric, region), ascending (dead rows
  // included until compaction): Rank reads one year of a metric, TimeSeries
  // one region of it, each a small part of the metric's rows.
  absl::flat_hash_map<std::pair<uint32_t, uint16_t>, std::vector<uint32_t>> rows_of_metric_year_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, std::vector<uint32_t>> rows_of_metric_region_
      ABSL_GUARDED_BY(mu_);
  // The rows of `metric` a filter can match, ascending: the rows of its
  // years or its regions when the filter names them and they are fewer than
  // all the metric's rows; then `narrowed` holds them and is returned, else
  // the metric's own list.
  const std::vector<uint32_t>& CandidateRows(uint32_t metric,
                                             const zhibiao::v1::IndicatorFilter& filter,
                                             std::vector<uint32_t>* narrowed) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Rows of each cell of known region and year (dead rows are dropped lazily).
  absl::flat_hash_map<Cell, std::vector<uint32_t>> rows_of_cell_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Cell> dirty_cells_ ABSL_GUARDED_BY(mu_);
  int64_t dead_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace zb::store

#endif  // ZHIBIAO_COMMON_STORE_INDEX_CACHE_H_
