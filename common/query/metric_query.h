// What the metric methods (TimeSeries, Rank, Compare) share: the metric
// looked up in the taxonomy, the checks of their common options, the filter
// every one of them sends (one metric's level or change figures, results or
// targets, without totals of several years), and how a region's value is
// made from its reports' figures (README.md, "Query semantics"): when the
// metric and unit add up, the sum over its reports of each report's largest
// figure (agg::RegionValue), else the mean of its figures. Figures in
// several base units are INVALID_ARGUMENT unless options.unit picks one.
#ifndef ZHIBIAO_COMMON_QUERY_METRIC_QUERY_H_
#define ZHIBIAO_COMMON_QUERY_METRIC_QUERY_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/agg/aggregate.h"
#include "common/query/shard_plan.h"
#include "common/taxonomy/taxonomy.h"
#include "zhibiao/v1/query.pb.h"

namespace zb::query {

// Whether `s` is a six-digit GB/T 2260 code.
bool IsSixDigits(absl::string_view s);

// The taxonomy entry of `metric_key`, or INVALID_ARGUMENT.
absl::StatusOr<const taxonomy::Entry*> FindMetric(absl::string_view metric_key,
                                                  const taxonomy::Taxonomy& taxonomy);

// INVALID_ARGUMENT naming the field: a year outside 1..9999 (0 allowed when
// `zero_allowed`), codes that are not six digits (or not province codes).
absl::Status ValidateYear(absl::string_view field, int32_t year, bool zero_allowed);
absl::Status ValidateCodes(absl::string_view field,
                           const google::protobuf::RepeatedPtrField<std::string>& codes,
                           bool provinces);
// INVALID_ARGUMENT for a qualified-values policy, kind of figures or
// document kind that is not one of the enums'.
absl::Status ValidateOptions(const zhibiao::v1::MetricQueryOptions& options);

// Whether the options ask for targets (else results).
bool OfTargets(const zhibiao::v1::MetricQueryOptions& options);
// Places the figures in their year: results in the report year, targets in
// the year they are set for.
void AddYear(const zhibiao::v1::MetricQueryOptions& options, int32_t year,
             zhibiao::v1::IndicatorFilter* f);
// The dimension that year is: GROUP_BY_YEAR for results, GROUP_BY_PERIOD_END for targets.
zhibiao::v1::GroupBy YearDimension(const zhibiao::v1::MetricQueryOptions& options);
// The filter every metric method sends: `metric_key`'s levels or changes,
// results or targets, no totals of several years, options.unit and kinds.
void SetCommonFilter(absl::string_view metric_key, const zhibiao::v1::MetricQueryOptions& options,
                     zhibiao::v1::AggregateIndicatorsRequest* shard);

// The partials a metric answer is built from (pointers into the merged
// ones, one per group and report) and how a region's figures combine.
struct MetricValues {
  std::vector<const zhibiao::v1::PartialAggregate*> partials;
  bool summed = false;  // else averaged
  zhibiao::v1::UnitKind unit_kind = zhibiao::v1::UNIT_KIND_UNSPECIFIED;
  bool metric_additive = false;
  double ValueOf(const agg::RegionValue& v) const { return v.Value(unit_kind, metric_additive); }
};

// Adds the figures of one report (one partial) to a region's value.
inline void AddReportOf(const zhibiao::v1::PartialAggregate& p, agg::RegionValue* v) {
  v->AddReport(p.sum(), p.max(), p.count());
}

// Whether a region's figures for `metric` in `unit_kind` are summed (else averaged).
inline bool Summed(const taxonomy::Entry& metric, zhibiao::v1::UnitKind unit_kind) {
  return metric.additive && agg::IsAdditive(unit_kind);
}

// Keeps the merged partials `keep` accepts, checks that they share one base
// unit (INVALID_ARGUMENT listing the units otherwise) and fills the
// response's unit, unit_kind and aggregate.
// `shard_counts`, when given, are the figures per unit the shards counted
// (a Rank pushdown returns only some groups) and are checked instead.
template <typename Response, typename Keep>
absl::StatusOr<MetricValues> SettleMetricValues(
    const taxonomy::Entry& metric, const std::vector<zhibiao::v1::PartialAggregate>& merged,
    Keep keep, Response* response, const std::map<std::string, int64_t>* shard_counts = nullptr) {
  MetricValues out;
  std::map<std::string, int64_t> counts =
      shard_counts != nullptr ? *shard_counts : std::map<std::string, int64_t>();
  zhibiao::v1::UnitKind kind = zhibiao::v1::UNIT_KIND_UNSPECIFIED;
  for (const zhibiao::v1::PartialAggregate& p : merged) {
    if (!keep(p)) continue;
    out.partials.push_back(&p);
    if (shard_counts == nullptr) counts[p.unit()] += p.count();
    response->set_unit(p.unit());
    kind = p.unit_kind();
  }
  if (counts.size() > 1) {
    std::vector<std::string> listed;
    for (const auto& [u, n] : counts) listed.push_back(absl::StrCat(u, " (", n, " figures)"));
    return absl::InvalidArgumentError(absl::StrCat(
        "metric ", metric.key, " has figures in several units: ", absl::StrJoin(listed, ", "),
        "; choose one with options.unit"));
  }
  out.summed = Summed(metric, kind);
  out.unit_kind = kind;
  out.metric_additive = metric.additive;
  response->set_unit_kind(kind);
  response->set_aggregate(out.summed ? "sum" : "mean");
  return out;
}

// The plan of a metric method: looks request.metric_key() up in the default
// taxonomy, checks the request with `validate`, asks for
// `shard_request(request, metric)` and answers with
// `answer(request, metric, merged, totals, response)`.
template <typename Request, typename Response, typename Validate, typename ShardRequest,
          typename Answer>
absl::StatusOr<ShardPlan> PlanMetricQuery(const Request& request, Response* response,
                                          Validate validate, ShardRequest shard_request,
                                          Answer answer) {
  absl::StatusOr<const taxonomy::Entry*> metric =
      FindMetric(request.metric_key(), taxonomy::Taxonomy::Default());
  if (!metric.ok()) return metric.status();
  if (absl::Status valid = validate(request); !valid.ok()) return valid;
  ShardPlan plan;
  plan.shard_request = shard_request(request, **metric);
  plan.allow_partial = request.options().allow_partial();
  plan.answer = [&request, response, answer, entry = *metric](
                    const std::vector<zhibiao::v1::PartialAggregate>& merged,
                    const ShardTotals& totals) {
    return answer(request, *entry, merged, totals, response);
  };
  return plan;
}

}  // namespace zb::query

#endif  // ZHIBIAO_COMMON_QUERY_METRIC_QUERY_H_
