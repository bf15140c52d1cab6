// Rank: the regions with the highest (or lowest) value of one metric in one
// year, ties sharing a rank. Each shard ranks its own regions and returns
// only its top k and their ties, which is exact because every report of a
// region lives on one shard.
#ifndef ZHIBIAO_COMMON_QUERY_RANK_H_
#define ZHIBIAO_COMMON_QUERY_RANK_H_

#include "absl/status/statusor.h"
#include "common/query/shard_plan.h"
#include "zhibiao/v1/query.pb.h"

namespace zb::query {

struct RankQuery {
  using Request = zhibiao::v1::RankRequest;
  using Response = zhibiao::v1::RankResponse;
  static constexpr CacheTag kCacheTag = CacheTag::kRank;
  // INVALID_ARGUMENT naming the field for a malformed request; else which
  // shards to ask for what, with an answer that fills `response`.
  static absl::StatusOr<ShardPlan> Plan(const Request& request, Response* response);
};

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_RANK_H_
