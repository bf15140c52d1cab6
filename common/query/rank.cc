#include "common/query/rank.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/agg/aggregate.h"
#include "common/query/metric_query.h"

namespace zb::query {
namespace {

using zhibiao::v1::AggregateIndicatorsRequest;
using zhibiao::v1::PartialAggregate;

absl::Status ValidateRank(const zhibiao::v1::RankRequest& request) {
  if (absl::Status s = ValidateYear("year", request.year(), false); !s.ok()) return s;
  if (request.k() < 0 || request.k() > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("k ", request.k(), " is outside 0..1000"));
  }
  if (absl::Status s = ValidateCodes("province_codes", request.province_codes(), true); !s.ok()) {
    return s;
  }
  return ValidateOptions(request.options());
}

AggregateIndicatorsRequest ShardRequestForRank(const zhibiao::v1::RankRequest& request,
                                               const taxonomy::Entry& metric) {
  AggregateIndicatorsRequest shard;
  shard.mutable_ranking()->set_k(request.k() == 0 ? 10 : request.k());
  shard.mutable_ranking()->set_bottom(request.bottom());
  shard.mutable_ranking()->set_metric_additive(metric.additive);
  SetCommonFilter(request.metric_key(), request.options(), &shard);
  AddYear(request.options(), request.year(), shard.mutable_filter());
  *shard.mutable_filter()->mutable_province_codes() = request.province_codes();
  shard.add_group_by(zhibiao::v1::GROUP_BY_REGION);
  shard.add_group_by(zhibiao::v1::GROUP_BY_PROVINCE);
  shard.add_group_by(zhibiao::v1::GROUP_BY_REPORT);
  return shard;
}

absl::Status AnswerRank(const zhibiao::v1::RankRequest& request, const taxonomy::Entry& metric,
                        const std::vector<PartialAggregate>& merged, const ShardTotals& totals,
                        zhibiao::v1::RankResponse* response) {
  response->set_metric_key(metric.key);
  response->set_year(request.year());
  absl::StatusOr<MetricValues> values =
      SettleMetricValues(metric, merged, OfKnownRegion, response,
                         totals.ranking_applied ? &totals.counts_by_unit : nullptr);
  if (!values.ok()) return values.status();
  // Partials are per (region, province, report): one value per region.
  std::map<std::string, std::pair<std::string, agg::RegionValue>> by_region;
  for (const PartialAggregate* p : values->partials) {
    auto& [province, value] = by_region[p->group_values(0)];
    province = p->group_values(1);
    AddReportOf(*p, &value);
  }
  std::vector<zhibiao::v1::RankedRegion> regions;
  for (const auto& [code, entry] : by_region) {
    zhibiao::v1::RankedRegion r;
    r.set_region_code(code);
    r.set_province_code(entry.first);
    r.set_value(values->ValueOf(entry.second));
    r.set_count(entry.second.count());
    regions.push_back(std::move(r));
  }
  const bool bottom = request.bottom();
  std::sort(regions.begin(), regions.end(), [bottom](const auto& a, const auto& b) {
    if (a.value() != b.value()) return bottom ? a.value() < b.value() : a.value() > b.value();
    return a.region_code() < b.region_code();
  });
  const size_t k = request.k() == 0 ? 10 : static_cast<size_t>(request.k());
  for (size_t i = 0; i < regions.size(); ++i) {
    regions[i].set_rank(i > 0 && regions[i].value() == regions[i - 1].value()
                            ? regions[i - 1].rank()
                            : static_cast<int32_t>(i + 1));
    if (i >= k && regions[i].value() != regions[k - 1].value()) break;
    *response->add_regions() = regions[i];
  }
  response->set_regions_ranked(static_cast<int32_t>(
      totals.ranking_applied ? totals.regions_ranked : static_cast<int64_t>(regions.size())));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ShardPlan> RankQuery::Plan(const Request& request, Response* response) {
  return PlanMetricQuery(request, response, &ValidateRank, &ShardRequestForRank, &AnswerRank);
}

}  // namespace zb::query
