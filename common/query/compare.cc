#include "common/query/compare.h"

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

absl::Status ValidateCompare(const zhibiao::v1::CompareRequest& request) {
  if (absl::Status s = ValidateYear("base_year", request.base_year(), false); !s.ok()) return s;
  if (absl::Status s = ValidateYear("year", request.year(), false); !s.ok()) return s;
  if (request.base_year() == request.year()) {
    return absl::InvalidArgumentError(absl::StrCat("base_year and year are both ", request.year()));
  }
  if (absl::Status s = ValidateCodes("region_codes", request.region_codes(), false); !s.ok())
    return s;
  if (absl::Status s = ValidateCodes("province_codes", request.province_codes(), true); !s.ok()) {
    return s;
  }
  return ValidateOptions(request.options());
}

AggregateIndicatorsRequest ShardRequestForCompare(const zhibiao::v1::CompareRequest& request,
                                                  const taxonomy::Entry&) {
  AggregateIndicatorsRequest shard;
  SetCommonFilter(request.metric_key(), request.options(), &shard);
  AddYear(request.options(), request.base_year(), shard.mutable_filter());
  AddYear(request.options(), request.year(), shard.mutable_filter());
  *shard.mutable_filter()->mutable_region_codes() = request.region_codes();
  *shard.mutable_filter()->mutable_province_codes() = request.province_codes();
  shard.add_group_by(zhibiao::v1::GROUP_BY_REGION);
  shard.add_group_by(zhibiao::v1::GROUP_BY_PROVINCE);
  shard.add_group_by(YearDimension(request.options()));
  shard.add_group_by(zhibiao::v1::GROUP_BY_REPORT);
  return shard;
}

absl::Status AnswerCompare(const zhibiao::v1::CompareRequest& request,
                           const taxonomy::Entry& metric,
                           const std::vector<PartialAggregate>& merged, const ShardTotals&,
                           zhibiao::v1::CompareResponse* response) {
  response->set_metric_key(metric.key);
  response->set_base_year(request.base_year());
  response->set_year(request.year());
  absl::StatusOr<MetricValues> values = SettleMetricValues(metric, merged, OfKnownRegion, response);
  if (!values.ok()) return values.status();
  const std::string base_year = absl::StrCat(request.base_year());
  const std::string year = absl::StrCat(request.year());
  // Partials are per (region, province, year, report): one value per region and year.
  std::map<std::string, zhibiao::v1::RegionComparison> by_region;
  std::map<std::pair<std::string, std::string>, agg::RegionValue> values_of;
  for (const PartialAggregate* p : values->partials) {
    zhibiao::v1::RegionComparison& c = by_region[p->group_values(0)];
    c.set_region_code(p->group_values(0));
    c.set_province_code(p->group_values(1));
    AddReportOf(*p, &values_of[{p->group_values(0), p->group_values(2)}]);
  }
  for (const auto& [key, value] : values_of) {
    zhibiao::v1::RegionComparison& c = by_region[key.first];
    if (key.second == base_year) c.set_base_value(values->ValueOf(value));
    if (key.second == year) c.set_value(values->ValueOf(value));
  }
  for (auto& [region, c] : by_region) {
    if (c.has_base_value() && c.has_value()) {
      c.set_absolute_change(c.value() - c.base_value());
      if (c.base_value() != 0)
        c.set_relative_change((c.value() - c.base_value()) / std::fabs(c.base_value()));
    }
    *response->add_regions() = std::move(c);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ShardPlan> CompareQuery::Plan(const Request& request, Response* response) {
  return PlanMetricQuery(request, response, &ValidateCompare, &ShardRequestForCompare,
                         &AnswerCompare);
}

}  // namespace zb::query
