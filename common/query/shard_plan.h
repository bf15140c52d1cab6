// What every query method answered from shard aggregates has in common: the
// plan it makes (which shards to ask for which partial aggregates, and how
// to turn what they answer into its reply), what the shards say beside their
// partials, and the tag that tells the methods' replies apart in the result
// cache. The methods themselves are one file each in this folder
// (docs/architecture.md, "How to add a query method").
#ifndef ZHIBIAO_COMMON_QUERY_SHARD_PLAN_H_
#define ZHIBIAO_COMMON_QUERY_SHARD_PLAN_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "zhibiao/v1/aggregate.pb.h"
#include "zhibiao/v1/storage.pb.h"

namespace zb::query {

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

// Of partials grouped by region first, whether `p` is of a known region
// (figures of no known region are grouped under 000000 and never ranked).
inline bool OfKnownRegion(const zhibiao::v1::PartialAggregate& p) {
  return p.group_values(0) != "000000";
}

// How one call is answered from shard aggregates.
struct ShardPlan {
  // "" asks every shard; a region code asks only the shard it routes to
  // (every report of a region lives there).
  std::string only_region_code;
  zhibiao::v1::AggregateIndicatorsRequest shard_request;
  // Whether shards that cannot be reached are listed in the reply's
  // missing_shards instead of failing the call.
  bool allow_partial = false;
  // Builds the reply from the partials merged over the shards that answered
  // (sorted by group values, then unit). It writes into the response the
  // plan was made for; that response and the request must outlive it.
  std::function<absl::Status(const std::vector<zhibiao::v1::PartialAggregate>&, const ShardTotals&)>
      answer;
};

// The first byte of a cached reply's key, one per cached method, so that two
// methods' replies to the same request bytes never meet. A new cached method
// takes a letter not used here.
enum class CacheTag : char {
  kAggregate = 'A',
  kTimeSeries = 'T',
  kRank = 'R',
  kCompare = 'C',
  kListRegions = 'L',
};

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_SHARD_PLAN_H_
