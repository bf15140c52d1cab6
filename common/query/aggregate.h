// Aggregate: counts, sums, means, extremes, weighted means and percentiles
// of the figures a filter selects, grouped by the request's dimensions,
// ordered and paged (README.md, "Query semantics"). INVALID_ARGUMENT for
// filter values, group_by, percentiles outside 0..100, unknown aggregations,
// page_size outside 0..10000, a sum over a metric the taxonomy says does not
// add up, a weighted average without metric keys that all have a weight
// metric, a group that mixes base units (unless split_by_unit) and a
// page_token not issued for this request.
#ifndef ZHIBIAO_COMMON_QUERY_AGGREGATE_H_
#define ZHIBIAO_COMMON_QUERY_AGGREGATE_H_

#include "absl/status/statusor.h"
#include "common/query/shard_plan.h"
#include "zhibiao/v1/query.pb.h"

namespace zb::query {

inline constexpr int kMaxAggregateRows = 10000;  // rows in one Aggregate page

struct AggregateQuery {
  using Request = zhibiao::v1::AggregateRequest;
  using Response = zhibiao::v1::AggregateResponse;
  static constexpr CacheTag kCacheTag = CacheTag::kAggregate;
  // INVALID_ARGUMENT naming the field for a malformed request; else which
  // shards to ask for what, with an answer that fills `response`.
  static absl::StatusOr<ShardPlan> Plan(const Request& request, Response* response);
};

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_AGGREGATE_H_
