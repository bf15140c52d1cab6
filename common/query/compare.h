// Compare: each region's value of one metric in a base year and a year,
// with the absolute and relative change between them.
#ifndef ZHIBIAO_COMMON_QUERY_COMPARE_H_
#define ZHIBIAO_COMMON_QUERY_COMPARE_H_

#include "absl/status/statusor.h"
#include "common/query/shard_plan.h"
#include "zhibiao/v1/query.pb.h"

namespace zb::query {

struct CompareQuery {
  using Request = zhibiao::v1::CompareRequest;
  using Response = zhibiao::v1::CompareResponse;
  static constexpr CacheTag kCacheTag = CacheTag::kCompare;
  // INVALID_ARGUMENT naming the field for a malformed request; else which
  // shards to ask for what, with an answer that fills `response`.
  static absl::StatusOr<ShardPlan> Plan(const Request& request, Response* response);
};

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_COMPARE_H_
