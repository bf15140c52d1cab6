// ListMetrics: every taxonomy key with how many stored figures carry it, per
// base unit (a filter narrows what is counted), then the keys of other
// taxonomy versions still stored and the unmapped bucket.
#ifndef ZHIBIAO_COMMON_QUERY_LIST_METRICS_H_
#define ZHIBIAO_COMMON_QUERY_LIST_METRICS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "common/query/shard_plan.h"
#include "zhibiao/v1/query.pb.h"

namespace zb::query {

struct ListMetricsQuery {
  using Request = zhibiao::v1::ListMetricsRequest;
  using Response = zhibiao::v1::ListMetricsResponse;
  // INVALID_ARGUMENT for filter values; else a plan over every shard.
  static absl::StatusOr<ShardPlan> Plan(const Request& request, Response* response);
};

// Fills `response` with one summary per taxonomy key (and the unmapped
// bucket) from per-(metric, unit) partial aggregates.
void SummarizeMetrics(const std::vector<zhibiao::v1::PartialAggregate>& by_metric_and_unit,
                      zhibiao::v1::ListMetricsResponse* response);

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_LIST_METRICS_H_
