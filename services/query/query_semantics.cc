#include "services/query/query_semantics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/agg/aggregate.h"

namespace zb::query {
namespace {

using zhibiao::v1::AggregateIndicatorsRequest;
using zhibiao::v1::AggregateRequest;
using zhibiao::v1::Aggregation;
using zhibiao::v1::PartialAggregate;

bool IsSixDigits(absl::string_view s) {
  return s.size() == 6 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string GroupName(const PartialAggregate& p) {
  return absl::StrCat("(", absl::StrJoin(p.group_values(), ", "), ")");
}

bool Requested(const AggregateRequest& request, Aggregation a) {
  return std::find(request.aggregations().begin(), request.aggregations().end(), a) !=
         request.aggregations().end();
}

// Whether the taxonomy lets figures of `metric_key` add up ("" and keys of
// other taxonomy versions: only the unit decides).
bool MetricAddsUp(absl::string_view metric_key, const taxonomy::Taxonomy& taxonomy) {
  const taxonomy::Entry* entry = taxonomy.Find(metric_key);
  return entry == nullptr || entry->additive;
}

// The first filter metric key the taxonomy says does not add up, or "".
std::string NonAdditiveFilterMetric(const AggregateRequest& request,
                                    const taxonomy::Taxonomy& taxonomy) {
  for (const std::string& key : request.filter().metric_keys()) {
    if (!MetricAddsUp(key, taxonomy)) return key;
  }
  return "";
}

// Why the values of a row may not be summed, or "" when they may.
// `non_additive_filter_metric` is NonAdditiveFilterMetric(request), computed once.
std::string WhyNoSum(const PartialAggregate& p, int metric_dimension,
                     const std::string& non_additive_filter_metric,
                     const taxonomy::Taxonomy& taxonomy) {
  if (!agg::IsAdditive(p.unit_kind())) {
    return absl::StrCat("values in ", p.unit(), " (", zhibiao::v1::UnitKind_Name(p.unit_kind()),
                        ") do not add up");
  }
  if (metric_dimension >= 0 && !MetricAddsUp(p.group_values(metric_dimension), taxonomy)) {
    return absl::StrCat("metric ", p.group_values(metric_dimension), " does not add up");
  }
  if (!non_additive_filter_metric.empty()) {
    return absl::StrCat("metric ", non_additive_filter_metric, " does not add up");
  }
  return "";
}

// FNV-1a, 64 bit: a fingerprint that is the same in every query process.
uint64_t Fingerprint(absl::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

uint64_t RequestFingerprint(const AggregateRequest& request) {
  AggregateRequest copy = request;
  copy.clear_page_token();
  copy.clear_page_size();
  return Fingerprint(copy.SerializeAsString());
}

std::string EncodePageToken(uint64_t fingerprint, int64_t offset) {
  return absl::WebSafeBase64Escape(absl::StrCat("a1.", fingerprint, ".", offset));
}

absl::StatusOr<int64_t> DecodePageToken(absl::string_view token, uint64_t fingerprint) {
  if (token.empty()) return 0;
  std::string plain;
  std::vector<std::string> parts;
  uint64_t issued_for = 0;
  int64_t offset = 0;
  if (!absl::WebSafeBase64Unescape(token, &plain) ||
      (parts = absl::StrSplit(plain, '.')).size() != 3 || parts[0] != "a1" ||
      !absl::SimpleAtoi(parts[1], &issued_for) || !absl::SimpleAtoi(parts[2], &offset) ||
      offset < 0) {
    return absl::InvalidArgumentError("page_token is not a token this service issued");
  }
  if (issued_for != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token was issued for another request: send the same request with it");
  }
  return offset;
}

// The value rows are ordered by, if the row has it.
std::optional<double> OrderValue(const zhibiao::v1::AggregateRow& row, Aggregation order_by) {
  switch (order_by) {
    case zhibiao::v1::AGGREGATION_COUNT: return static_cast<double>(row.count());
    case zhibiao::v1::AGGREGATION_SUM:
      return row.has_sum() ? std::optional<double>(row.sum()) : std::nullopt;
    case zhibiao::v1::AGGREGATION_AVG:
      return row.has_mean() ? std::optional<double>(row.mean()) : std::nullopt;
    case zhibiao::v1::AGGREGATION_MIN:
      return row.has_min() ? std::optional<double>(row.min()) : std::nullopt;
    case zhibiao::v1::AGGREGATION_MAX:
      return row.has_max() ? std::optional<double>(row.max()) : std::nullopt;
    case zhibiao::v1::AGGREGATION_WEIGHTED_AVG:
      return row.has_weighted_mean() ? std::optional<double>(row.weighted_mean()) : std::nullopt;
    default: return std::nullopt;
  }
}

// --- metric queries ---

// Whether a region's figures for `metric` in `unit_kind` are summed (else averaged).
bool Summed(const taxonomy::Entry& metric, zhibiao::v1::UnitKind unit_kind) {
  return metric.additive && agg::IsAdditive(unit_kind);
}

// The partials a metric answer is built from (pointers into the merged
// ones, one per group and report) and how a region's figures combine.
struct MetricValues {
  std::vector<const PartialAggregate*> partials;
  bool summed = false;  // else averaged
  zhibiao::v1::UnitKind unit_kind = zhibiao::v1::UNIT_KIND_UNSPECIFIED;
  bool metric_additive = false;
  double ValueOf(const agg::RegionValue& v) const { return v.Value(unit_kind, metric_additive); }
};

void AddReportOf(const PartialAggregate& p, agg::RegionValue* v) {
  v->AddReport(p.sum(), p.max(), p.count());
}

// Keeps the merged partials `keep` accepts, checks that they share one base
// unit (INVALID_ARGUMENT listing the units otherwise) and fills the
// response's unit, unit_kind and aggregate.
// `shard_counts`, when given, are the figures per unit the shards counted
// (a Rank pushdown returns only some groups) and are checked instead.
template <typename Response, typename Keep>
absl::StatusOr<MetricValues> SettleMetricValues(
    const taxonomy::Entry& metric, const std::vector<PartialAggregate>& merged, Keep keep,
    Response* response, const std::map<std::string, int64_t>* shard_counts = nullptr) {
  MetricValues out;
  std::map<std::string, int64_t> counts =
      shard_counts != nullptr ? *shard_counts : std::map<std::string, int64_t>();
  zhibiao::v1::UnitKind kind = zhibiao::v1::UNIT_KIND_UNSPECIFIED;
  for (const PartialAggregate& p : merged) {
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

// Partials grouped by region first: those of a known region (no region, no rank).
bool OfKnownRegion(const PartialAggregate& p) { return p.group_values(0) != "000000"; }

bool OfTargets(const zhibiao::v1::MetricQueryOptions& options) {
  return options.figures() == zhibiao::v1::METRIC_FIGURES_TARGET_LEVELS ||
         options.figures() == zhibiao::v1::METRIC_FIGURES_TARGET_CHANGES;
}

// Places the figures in their year: results in the report year, targets in
// the year they are set for.
void AddYear(const zhibiao::v1::MetricQueryOptions& options, int32_t year,
             zhibiao::v1::IndicatorFilter* f) {
  if (OfTargets(options)) {
    f->add_period_end_years(year);
  } else {
    f->add_years(year);
  }
}
zhibiao::v1::GroupBy YearDimension(const zhibiao::v1::MetricQueryOptions& options) {
  return OfTargets(options) ? zhibiao::v1::GROUP_BY_PERIOD_END : zhibiao::v1::GROUP_BY_YEAR;
}

void SetCommonFilter(absl::string_view metric_key, const zhibiao::v1::MetricQueryOptions& options,
                     AggregateIndicatorsRequest* shard) {
  auto* f = shard->mutable_filter();
  f->add_metric_keys(std::string(metric_key));
  const auto figures = options.figures();
  const bool changes = figures == zhibiao::v1::METRIC_FIGURES_RESULT_CHANGES ||
                       figures == zhibiao::v1::METRIC_FIGURES_TARGET_CHANGES;
  f->set_change(changes ? zhibiao::v1::CHANGE_FILTER_CHANGES_ONLY
                        : zhibiao::v1::CHANGE_FILTER_LEVELS_ONLY);
  // A total of several years (一般公共预算收入累计完成3.7万亿元) is no one year's value.
  f->set_exclude_period_totals(true);
  if (OfTargets(options)) {
    f->set_targets_only(true);
  } else {
    f->set_exclude_targets(true);
  }
  if (!options.unit().empty()) f->add_units(options.unit());
  *f->mutable_document_kinds() = options.document_kinds();
  shard->set_qualified_values(options.qualified_values());
  shard->set_include_superseded(options.include_superseded());
}

absl::Status ValidateYear(absl::string_view field, int32_t year, bool zero_allowed) {
  if ((zero_allowed && year == 0) || (year >= 1 && year <= 9999)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", year, " is not a year"));
}

absl::Status ValidateCodes(absl::string_view field,
                           const google::protobuf::RepeatedPtrField<std::string>& codes,
                           bool provinces) {
  for (int i = 0; i < codes.size(); ++i) {
    if (!IsSixDigits(codes[i]) || (provinces && codes[i].substr(2) != "0000")) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: \"", codes[i], "\" is not a ",
                       provinces ? "province code like 410000" : "six-digit GB/T 2260 code"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const zhibiao::v1::MetricQueryOptions& options) {
  if (!zhibiao::v1::QualifiedValues_IsValid(options.qualified_values())) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.qualified_values: ", options.qualified_values(), " is not a policy"));
  }
  if (!zhibiao::v1::MetricFigures_IsValid(options.figures())) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.figures: ", options.figures(), " is not a kind of figures"));
  }
  for (int i = 0; i < options.document_kinds_size(); ++i) {
    if (!zhibiao::v1::DocumentKind_IsValid(options.document_kinds(i))) {
      return absl::InvalidArgumentError(absl::StrCat("options.document_kinds[", i,
                                                     "]: ", options.document_kinds(i),
                                                     " is not a DocumentKind"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAggregate(const AggregateRequest& request,
                               const taxonomy::Taxonomy& taxonomy) {
  if (absl::Status s = agg::ValidateFilter(request.filter()); !s.ok()) return s;
  if (absl::Status s = agg::ValidateGroupBy(request.group_by()); !s.ok()) return s;
  for (int i = 0; i < request.percentiles_size(); ++i) {
    const double p = request.percentiles(i);
    if (!(p >= 0 && p <= 100)) {
      return absl::InvalidArgumentError(
          absl::StrCat("percentiles[", i, "]: ", p, " is outside 0..100"));
    }
  }
  for (int i = 0; i < request.aggregations_size(); ++i) {
    const int a = request.aggregations(i);
    if (!zhibiao::v1::Aggregation_IsValid(a) || a == zhibiao::v1::AGGREGATION_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("aggregations[", i, "]: ", a, " is not an aggregation"));
    }
  }
  if (!zhibiao::v1::Aggregation_IsValid(request.order_by())) {
    return absl::InvalidArgumentError(
        absl::StrCat("order_by: ", request.order_by(), " is not an aggregation"));
  }
  if (!zhibiao::v1::QualifiedValues_IsValid(request.qualified_values())) {
    return absl::InvalidArgumentError(
        absl::StrCat("qualified_values: ", request.qualified_values(), " is not a policy"));
  }
  if (request.page_size() < 0 || request.page_size() > kMaxAggregateRows) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size ", request.page_size(), " is outside 0..", kMaxAggregateRows));
  }
  if (Requested(request, zhibiao::v1::AGGREGATION_SUM) ||
      request.order_by() == zhibiao::v1::AGGREGATION_SUM) {
    for (const std::string& key : request.filter().metric_keys()) {
      const taxonomy::Entry* entry = taxonomy.Find(key);
      if (entry != nullptr && !entry->additive) {
        return absl::InvalidArgumentError(
            absl::StrCat("AGGREGATION_SUM: metric ", key, " (", entry->unit_kind,
                         ") does not add up across reports; ask for AGGREGATION_AVG or "
                         "AGGREGATION_WEIGHTED_AVG"));
      }
    }
  }
  if (Requested(request, zhibiao::v1::AGGREGATION_WEIGHTED_AVG) ||
      request.order_by() == zhibiao::v1::AGGREGATION_WEIGHTED_AVG) {
    if (request.filter().metric_keys().empty()) {
      return absl::InvalidArgumentError(
          "AGGREGATION_WEIGHTED_AVG needs filter.metric_keys, each a metric with a weight metric");
    }
    for (const std::string& key : request.filter().metric_keys()) {
      const taxonomy::Entry* entry = taxonomy.Find(key);
      if (entry == nullptr || entry->weight_key.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("AGGREGATION_WEIGHTED_AVG: metric \"", key,
                         "\" has no weight metric in the taxonomy; ask for AGGREGATION_AVG"));
      }
    }
  }
  return absl::OkStatus();
}

AggregateIndicatorsRequest ShardRequestForAggregate(const AggregateRequest& request,
                                                    const taxonomy::Taxonomy& taxonomy) {
  AggregateIndicatorsRequest shard;
  *shard.mutable_filter() = request.filter();
  *shard.mutable_group_by() = request.group_by();
  shard.set_include_values(request.percentiles_size() > 0);
  shard.set_qualified_values(request.qualified_values());
  shard.set_include_superseded(request.include_superseded());
  if (Requested(request, zhibiao::v1::AGGREGATION_WEIGHTED_AVG) ||
      request.order_by() == zhibiao::v1::AGGREGATION_WEIGHTED_AVG) {
    for (const std::string& key : request.filter().metric_keys()) {
      const taxonomy::Entry* entry = taxonomy.Find(key);
      if (entry != nullptr && !entry->weight_key.empty()) {
        (*shard.mutable_weight_keys())[key] = entry->weight_key;
      }
    }
  }
  return shard;
}

absl::Status AnswerAggregate(const AggregateRequest& request, const taxonomy::Taxonomy& taxonomy,
                             const std::vector<PartialAggregate>& merged,
                             zhibiao::v1::AggregateResponse* response) {
  // One unit per group unless rows are split by unit.
  if (!request.split_by_unit()) {
    for (size_t i = 1; i < merged.size(); ++i) {
      if (std::equal(merged[i].group_values().begin(), merged[i].group_values().end(),
                     merged[i - 1].group_values().begin(), merged[i - 1].group_values().end())) {
        std::vector<std::string> units;
        for (size_t k = i - 1;
             k < merged.size() &&
             std::equal(merged[k].group_values().begin(), merged[k].group_values().end(),
                        merged[i].group_values().begin(), merged[i].group_values().end());
             ++k) {
          units.push_back(absl::StrCat(merged[k].unit(), " (", merged[k].count(), " figures)"));
        }
        return absl::InvalidArgumentError(absl::StrCat(
            "group ", GroupName(merged[i]), " mixes units ", absl::StrJoin(units, ", "),
            ": restrict filter.units or filter.metric_keys, group by metric, or set "
            "split_by_unit"));
      }
    }
  }
  int metric_dimension = -1;
  for (int d = 0; d < request.group_by_size(); ++d) {
    if (request.group_by(d) == zhibiao::v1::GROUP_BY_METRIC) metric_dimension = d;
  }
  const bool defaults = request.aggregations().empty();
  auto want = [&](Aggregation a) { return defaults || Requested(request, a); };
  const bool sum_requested = Requested(request, zhibiao::v1::AGGREGATION_SUM) ||
                             request.order_by() == zhibiao::v1::AGGREGATION_SUM;
  const std::string non_additive_filter_metric = NonAdditiveFilterMetric(request, taxonomy);
  std::vector<zhibiao::v1::AggregateRow> rows;
  rows.reserve(merged.size());
  for (const PartialAggregate& p : merged) {
    zhibiao::v1::AggregateRow row;
    *row.mutable_group_values() = p.group_values();
    row.set_unit(p.unit());
    row.set_unit_kind(p.unit_kind());
    row.set_count(p.count());
    row.set_inexact_count(p.inexact_count());
    if (want(zhibiao::v1::AGGREGATION_SUM) || sum_requested) {
      const std::string why_not =
          WhyNoSum(p, metric_dimension, non_additive_filter_metric, taxonomy);
      if (why_not.empty()) {
        row.set_sum(p.sum());
      } else if (sum_requested) {
        return absl::InvalidArgumentError(
            absl::StrCat("AGGREGATION_SUM refused for group ", GroupName(p), ": ", why_not,
                         "; ask for AGGREGATION_AVG or AGGREGATION_WEIGHTED_AVG"));
      }
    }
    if (want(zhibiao::v1::AGGREGATION_AVG) || request.order_by() == zhibiao::v1::AGGREGATION_AVG) {
      row.set_mean(p.sum() / static_cast<double>(p.count()));
    }
    if (want(zhibiao::v1::AGGREGATION_MIN) || request.order_by() == zhibiao::v1::AGGREGATION_MIN) {
      row.set_min(p.min());
    }
    if (want(zhibiao::v1::AGGREGATION_MAX) || request.order_by() == zhibiao::v1::AGGREGATION_MAX) {
      row.set_max(p.max());
    }
    if (Requested(request, zhibiao::v1::AGGREGATION_WEIGHTED_AVG) ||
        request.order_by() == zhibiao::v1::AGGREGATION_WEIGHTED_AVG) {
      row.set_weighted_count(p.weighted_count());
      if (p.weight_sum() > 0) row.set_weighted_mean(p.weighted_sum() / p.weight_sum());
    }
    for (double q : request.percentiles()) {
      if (p.values_size() > 0) row.add_percentiles(agg::NearestRankPercentile(p.values(), q));
    }
    rows.push_back(std::move(row));
  }
  // Order: by the chosen value (rows without it last), then by group and unit.
  if (request.order_by() != zhibiao::v1::AGGREGATION_UNSPECIFIED || request.descending()) {
    const Aggregation order_by = request.order_by();
    const bool descending = request.descending();
    auto group_less = [](const zhibiao::v1::AggregateRow& a, const zhibiao::v1::AggregateRow& b) {
      return std::lexicographical_compare(a.group_values().begin(), a.group_values().end(),
                                          b.group_values().begin(), b.group_values().end()) ||
             (std::equal(a.group_values().begin(), a.group_values().end(), b.group_values().begin(),
                         b.group_values().end()) &&
              a.unit() < b.unit());
    };
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      if (order_by == zhibiao::v1::AGGREGATION_UNSPECIFIED) {
        return descending ? group_less(b, a) : group_less(a, b);
      }
      const std::optional<double> x = OrderValue(a, order_by);
      const std::optional<double> y = OrderValue(b, order_by);
      if (x.has_value() != y.has_value()) return x.has_value();
      if (x.has_value() && *x != *y) return descending ? *x > *y : *x < *y;
      return group_less(a, b);
    });
  }
  const uint64_t fingerprint = RequestFingerprint(request);
  absl::StatusOr<int64_t> offset = DecodePageToken(request.page_token(), fingerprint);
  if (!offset.ok()) return offset.status();
  const int64_t page_size = request.page_size() == 0 ? kMaxAggregateRows : request.page_size();
  const int64_t total = static_cast<int64_t>(rows.size());
  const int64_t begin = std::min(*offset, total);
  const int64_t end = std::min(total, begin + page_size);
  for (int64_t i = begin; i < end; ++i) *response->add_rows() = std::move(rows[i]);
  response->set_total_rows(total);
  if (end < total) response->set_next_page_token(EncodePageToken(fingerprint, end));
  return absl::OkStatus();
}

absl::StatusOr<const taxonomy::Entry*> FindMetric(absl::string_view metric_key,
                                                  const taxonomy::Taxonomy& taxonomy) {
  if (metric_key.empty()) return absl::InvalidArgumentError("metric_key is required");
  const taxonomy::Entry* entry = taxonomy.Find(metric_key);
  if (entry == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("metric_key \"", metric_key,
                                                   "\" is not a key of taxonomy version ",
                                                   taxonomy.version(), "; ListMetrics lists them"));
  }
  return entry;
}

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
  for (const PartialAggregate& p : answer.groups()) {
    if (!OfKnownRegion(p)) continue;
    ++totals->regions_ranked;
    totals->counts_by_unit[p.unit()] += p.count();
  }
}

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

}  // namespace zb::query
