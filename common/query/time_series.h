// TimeSeries: one metric's value for one region, year by year (results in
// their report year, targets in the year they are set for), with the
// reports behind each point. Asks only the shard the region routes to.
#ifndef ZHIBIAO_COMMON_QUERY_TIME_SERIES_H_
#define ZHIBIAO_COMMON_QUERY_TIME_SERIES_H_

#include "absl/status/statusor.h"
#include "common/query/shard_plan.h"
#include "zhibiao/v1/query.pb.h"

namespace zb::query {

struct TimeSeriesQuery {
  using Request = zhibiao::v1::TimeSeriesRequest;
  using Response = zhibiao::v1::TimeSeriesResponse;
  static constexpr CacheTag kCacheTag = CacheTag::kTimeSeries;
  // INVALID_ARGUMENT naming the field for a malformed request; else which
  // shards to ask for what, with an answer that fills `response`.
  static absl::StatusOr<ShardPlan> Plan(const Request& request, Response* response);
};

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_TIME_SERIES_H_
