// Indicator filters and aggregation, shared by storage (which computes
// partial aggregates next to the data) and query (which merges the partials
// of every shard and turns them into rows). Partials are exact: count, sum,
// min and max merge without loss.
#ifndef ZHIBIAO_COMMON_AGG_AGGREGATE_H_
#define ZHIBIAO_COMMON_AGG_AGGREGATE_H_

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "zhibiao/v1/aggregate.pb.h"
#include "zhibiao/v1/query.pb.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::agg {

// One indicator as an index scan sees it. Views point into the scan's buffers.
struct IndicatorRow {
  absl::string_view metric_key;
  int32_t year = 0;
  int32_t period_end = 0;      // the year the figure is about (the report year when open)
  int32_t document_kind = 0;   // its report's DocumentKind (0 in entries older than the field)
  absl::string_view region;    // six digits, "000000" if unknown
  absl::string_view province;  // six digits, "000000" if unknown
  absl::string_view report_id;
  double value = 0;
  double low = 0;
  double high = 0;
  int qualifier = 0;  // zhibiao.v1.Qualifier
  int change = 0;     // zhibiao.v1.Change
  bool is_target = false;
  bool period_total = false;  // a total of several years (Indicator.cumulative)
  int unit_kind = 0;          // zhibiao.v1.UnitKind
  absl::string_view unit;
  absl::string_view subject;
};

inline constexpr int kMaxGroupBy = 4;
// Most values of one filter field (a county-level filter names a few
// thousand regions at most), and the longest text value.
inline constexpr int kMaxFilterRegions = 5000;
inline constexpr int kMaxFilterProvinces = 64;
inline constexpr int kMaxFilterYears = 200;
inline constexpr int kMaxFilterMetricKeys = 1000;
inline constexpr int kMaxFilterReportIds = 1000;
inline constexpr int kMaxFilterUnits = 64;
inline constexpr size_t kMaxFilterTextBytes = 256;
// SearchIndicators: most words, and the longest.
inline constexpr int kMaxSearchWords = 16;
inline constexpr size_t kMaxSearchWordBytes = 256;

// INVALID_ARGUMENT naming the field when a filter value is malformed (region
// codes must be six digits, years 1..9999).
absl::Status ValidateFilter(const zhibiao::v1::IndicatorFilter& filter);
// At most kMaxSearchWords words of at most kMaxSearchWordBytes each.
absl::Status ValidateSearchWords(const google::protobuf::RepeatedPtrField<std::string>& words);
// INVALID_ARGUMENT for unspecified or repeated dimensions, or more than kMaxGroupBy.
absl::Status ValidateGroupBy(const google::protobuf::RepeatedField<int>& group_by);

// Decides whether a row passes a filter. Immutable; thread-safe.
class IndicatorMatcher {
 public:
  // REQUIRES: ValidateFilter(filter).ok().
  explicit IndicatorMatcher(const zhibiao::v1::IndicatorFilter& filter);
  bool Matches(const IndicatorRow& row) const;
  // True when the filter lets every row through (no need to call Matches).
  bool matches_all() const { return matches_all_; }
  // Whether Matches reads the row's subject (scans may skip decoding it otherwise).
  bool needs_subject() const { return !filter_.subject_contains().empty(); }

 private:
  zhibiao::v1::IndicatorFilter filter_;
  bool matches_all_ = false;
};

// Accumulates partial aggregates per (group values, unit). Not thread-safe.
// Add() does not allocate once a group exists (it runs once per scanned entry).
class PartialAggregator {
 public:
  explicit PartialAggregator(const google::protobuf::RepeatedField<int>& group_by,
                             bool include_values = false);
  void Add(const IndicatorRow& row);
  // Groups sorted by (group values, unit).
  std::vector<zhibiao::v1::PartialAggregate> Finish() const;
  // Whether Add reads the row's subject.
  bool needs_subject() const;

 private:
  struct Group {
    std::vector<std::string> values;
    std::string unit;
    int unit_kind = 0;
    int64_t count = 0;
    int64_t inexact = 0;  // figures that were not exact
    double sum = 0, min = 0, max = 0;
    std::vector<double> samples;  // the values themselves, with include_values
  };
  // Adds the row's value to a group whose min and max are set.
  void Accumulate(const IndicatorRow& row, Group* g) const;

  std::vector<zhibiao::v1::GroupBy> group_by_;
  bool include_values_ = false;
  std::string key_;       // scratch: group values and unit joined by control characters
  std::string last_key_;  // index entries come sorted, so runs share a group
  Group* last_group_ = nullptr;
  absl::flat_hash_map<std::string, Group> groups_;
};

// Merges partials of one group and unit from several shards into one, exactly
// (counts and sums add, extremes compare, values merge in order). Not
// thread-safe.
class PartialMerger {
 public:
  void Add(const zhibiao::v1::PartialAggregate& partial);
  // The merged partials, sorted by (group values, unit).
  std::vector<zhibiao::v1::PartialAggregate> Merged() const;

 private:
  std::map<std::pair<std::vector<std::string>, std::string>, zhibiao::v1::PartialAggregate> groups_;
};

// Merges the partials of several shards in one pass, as PartialMerger would
// (equal groups merged in list order, so sums are added in the same order):
// each list is what a shard answers, sorted by (group values, unit) with no
// group twice. A list that is not is merged through PartialMerger instead.
std::vector<zhibiao::v1::PartialAggregate> MergeSortedPartials(
    const std::vector<const google::protobuf::RepeatedPtrField<zhibiao::v1::PartialAggregate>*>&
        lists);

// The nearest-rank percentile p (0..100) of ascending `sorted` values:
// the smallest value with at least p% of the values at or below it.
// REQUIRES: sorted is not empty.
double NearestRankPercentile(const google::protobuf::RepeatedField<double>& sorted, double p);

// Whether values of a unit kind add up across regions.
bool IsAdditive(zhibiao::v1::UnitKind kind);

// A region's value for a metric in one year (TimeSeries, Rank, Compare),
// built from its reports' figures one report at a time. When the metric and
// the unit kind both add up it is the sum over the reports of each report's
// largest figure: a report that states a quantity more than once (地区生产总值
// 突破3万亿元、达3.6万亿元; a start and an end level) states one value, while
// different reports of the region (a government's and its departments') add
// up. Otherwise it is the mean of all the figures.
class RegionValue {
 public:
  // One report's figures: their sum, largest value and count.
  void AddReport(double sum, double max, int64_t count);
  double Value(zhibiao::v1::UnitKind kind, bool metric_additive) const;
  int64_t count() const { return count_; }

 private:
  double sum_ = 0;
  double sum_of_largest_ = 0;
  int64_t count_ = 0;
};

// What a shard's rank pushdown did (AggregateIndicatorsResponse fields).
struct RankingCut {
  bool applied = false;
  int64_t regions_ranked = 0;                     // regions of known code before the cut
  std::map<std::string, int64_t> counts_by_unit;  // their figures per unit
};

// One region a shard ranks, by its value; `index` is the caller's.
struct RankCandidate {
  double value = 0;
  absl::string_view region_code;
  size_t index = 0;
};

// Sorts `candidates` into rank order (highest value first unless `bottom`,
// ties by region code) and returns how many of them the first k ranks hold,
// every region tied with the k-th included.
size_t SelectTopRegions(std::vector<RankCandidate>* candidates, int k, bool bottom);

}  // namespace zb::agg

#endif  // ZHIBIAO_COMMON_AGG_AGGREGATE_H_
