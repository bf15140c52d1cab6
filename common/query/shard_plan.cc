#include "common/query/shard_plan.h"

namespace zb::query {

void AddShardTotals(const zhibiao::v1::AggregateIndicatorsResponse& answer, bool ranking_requested,
                    ShardTotals* totals) {
  totals->scanned += answer.indicators_scanned();
  if (!ranking_requested) return;
  if (answer.ranking_applied()) {
    totals->ranking_applied = true;
    totals->regions_ranked += answer.regions_ranked();
    for (const auto& [unit, count] : answer.counts_by_unit()) totals->counts_by_unit[unit] += count;
    return;
  }
  // Counted as the shards that cut count: groups of known region.
  for (const zhibiao::v1::PartialAggregate& p : answer.groups()) {
    if (!OfKnownRegion(p)) continue;
    ++totals->regions_ranked;
    totals->counts_by_unit[p.unit()] += p.count();
  }
}

}  // namespace zb::query
