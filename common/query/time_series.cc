#include "common/query/time_series.h"

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

absl::Status ValidateTimeSeries(const zhibiao::v1::TimeSeriesRequest& request) {
  if (!IsSixDigits(request.region_code())) {
    return absl::InvalidArgumentError(absl::StrCat("region_code \"", request.region_code(),
                                                   "\" is not a six-digit GB/T 2260 code"));
  }
  if (absl::Status s = ValidateYear("from_year", request.from_year(), true); !s.ok()) return s;
  if (absl::Status s = ValidateYear("to_year", request.to_year(), true); !s.ok()) return s;
  if (request.from_year() != 0 && request.to_year() != 0 &&
      request.from_year() > request.to_year()) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_year ", request.from_year(), " is after to_year ", request.to_year()));
  }
  return ValidateOptions(request.options());
}

AggregateIndicatorsRequest ShardRequestForTimeSeries(const zhibiao::v1::TimeSeriesRequest& request,
                                                     const taxonomy::Entry&) {
  AggregateIndicatorsRequest shard;
  SetCommonFilter(request.metric_key(), request.options(), &shard);
  shard.mutable_filter()->add_region_codes(request.region_code());
  shard.add_group_by(YearDimension(request.options()));
  shard.add_group_by(zhibiao::v1::GROUP_BY_REPORT);
  return shard;
}

absl::Status AnswerTimeSeries(const zhibiao::v1::TimeSeriesRequest& request,
                              const taxonomy::Entry& metric,
                              const std::vector<PartialAggregate>& merged, const ShardTotals&,
                              zhibiao::v1::TimeSeriesResponse* response) {
  response->set_metric_key(metric.key);
  response->set_region_code(request.region_code());
  auto in_range = [&request](const PartialAggregate& p) {
    int32_t year = 0;
    return absl::SimpleAtoi(p.group_values(0), &year) &&
           (request.from_year() == 0 || year >= request.from_year()) &&
           (request.to_year() == 0 || year <= request.to_year());
  };
  absl::StatusOr<MetricValues> values = SettleMetricValues(metric, merged, in_range, response);
  if (!values.ok()) return values.status();
  // Partials come sorted by (year, report): one point per run of a year.
  struct Point {
    agg::RegionValue value;
    std::vector<std::string> reports;
  };
  std::map<int32_t, Point> points;
  for (const PartialAggregate* p : values->partials) {
    int32_t year = 0;
    (void)absl::SimpleAtoi(p->group_values(0), &year);
    Point& point = points[year];
    AddReportOf(*p, &point.value);
    point.reports.push_back(p->group_values(1));
  }
  for (auto& [year, point] : points) {
    auto* out = response->add_points();
    out->set_year(year);
    out->set_value(values->ValueOf(point.value));
    out->set_count(point.value.count());
    std::sort(point.reports.begin(), point.reports.end());
    for (const std::string& r : point.reports) out->add_report_ids(r);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ShardPlan> TimeSeriesQuery::Plan(const Request& request, Response* response) {
  absl::StatusOr<ShardPlan> plan = PlanMetricQuery(request, response, &ValidateTimeSeries,
                                                   &ShardRequestForTimeSeries, &AnswerTimeSeries);
  // Every report of a region lives on the shard its code routes to (an
  // invalid code is refused before any shard is asked).
  if (plan.ok()) plan->only_region_code = request.region_code();
  return plan;
}

}  // namespace zb::query
