#include "common/query/metric_query.h"

#include <algorithm>

namespace zb::query {

bool IsSixDigits(absl::string_view s) {
  return s.size() == 6 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
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

bool OfTargets(const zhibiao::v1::MetricQueryOptions& options) {
  return options.figures() == zhibiao::v1::METRIC_FIGURES_TARGET_LEVELS ||
         options.figures() == zhibiao::v1::METRIC_FIGURES_TARGET_CHANGES;
}

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
                     zhibiao::v1::AggregateIndicatorsRequest* shard) {
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

}  // namespace zb::query
