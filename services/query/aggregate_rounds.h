// Answers a query method's ShardPlan (common/query/shard_plan.h): asks the
// plan's shards for their partial aggregates, or takes a shard's current
// answer from the result cache, merges them exactly in shard order, and
// calls the plan's answer. While `zhibiao admin reextract` moves reports
// between shards, it asks again, leaving out the copies the arriving ones
// replace (docs/storage.md, "Moving a report").
#ifndef ZHIBIAO_SERVICES_QUERY_AGGREGATE_ROUNDS_H_
#define ZHIBIAO_SERVICES_QUERY_AGGREGATE_ROUNDS_H_

#include <functional>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/query/shard_plan.h"
#include "common/rpc/storage_shards.h"
#include "services/query/result_cache.h"
#include "zhibiao/v1/aggregate.pb.h"

namespace zb::query {

using MissingShards = google::protobuf::RepeatedPtrField<zhibiao::v1::ShardFailure>;
// Called once with the call's outcome and the versions of the shard answers
// the reply was built from (to keep the reply in the cache while they are current).
using FinishFn = std::function<void(absl::Status, std::vector<ResultCache::Version>)>;

// Runs `plan` for the call `context` (each round bounded by one deadline,
// now + shard_timeout or the caller's if sooner) and calls `finish` with
// what the plan's answer returns. With plan.allow_partial, shards that
// cannot be reached are listed in `missing` (may be null otherwise).
// `cache` may be null (ask every time).
void AnswerFromShards(StorageShards* shards, ResultCache* cache,
                      grpc::CallbackServerContext* context, absl::Duration shard_timeout,
                      ShardPlan plan, MissingShards* missing, FinishFn finish);

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_AGGREGATE_ROUNDS_H_
