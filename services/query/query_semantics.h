// What the query service's answers mean, apart from how they are fetched:
// request validation against the taxonomy, the storage request each query
// sends to the shards, and how merged partial aggregates become aggregate
// rows, ranks, time series and comparisons. The rules are the ones README.md
// documents under "Query semantics". Pure functions; thread-safe.
#ifndef ZHIBIAO_SERVICES_QUERY_QUERY_SEMANTICS_H_
#define ZHIBIAO_SERVICES_QUERY_QUERY_SEMANTICS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/taxonomy/taxonomy.h"
#include "zhibiao/v1/query.pb.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::query {

inline constexpr int kMaxAggregateRows = 10000;  // rows in one Aggregate page

// --- Aggregate -------------------------------------------------------------

// INVALID_ARGUMENT naming the field for a malformed request: filter values,
// group_by, percentiles outside 0..100, unknown aggregations, page_size
// outside 0..10000, a sum over a metric the taxonomy says does not add up,
// or a weighted average without metric keys that all have a weight metric.
absl::Status ValidateAggregate(const zhibiao::v1::AggregateRequest& request,
                               const taxonomy::Taxonomy& taxonomy);

// The partial aggregates every shard is asked for.
zhibiao::v1::AggregateIndicatorsRequest ShardRequestForAggregate(
    const zhibiao::v1::AggregateRequest& request, const taxonomy::Taxonomy& taxonomy);

// Turns the partials merged over all shards (sorted by group values and unit)
// into the response's rows, ordered and paged. INVALID_ARGUMENT when a group
// mixes base units (unless split_by_unit), when a sum was asked of rates,
// durations, points or non-additive metrics, or for a page_token that was not
// issued for this request.
absl::Status AnswerAggregate(const zhibiao::v1::AggregateRequest& request,
                             const taxonomy::Taxonomy& taxonomy,
                             const std::vector<zhibiao::v1::PartialAggregate>& merged,
                             zhibiao::v1::AggregateResponse* response);

// --- TimeSeries, Rank, Compare ---------------------------------------------
// Each reads one metric's level, non-target figures. A region's value in a
// year is, when the metric and unit add up, the sum over its reports of each
// report's largest figure (agg::RegionValue), else the mean of its figures;
// totals of several years are left out; figures in several base units are INVALID_ARGUMENT unless
// options.unit picks one.

// What the shards answered beside their partials.
struct ShardTotals {
  int64_t scanned = 0;  // index entries examined
  // Whether a Rank pushdown cut some shard's groups; if so, the regions of
  // known code ranked over all shards and their figures per unit.
  bool ranking_applied = false;
  int64_t regions_ranked = 0;
  std::map<std::string, int64_t> counts_by_unit;
};

// Adds one shard's answer to `totals`. For a ranking request, a shard that
// did not cut (several units) contributes what its groups hold.
void AddShardTotals(const zhibiao::v1::AggregateIndicatorsResponse& answer, bool ranking_requested,
                    ShardTotals* totals);

// The taxonomy entry of `metric_key`, or INVALID_ARGUMENT.
absl::StatusOr<const taxonomy::Entry*> FindMetric(absl::string_view metric_key,
                                                  const taxonomy::Taxonomy& taxonomy);

absl::Status ValidateTimeSeries(const zhibiao::v1::TimeSeriesRequest& request);
zhibiao::v1::AggregateIndicatorsRequest ShardRequestForTimeSeries(
    const zhibiao::v1::TimeSeriesRequest& request, const taxonomy::Entry& metric);
absl::Status AnswerTimeSeries(const zhibiao::v1::TimeSeriesRequest& request,
                              const taxonomy::Entry& metric,
                              const std::vector<zhibiao::v1::PartialAggregate>& merged,
                              const ShardTotals& totals, zhibiao::v1::TimeSeriesResponse* response);

absl::Status ValidateRank(const zhibiao::v1::RankRequest& request);
// Asks each shard to rank its own regions and return only its top k and
// ties (exact: every report of a region lives on one shard).
zhibiao::v1::AggregateIndicatorsRequest ShardRequestForRank(const zhibiao::v1::RankRequest& request,
                                                            const taxonomy::Entry& metric);
absl::Status AnswerRank(const zhibiao::v1::RankRequest& request, const taxonomy::Entry& metric,
                        const std::vector<zhibiao::v1::PartialAggregate>& merged,
                        const ShardTotals& totals, zhibiao::v1::RankResponse* response);

absl::Status ValidateCompare(const zhibiao::v1::CompareRequest& request);
zhibiao::v1::AggregateIndicatorsRequest ShardRequestForCompare(
    const zhibiao::v1::CompareRequest& request, const taxonomy::Entry& metric);
absl::Status AnswerCompare(const zhibiao::v1::CompareRequest& request,
                           const taxonomy::Entry& metric,
                           const std::vector<zhibiao::v1::PartialAggregate>& merged,
                           const ShardTotals& totals, zhibiao::v1::CompareResponse* response);

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_QUERY_SEMANTICS_H_
