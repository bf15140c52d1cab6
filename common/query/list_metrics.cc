#include "common/query/list_metrics.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "common/agg/aggregate.h"
#include "common/taxonomy/taxonomy.h"

namespace zb::query {

absl::StatusOr<ShardPlan> ListMetricsQuery::Plan(const Request& request, Response* response) {
  if (absl::Status valid = agg::ValidateFilter(request.filter()); !valid.ok()) return valid;
  ShardPlan plan;
  *plan.shard_request.mutable_filter() = request.filter();
  plan.shard_request.mutable_filter()->clear_metric_keys();
  plan.shard_request.add_group_by(zhibiao::v1::GROUP_BY_METRIC);
  plan.shard_request.set_include_superseded(true);  // every observed value
  plan.answer = [response](const std::vector<zhibiao::v1::PartialAggregate>& merged,
                           const ShardTotals&) {
    SummarizeMetrics(merged, response);
    return absl::OkStatus();
  };
  return plan;
}

void SummarizeMetrics(const std::vector<zhibiao::v1::PartialAggregate>& partials,
                      zhibiao::v1::ListMetricsResponse* response) {
  const taxonomy::Taxonomy& t = taxonomy::Taxonomy::Default();
  response->set_taxonomy_version(t.version());
  // Counts per key and unit from the partials (grouped by metric, then unit).
  std::map<std::string, std::map<std::string, int64_t>> counts;
  for (const auto& p : partials) counts[p.group_values(0)][p.unit()] += p.count();
  auto fill = [&](const std::string& key, zhibiao::v1::MetricSummary* m) {
    m->set_key(key);
    auto it = counts.find(key);
    if (it == counts.end()) return;
    std::vector<std::pair<int64_t, std::string>> units;
    for (const auto& [unit, count] : it->second) {
      units.emplace_back(count, unit);
      m->set_count(m->count() + count);
    }
    std::sort(units.begin(), units.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    for (const auto& [count, unit] : units) {
      auto* u = m->add_units();
      u->set_unit(unit);
      u->set_count(count);
    }
    counts.erase(it);
  };
  for (const taxonomy::Entry& e : t.entries()) {
    auto* m = response->add_metrics();
    fill(e.key, m);
    m->set_name_zh(e.name_zh);
    m->set_area(e.area);
    m->set_unit_kind(e.unit_kind);
    m->set_additive(e.additive);
    m->set_aggregate(e.aggregate);
  }
  // Keys stored by another taxonomy version, then the unmapped bucket.
  std::vector<std::string> rest;
  for (const auto& [key, units] : counts) {
    if (!key.empty()) rest.push_back(key);
  }
  for (const std::string& key : rest) fill(key, response->add_metrics());
  fill("", response->add_metrics());
}

}  // namespace zb::query
