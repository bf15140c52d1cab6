// ListRegions: which regions the store holds figures for, with each
// region's reports, figures and the years they report on — what an analyst
// checks before ranking or comparing ("which provinces have 2025 figures?").
#ifndef ZHIBIAO_COMMON_QUERY_LIST_REGIONS_H_
#define ZHIBIAO_COMMON_QUERY_LIST_REGIONS_H_

#include "absl/status/statusor.h"
#include "common/query/shard_plan.h"
#include "zhibiao/v1/query.pb.h"

namespace zb::query {

struct ListRegionsQuery {
  using Request = zhibiao::v1::ListRegionsRequest;
  using Response = zhibiao::v1::ListRegionsResponse;
  static constexpr CacheTag kCacheTag = CacheTag::kListRegions;
  // INVALID_ARGUMENT for filter values; else a plan over every shard whose
  // answer fills `response`.
  static absl::StatusOr<ShardPlan> Plan(const Request& request, Response* response);
};

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_LIST_REGIONS_H_
